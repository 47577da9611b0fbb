/**
 * Sign-ins on their way through a practice's identity provider (db/migrations/014 `staff_sign_ins`): the state's
 * SHA-256 (the state itself travels only in the browser's cookie and the provider's redirect), the nonce and the PKCE
 * verifier, for 10 minutes; taking one deletes it, so a callback replayed with the same state finds nothing. The staff
 * a verified identity names (by subject, else by email without a subject yet), and recording the subject.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../connection';
import type { Staff, StaffRole } from './staff';
import { writeAudit } from './audit';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface PendingSignIn { practiceId: string; nonce: string; codeVerifier: string; returnTo: string }

export async function saveSignIn(db: Db, s: PendingSignIn & { state: string; ttlMs: number }): Promise<void> {
  await db.transaction(async (trx) => {
    // Abandoned sign-ins are of no use to anyone: sweep them as new ones start.
    await trx('staff_sign_ins').where('expires_at', '<', trx.fn.now()).delete();
    await trx('staff_sign_ins').insert({
      state_sha256: sha256(s.state), practice_id: s.practiceId, nonce: s.nonce, code_verifier: s.codeVerifier, return_to: s.returnTo,
      expires_at: new Date(Date.now() + s.ttlMs),
    });
  });
}

/** The live sign-in of this state, deleted as it is read (once only); undefined if unknown, used or expired. */
export async function takeSignIn(db: Db, state: string): Promise<PendingSignIn | undefined> {
  const [row] = await db('staff_sign_ins').where({ state_sha256: sha256(state) }).delete()
    .returning<{ practice_id: string; nonce: string; code_verifier: string; return_to: string; expires_at: Date }[]>(['practice_id', 'nonce', 'code_verifier', 'return_to', 'expires_at']);
  if (!row || row.expires_at.getTime() <= Date.now()) return undefined;
  return { practiceId: row.practice_id, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to };
}

export interface StaffIdentity extends Staff { email: string | null; oidcSubject: string | null; kind: 'person' | 'system'; deactivated: boolean }

interface IdentityRow { id: string; practice_id: string; role: StaffRole; display_name: string; email: string | null; oidc_subject: string | null; kind: 'person' | 'system'; deactivated_at: Date | null }
const toIdentity = (r: IdentityRow): StaffIdentity => ({
  id: r.id, practiceId: r.practice_id, role: r.role, displayName: r.display_name, email: r.email, oidcSubject: r.oidc_subject, kind: r.kind,
  deactivated: r.deactivated_at !== null,
});
const IDENTITY_COLUMNS = ['id', 'practice_id', 'role', 'display_name', 'email', 'oidc_subject', 'kind', 'deactivated_at'];

/** The practice's staff row with this subject, else the one with this email (lower case) whatever its subject. */
export async function staffOfIdentity(db: Db, practiceId: string, subject: string, email: string | undefined): Promise<StaffIdentity | undefined> {
  const bySubject = await db('staff_users').where({ practice_id: practiceId, oidc_subject: subject }).first<IdentityRow | undefined>(IDENTITY_COLUMNS);
  if (bySubject) return toIdentity(bySubject);
  if (!email) return undefined;
  const byEmail = await db('staff_users').where({ practice_id: practiceId, email: email.toLowerCase() }).first<IdentityRow | undefined>(IDENTITY_COLUMNS);
  return byEmail && toIdentity(byEmail);
}

/** Records the subject of a member who had none (first sign-in); false if someone recorded one meanwhile. Audited. */
export async function linkSubject(db: Db, staff: Staff, subject: string, issuer: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const n = await trx('staff_users').where({ id: staff.id, practice_id: staff.practiceId }).whereNull('oidc_subject').update({ oidc_subject: subject });
    if (n === 0) return false;
    await writeAudit(trx, {
      practiceId: staff.practiceId, actor: `staff:${staff.id}`, action: 'staff.identity_linked', entityType: 'staff_user', entityId: staff.id,
      before: { oidcSubject: null }, after: { oidcSubject: subject, issuer },
    });
    return true;
  });
}

/** A refused sign-in, for the practice's admins to see (the email the provider gave; never a token). */
export async function auditRefusedSignIn(db: Db, e: { practiceId: string; reason: string; email?: string; subject?: string; issuer: string }): Promise<void> {
  await writeAudit(db, {
    practiceId: e.practiceId, actor: 'identity-provider', action: 'staff.sign_in_refused', entityType: 'practice', entityId: e.practiceId,
    before: null, after: { reason: e.reason, email: e.email ?? null, subject: e.subject ?? null, issuer: e.issuer },
  });
}
