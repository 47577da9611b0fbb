/**
 * The patient portal's lookups (date of birth + account id) and their limits. Attempts and lock-outs live here, in
 * PostgreSQL, so they hold across API replicas. Accounts and clients are known only by keyed hashes (HMAC with the
 * portal secret): no account id, date of birth or address is stored or audited in clear.
 */
import type { Db } from '../connection';
import { writeAudit } from './audit';

export interface PortalPatient { id: string; practice_id: string; first_name: string; date_of_birth: string }

/** The patient with this account id (account ids are unique across practices). */
export async function patientByAccountId(db: Db, accountId: string): Promise<PortalPatient | undefined> {
  return db('patients').where({ account_id: accountId }).first<PortalPatient | undefined>('id', 'practice_id', 'first_name', 'date_of_birth');
}

export const accountLockKey = (accountKey: string) => `account:${accountKey}`;
export const clientLockKey = (clientKey: string) => `client:${clientKey}`;

/** Which of these lock keys are locked now. One query, whatever the keys. */
export async function lockedKeys(db: Db, keys: string[]): Promise<Set<string>> {
  const rows = await db('portal_lockouts').whereIn('key', keys).andWhere('locked_until', '>', db.fn.now()).select<{ key: string }[]>('key');
  return new Set(rows.map((r) => r.key));
}

export interface LookupLimits { maxFailuresPerAccount: number; maxFailuresPerClient: number; lockoutMs: number }

export type LookupFailureReason = 'unknown_account' | 'wrong_date_of_birth' | 'account_locked' | 'client_locked';

/**
 * Records a failed lookup, and locks the account or the client once it has had too many failures within the lockout
 * window (counting an account's failures since its last success). Audited without PHI: the account appears as its
 * keyed hash (shortened), the client as a shorter one. Every kind of failure does exactly this work.
 */
export async function recordLookupFailure(
  db: Db,
  input: { accountKey: string; clientKey: string; reason: LookupFailureReason; limits: LookupLimits },
): Promise<{ accountLocked: boolean; clientLocked: boolean }> {
  const windowSeconds = input.limits.lockoutMs / 1000;
  return db.transaction(async (trx) => {
    await trx('portal_login_attempts').insert({ account_key: input.accountKey, client_key: input.clientKey, succeeded: false });
    const { rows } = await trx.raw<{ rows: { account_failures: number; client_failures: number }[] }>(
      `select
         (select count(*) from portal_login_attempts a
           where a.account_key = :accountKey and not a.succeeded
             and a.at > greatest(now() - make_interval(secs => :windowSeconds),
                                 coalesce((select max(s.at) from portal_login_attempts s where s.account_key = :accountKey and s.succeeded), '-infinity'))) as account_failures,
         (select count(*) from portal_login_attempts a
           where a.client_key = :clientKey and not a.succeeded and a.at > now() - make_interval(secs => :windowSeconds)) as client_failures`,
      { accountKey: input.accountKey, clientKey: input.clientKey, windowSeconds },
    );
    const counts = rows[0]!;
    const accountLocked = counts.account_failures >= input.limits.maxFailuresPerAccount;
    const clientLocked = counts.client_failures >= input.limits.maxFailuresPerClient;
    const lock = async (key: string): Promise<void> => {
      await trx.raw(
        `insert into portal_lockouts (key, locked_until) values (?, now() + make_interval(secs => ?))
         on conflict (key) do update set locked_until = greatest(portal_lockouts.locked_until, excluded.locked_until), updated_at = now()`,
        [key, windowSeconds],
      );
    };
    if (accountLocked) await lock(accountLockKey(input.accountKey));
    if (clientLocked) await lock(clientLockKey(input.clientKey));
    await writeAudit(trx, {
      actor: 'portal:anonymous', action: 'portal.lookup_failed', entityType: 'portal_account', entityId: input.accountKey.slice(0, 32),
      before: null,
      after: { reason: input.reason, client: input.clientKey.slice(0, 16), accountFailures: counts.account_failures, accountLocked, clientLocked },
    });
    return { accountLocked, clientLocked };
  });
}

/** Records a successful lookup (it resets the account's failure count) and audits it by patient id. */
export async function recordLookupSuccess(db: Db, input: { accountKey: string; clientKey: string; patientId: string; practiceId: string }): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('portal_login_attempts').insert({ account_key: input.accountKey, client_key: input.clientKey, succeeded: true });
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: 'portal:patient', action: 'portal.lookup_succeeded', entityType: 'patient', entityId: input.patientId,
      before: null, after: { client: input.clientKey.slice(0, 16) },
    });
  });
}
