/**
 * API tokens a practice admin manages (issue 15): create one for a system (it acts as a staff member of its own,
 * `kind = 'system'`, named after the token, so actor and assignee ids stay staff ids), list them, revoke one. The secret
 * itself is never here: the caller hashes it (app/api-tokens.ts). Another practice's token is a RowNotFound, exactly
 * like an unknown id. Every change is audited in its transaction, without the secret or its hash.
 */
import type { Db } from '../connection';
import { RowNotFound } from '../errors';
import { writeAudit } from './audit';
import type { StaffRole } from './staff';

export interface ApiTokenRecord {
  id: string;
  name: string;
  role: StaffRole;
  prefix: string;
  staffUserId: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

interface Row {
  id: string; name: string; role: StaffRole; prefix: string; staff_user_id: string; created_by: string;
  created_at: Date; expires_at: Date | null; last_used_at: Date | null; revoked_at: Date | null; revoked_by: string | null;
}

const COLUMNS = ['id', 'name', 'role', 'prefix', 'staff_user_id', 'created_by', 'created_at', 'expires_at', 'last_used_at', 'revoked_at', 'revoked_by'];

const recordOf = (r: Row): ApiTokenRecord => ({
  id: r.id, name: r.name, role: r.role, prefix: r.prefix, staffUserId: r.staff_user_id, createdBy: r.created_by,
  createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, revokedBy: r.revoked_by,
});

export async function insertApiToken(db: Db, input: {
  practiceId: string; name: string; role: StaffRole; secretHash: string; prefix: string; expiresAt: Date; actor: string; requestId?: string | null;
}): Promise<ApiTokenRecord> {
  return db.transaction(async (trx) => {
    const [system] = await trx('staff_users')
      .insert({ practice_id: input.practiceId, display_name: input.name, role: input.role, kind: 'system', invited_by: input.actor })
      .returning<{ id: string }[]>('id');
    const [row] = await trx('api_tokens')
      .insert({
        practice_id: input.practiceId, staff_user_id: system!.id, name: input.name, role: input.role, secret_hash: input.secretHash,
        hash_scheme: 'hmac_sha256', prefix: input.prefix, created_by: input.actor, expires_at: input.expiresAt,
      })
      .returning<Row[]>(COLUMNS);
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'api_token.created', entityType: 'api_token', entityId: row!.id,
      after: { name: input.name, role: input.role, prefix: input.prefix, expiresAt: input.expiresAt.toISOString(), staffUserId: system!.id },
      requestId: input.requestId ?? null,
    });
    return recordOf(row!);
  });
}

/** The practice's tokens, newest first. */
export async function apiTokensOf(db: Db, practiceId: string): Promise<ApiTokenRecord[]> {
  const rows = await db('api_tokens').where({ practice_id: practiceId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).select<Row[]>(COLUMNS);
  return rows.map(recordOf);
}

/** Revokes the token at once (the lookup skips revoked tokens); revoking it again changes nothing. */
export async function revokeApiTokenRow(db: Db, input: { practiceId: string; tokenId: string; actor: string; requestId?: string | null }): Promise<ApiTokenRecord> {
  return db.transaction(async (trx) => {
    const before = await trx('api_tokens').where({ id: input.tokenId, practice_id: input.practiceId }).forUpdate().first<Row | undefined>(COLUMNS);
    if (!before) throw new RowNotFound('API token');
    if (before.revoked_at) return recordOf(before);
    const [row] = await trx('api_tokens').where({ id: input.tokenId }).update({ revoked_at: trx.fn.now(), revoked_by: input.actor }).returning<Row[]>(COLUMNS);
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'api_token.revoked', entityType: 'api_token', entityId: input.tokenId,
      before: { revokedAt: null }, after: { revokedAt: row!.revoked_at!.toISOString() }, requestId: input.requestId ?? null,
    });
    return recordOf(row!);
  });
}
