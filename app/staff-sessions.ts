/**
 * Staff sign-in for the pages: the staff token is checked once and turned into a server-side session (8 hours; the
 * token itself is never stored). The cookie and CSRF mechanics are the web adapter's (web/staff/session.ts).
 */
import type { Db } from '../db/connection';
import type { Staff } from '../db/queries/staff';
import { createStaffSession, endStaffSession, staffSession, type StaffSession } from '../db/queries/staff-sessions';

export type { StaffSession };

/** A session of `ttlMs` (absolute; it also ends after 30 minutes unused), started by a token or the identity provider. */
export async function startStaffSession(deps: { db: Db }, staff: Staff, ttlMs: number, via: 'token' | 'oidc' = 'token') {
  return createStaffSession(deps.db, staff, ttlMs, via);
}

/** The live session of a cookie value, or undefined. */
export async function staffSessionOf(deps: { db: Db }, cookieValue: string): Promise<StaffSession | undefined> {
  return staffSession(deps.db, cookieValue);
}

/** Sign-out: the session ends on the server (audited with who signed out). */
export async function endStaffSignIn(deps: { db: Db }, cookieValue: string, staff?: Staff): Promise<void> {
  await endStaffSession(deps.db, cookieValue, staff);
}
