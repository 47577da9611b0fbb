/**
 * The patient portal's lookups (date of birth + account id), their limits, and its sessions. Attempts, locks and
 * sessions live here, in PostgreSQL, so they hold across API replicas. Accounts and clients are known only by keyed
 * hashes (HMAC with the portal secret): no account id, date of birth or address is stored or audited in clear.
 *
 * A lookup is counted before its date of birth is compared (`countLookup`, one statement under the key rows' locks:
 * migration 013), so parallel guesses cannot all be compared. One row per key, not per attempt, and the audit log
 * gets a row per lock and per sign-in, never per failed attempt: unauthenticated requests do not grow either.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WAITING_FOR_CAPTURE_STATUSES } from '../../domain/collections';
import type { Cents } from '../../domain/money';
import type { Db } from '../connection';
import { writeAudit } from './audit';
import { createStatementCollection, type StatementCollectionRow, type StatementRow } from './statements';

export interface PortalPatient { id: string; practice_id: string; first_name: string; date_of_birth: string }

/** The patient with this account id (account ids are unique across practices). */
export async function patientByAccountId(db: Db, accountId: string): Promise<PortalPatient | undefined> {
  return db('patients').where({ account_id: accountId }).first<PortalPatient | undefined>('id', 'practice_id', 'first_name', 'date_of_birth');
}

export const accountLockKey = (accountKey: string) => `account:${accountKey}`;
export const clientLockKey = (clientKey: string) => `client:${clientKey}`;

export interface LookupLimits { maxFailuresPerAccount: number; maxFailuresPerClient: number; lockoutMs: number }

export type LookupFailureReason = 'unknown_account' | 'wrong_date_of_birth' | 'account_locked' | 'client_locked';

export type CountedLookup =
  | { admitted: true; clientLockedNow: boolean; accountLockedNow: boolean; accountAttempts: number }
  | { admitted: false; refusedBy: 'client' | 'account'; clientLockedNow: boolean };

/**
 * Counts one lookup for its client address, then its account, and says whether its date of birth may be compared:
 * not while either is locked, nor once either has had its limit of lookups let through within the window. The
 * lookup that reaches a limit locks the key for the window (`…LockedNow`; a success undoes it, see
 * `recordLookupSuccess`); the client's count includes lookups its account then refused. Refused lookups are not
 * counted again by the key that refused them, nor extend its lock.
 */
export async function countLookup(db: Db, input: { accountKey: string; clientKey: string; limits: LookupLimits }): Promise<CountedLookup> {
  const { rows } = await db.raw<{ rows: { admitted: boolean; refused_by: 'client' | 'account' | null; client_locked_now: boolean; account_locked_now: boolean; account_attempts: number | null }[] }>(
    'select * from portal_count_lookup(?, ?, ?, ?, make_interval(secs => ?))',
    [clientLockKey(input.clientKey), input.limits.maxFailuresPerClient, accountLockKey(input.accountKey), input.limits.maxFailuresPerAccount, input.limits.lockoutMs / 1000],
  );
  const row = rows[0]!;
  if (!row.admitted) return { admitted: false, refusedBy: row.refused_by ?? 'account', clientLockedNow: row.client_locked_now };
  return { admitted: true, clientLockedNow: row.client_locked_now, accountLockedNow: row.account_locked_now, accountAttempts: row.account_attempts ?? 0 };
}

/**
 * A failed lookup that locked its account or client: one audit row per lock (not per attempt), without PHI: the
 * account appears as its keyed hash (shortened), the client as a shorter one. `attempts`: the lookups counted.
 */
export async function auditLookupLock(
  db: Db,
  input: { accountKey: string; clientKey: string; account?: { attempts: number }; client?: { attempts: number }; lockoutMs: number },
): Promise<void> {
  const lockedForMinutes = Math.round(input.lockoutMs / 60_000);
  const client = input.clientKey.slice(0, 16);
  if (input.account) {
    await writeAudit(db, {
      actor: 'portal:anonymous', action: 'portal.account_locked', entityType: 'portal_account', entityId: input.accountKey.slice(0, 32),
      before: null, after: { client, attempts: input.account.attempts, lockedForMinutes },
    });
  }
  if (input.client) {
    await writeAudit(db, {
      actor: 'portal:anonymous', action: 'portal.client_locked', entityType: 'portal_client', entityId: input.clientKey.slice(0, 32),
      before: null, after: { client, attempts: input.client.attempts, lockedForMinutes },
    });
  }
}

// ── sessions ──
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const SESSION_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface PortalSession { patientId: string; csrfToken: string }

/**
 * A successful lookup, in one transaction: the account's count starts again (it counts failures since the last
 * success); the client gets its attempt back (its limit is on failures: a clinic's shared address may sign many
 * patients in), and loses the lock this very lookup set, if any; a new server-side session starts, and one the
 * browser had before ends (no fixation); expired sessions are swept; the sign-in is audited by patient id. Returns
 * the new cookie value and the session's CSRF token.
 */
