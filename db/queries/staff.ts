/**
 * Staff of a practice (people, and the systems an API token is created for) and the API tokens they act through.
 * A token is stored only as a hash (db/migrations/014): the caller hashes what was presented (app/api-tokens.ts) and
 * this module finds the live token with that hash — not revoked, not expired, of a member not deactivated.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../connection';
import type { StaffRole } from '../../domain/staff';

export type { StaffRole };
export interface Staff { id: string; practiceId: string; role: StaffRole; displayName: string }

/** The hashes a presented token may be stored under: keyed (HMAC-SHA-256 with the pepper) or, for tokens carried
 *  over from before issue 15 and the seeded demo ones, plain SHA-256. */
export interface TokenHashes { hmac: string; legacy: string }

export const legacyTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The staff member a live token acts as, with the token's role; records the token's use (at most once a minute). */
export async function staffByTokenHashes(db: Db, hashes: TokenHashes): Promise<(Staff & { tokenId: string }) | undefined> {
  const row = await db('api_tokens as t')
    .join('staff_users as u', 'u.id', 't.staff_user_id')
    .whereRaw(`((t.secret_hash = ? and t.hash_scheme = 'hmac_sha256') or (t.secret_hash = ? and t.hash_scheme = 'legacy_sha256'))`, [hashes.hmac, hashes.legacy])
    .whereNull('t.revoked_at')
    .whereNull('u.deactivated_at')
    .whereRaw('(t.expires_at is null or t.expires_at > now())')
    .first<{ token_id: string; id: string; practice_id: string; role: StaffRole; display_name: string; last_used_at: Date | null } | undefined>(
      't.id as token_id', 'u.id', 't.practice_id', 't.role', 'u.display_name', 't.last_used_at',
    );
  if (!row) return undefined;
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await db('api_tokens').where({ id: row.token_id }).update({ last_used_at: db.fn.now() });
  }
  return { tokenId: row.token_id, id: row.id, practiceId: row.practice_id, role: row.role, displayName: row.display_name };
}

/**
 * A staff member with a never-expiring token of their own role, as the demo data and the test fixtures seed them
 * (idempotent by the token). The token is stored under its plain SHA-256: seeding needs no server pepper.
 */
export async function upsertStaff(db: Db, s: { practiceId: string; displayName: string; role: StaffRole; token: string; email?: string }): Promise<void> {
  const secretHash = legacyTokenHash(s.token);
  await db.transaction(async (trx) => {
    const existing = await trx('api_tokens').where({ secret_hash: secretHash }).first<{ staff_user_id: string } | undefined>('staff_user_id');
    if (existing) {
      await trx('staff_users').where({ id: existing.staff_user_id }).update({ display_name: s.displayName, role: s.role, ...(s.email ? { email: s.email.toLowerCase() } : {}) });
      await trx('api_tokens').where({ secret_hash: secretHash }).update({ name: s.displayName, role: s.role });
      return;
    }
    const [user] = await trx('staff_users')
      .insert({ practice_id: s.practiceId, display_name: s.displayName, role: s.role, ...(s.email ? { email: s.email.toLowerCase() } : {}) })
      .returning<{ id: string }[]>('id');
    await trx('api_tokens').insert({
      practice_id: s.practiceId, staff_user_id: user!.id, name: s.displayName, role: s.role, secret_hash: secretHash, hash_scheme: 'legacy_sha256',
      prefix: s.token.slice(0, 8), created_by: 'seed',
    });
  });
}
