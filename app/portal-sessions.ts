/**
 * The patient portal's sign-in and sessions: the lookup by account id and date of birth (counted before it is compared,
 * with equal work on every failure path), and the server-side sessions it starts. The cookies and CSRF tokens that carry
 * them are the web adapter's (web/portal/security.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/connection';
import {
  auditLookupLock, countLookup, endPortalSession, patientByAccountId, portalSession, recordLookupSuccess, type LookupFailureReason,
} from '../db/queries/portal';
import { keyedHash } from '../lib/signed-token';
import type { StatementsSettings } from './statements-settings';

export interface PortalDeps { db: Db }

/** A signed-in patient: whose session, and its own form token. */
export interface SignedIn { patientId: string; csrfToken: string }

/** The session a cookie value names, or undefined (expired, signed out, or made up). */
export async function portalSessionOf(deps: PortalDeps, cookieValue: string): Promise<SignedIn | undefined> {
  return portalSession(deps.db, cookieValue);
}

/** Ends the session on the server (sign-out), so a copy of the cookie stops working. */
export async function endPortalSessionOf(deps: PortalDeps, cookieValue: string): Promise<void> {
  await endPortalSession(deps.db, cookieValue);
}

/** Compared instead of a missing patient's date of birth, so an unknown account does the same work. */
const NO_DATE_OF_BIRTH = '0000-00-00';

export type LookupResult = { ok: true; patientId: string; sessionCookie: string } | { ok: false; reason: LookupFailureReason };

/**
 * The lookup. First it is counted (client, then account, one statement under their rows' locks; beside it, the read
 * of the patient by account id); a lookup refused there ends there, its date of birth never compared. Otherwise a
 * keyed-hash comparison of the date of birth (with a stand-in value when the account is unknown). A failure writes
 * nothing more, unless it locked its account or client (one audit row per lock); a success starts a server-side
 * session and is audited. Every kind of failure does the same work.
 */
export async function lookUp(
  db: Db,
  s: StatementsSettings,
  input: { accountId: string; dateOfBirth: string; clientAddress: string; previousSession?: string },
): Promise<LookupResult> {
  const accountKey = keyedHash('account', input.accountId, s.portalSecret);
  const clientKey = keyedHash('client', input.clientAddress, s.portalSecret);
  const limits = { maxFailuresPerAccount: s.maxFailuresPerAccount, maxFailuresPerClient: s.maxFailuresPerClient, lockoutMs: s.lockoutMs };
  const [counted, patient] = await Promise.all([countLookup(db, { accountKey, clientKey, limits }), patientByAccountId(db, input.accountId)]);
  // A lookup that reached a limit locked its key (the client's limit is reached exactly at its count).
  const client = { attempts: s.maxFailuresPerClient };
  if (!counted.admitted) {
    if (counted.clientLockedNow) await auditLookupLock(db, { accountKey, clientKey, client, lockoutMs: s.lockoutMs }); // then refused by a locked account
    return { ok: false, reason: counted.refusedBy === 'client' ? 'client_locked' : 'account_locked' };
  }

  const given = Buffer.from(keyedHash('dob', input.dateOfBirth, s.portalSecret), 'hex');
  const expected = Buffer.from(keyedHash('dob', patient?.date_of_birth ?? NO_DATE_OF_BIRTH, s.portalSecret), 'hex');
  if (timingSafeEqual(given, expected) && patient) {
    const session = await recordLookupSuccess(db, {
      accountKey, clientKey, patientId: patient.id, practiceId: patient.practice_id, clientLockedNow: counted.clientLockedNow,
      sessionTtlMs: s.sessionTtlMs, previousSession: input.previousSession,
    });
    return { ok: true, patientId: patient.id, sessionCookie: session.cookieValue };
  }
  if (counted.accountLockedNow || counted.clientLockedNow) {
    await auditLookupLock(db, {
      accountKey, clientKey, lockoutMs: s.lockoutMs,
      account: counted.accountLockedNow ? { attempts: counted.accountAttempts } : undefined, client: counted.clientLockedNow ? client : undefined,
    });
  }
  return { ok: false, reason: patient ? 'wrong_date_of_birth' : 'unknown_account' };
}