export async function recordLookupSuccess(
  db: Db,
  input: { accountKey: string; clientKey: string; patientId: string; practiceId: string; clientLockedNow: boolean; sessionTtlMs: number; previousSession?: string },
): Promise<{ cookieValue: string; csrfToken: string }> {
  const cookieValue = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('hex');
  await db.transaction(async (trx) => {
    await trx.raw(
      `update portal_login_attempts set attempts = '{}', locked_until = null, updated_at = now() where key = ?`,
      [accountLockKey(input.accountKey)],
    );
    // Any one of its counted lookups: only how many matters. The lock goes only if this lookup set it.
    await trx.raw(
      `update portal_login_attempts
          set attempts = trim_array(attempts, 1), updated_at = now(), locked_until = case when ? then null else locked_until end
        where key = ? and cardinality(attempts) > 0`,
      [input.clientLockedNow, clientLockKey(input.clientKey)],
    );
    await trx('portal_sessions').where('expires_at', '<', trx.fn.now()).delete();
    if (input.previousSession && SESSION_VALUE.test(input.previousSession)) await trx('portal_sessions').where({ id_sha256: sha256(input.previousSession) }).delete();
    await trx('portal_sessions').insert({
      id_sha256: sha256(cookieValue), patient_id: input.patientId, csrf_token: csrfToken,
      expires_at: trx.raw('now() + make_interval(secs => ?)', [input.sessionTtlMs / 1000]),
    });
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: 'portal:patient', action: 'portal.lookup_succeeded', entityType: 'patient', entityId: input.patientId,
      before: null, after: { client: input.clientKey.slice(0, 16) },
    });
  });
  return { cookieValue, csrfToken };
}

/** The live session of a cookie value, or undefined (unknown, malformed, expired or signed out). */
export async function portalSession(db: Db, cookieValue: string): Promise<PortalSession | undefined> {
  if (!SESSION_VALUE.test(cookieValue)) return undefined;
  const row = await db('portal_sessions').where({ id_sha256: sha256(cookieValue) }).andWhere('expires_at', '>', db.fn.now())
    .first<{ patient_id: string; csrf_token: string } | undefined>('patient_id', 'csrf_token');
  return row && { patientId: row.patient_id, csrfToken: row.csrf_token };
}

/** Ends the session of a cookie value, everywhere at once (idempotent). */
export async function endPortalSession(db: Db, cookieValue: string): Promise<void> {
  if (!SESSION_VALUE.test(cookieValue)) return;
  await db('portal_sessions').where({ id_sha256: sha256(cookieValue) }).delete();
}

// ── payments started from the portal ──
export type PortalPayment =
  | { kind: 'reused' | 'created'; collection: StatementCollectionRow }
  | { kind: 'capped'; retryAfterSeconds: number };

/**
 * The collection a press of Pay goes to, decided under a per-statement advisory lock, so parallel presses queue:
 * the patient's open portal payment of the same amount, if one has at least `reuseWithinMs` of its capture window left
 * and no payment yet (a second press goes back to the same payment request, and the statement's run hears nothing);
 * otherwise a new one, unless the statement has started `limit.max` portal payments within `limit.windowMs` (those
 * cancelled because their run never took them do not count). Nothing is written when capped.
 */
export async function portalPaymentFor(
  db: Db,
  input: { statement: StatementRow; amountCents: Cents; patientId: string; reuseWithinMs: number; limit: { max: number; windowMs: number } },
): Promise<PortalPayment> {
  const { statement } = input;
  const createdBy = `patient:${input.patientId}`;
  return db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`portal-pay:${statement.id}`]);
    if (input.reuseWithinMs > 0) {
      const open = await trx('collections as k')
        .where({ 'k.statement_id': statement.id, 'k.created_by': createdBy, 'k.requested_amount_cents': input.amountCents })
        .whereIn('k.status', WAITING_FOR_CAPTURE_STATUSES)
        .andWhere('k.created_at', '>', trx.raw('now() - make_interval(secs => ?)', [input.reuseWithinMs / 1000]))
        .whereNotExists(trx('payments as p').whereRaw('p.collection_id = k.id'))
        .orderBy('k.created_at', 'desc')
        .first<StatementCollectionRow | undefined>('k.*');
      if (open) return { kind: 'reused', collection: open };
    }
    const { rows } = await trx.raw<{ rows: { started: number; frees_in: number | null }[] }>(
      `select count(*)::int as started, ceil(extract(epoch from min(created_at) + make_interval(secs => :window) - now()))::int as frees_in
         from collections
        where statement_id = :statementId and created_by like 'patient:%' and status <> 'cancelled'
          and created_at > now() - make_interval(secs => :window)`,
      { statementId: statement.id, window: input.limit.windowMs / 1000 },
    );
    const { started, frees_in: freesIn } = rows[0]!;
    if (started >= input.limit.max) return { kind: 'capped', retryAfterSeconds: Math.max(1, freesIn ?? 1) };
    return { kind: 'created', collection: await createStatementCollection(trx, { statement, amountCents: input.amountCents, createdBy }) };
  });
}
