/**
 * Staff browser sessions, server-side: the cookie carries a random value, only its SHA-256 is stored, so a database
 * leak does not leak sessions; signing out deletes the row and the session ends everywhere at once. Each session has
 * its own random CSRF token (synchronizer token pattern) that every cookie-authenticated form posts back.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../connection';
import type { Staff, StaffRole } from './staff';
import { writeAudit } from './audit';

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

export interface StaffSession { staff: Staff; csrfToken: string; expiresAt: Date }

/** Starts a session for a staff user; returns the cookie value (shown to nobody but the browser). */
export async function createStaffSession(db: Db, staff: Staff, ttlMs: number, via: 'token' | 'oidc' = 'token'): Promise<{ cookieValue: string; csrfToken: string; expiresAt: Date }> {
  const cookieValue = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs);
  await db.transaction(async (trx) => {
    // Expired sessions are of no use to anyone: sweep them as new ones start.
    await trx('staff_sessions').where('expires_at', '<', trx.fn.now()).delete();
    await trx('staff_sessions').insert({ id_sha256: hash(cookieValue), staff_user_id: staff.id, csrf_token: csrfToken, expires_at: expiresAt, via });
    await writeAudit(trx, {
      practiceId: staff.practiceId, actor: `staff:${staff.id}`, action: 'staff.signed_in', entityType: 'staff_user', entityId: staff.id, before: null,
      after: { via: via === 'oidc' ? 'staff pages (identity provider)' : 'staff pages', expiresAt: expiresAt.toISOString() },
    });
  });
  return { cookieValue, csrfToken, expiresAt };
}

/** Sessions not used for this long end (the absolute end is their expires_at): 30 minutes. */
export const STAFF_SESSION_IDLE_MS = 30 * 60_000;
/** last_seen_at moves forward at most this often: not a write per page view. */
const TOUCH_EVERY_MS = 60_000;

/**
 * The live session of a cookie value, or undefined (unknown, malformed, expired, idle for `idleMs`, or of a deactivated
 * member). A live session's last use is recorded (at most once a minute), which keeps it from idling out.
 */
export async function staffSession(db: Db, cookieValue: string, idleMs = STAFF_SESSION_IDLE_MS): Promise<StaffSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return undefined;
  const idSha256 = hash(cookieValue);
  const row = await db('staff_sessions as s')
    .join('staff_users as u', 'u.id', 's.staff_user_id')
    .where('s.id_sha256', idSha256)
    .where('s.expires_at', '>', db.fn.now())
    .where('s.last_seen_at', '>', db.raw("now() - ? * interval '1 millisecond'", [idleMs]))
    .whereNull('u.deactivated_at')
    .first<{ id: string; practice_id: string; role: StaffRole; display_name: string; csrf_token: string; expires_at: Date; last_seen_at: Date } | undefined>(
      'u.id', 'u.practice_id', 'u.role', 'u.display_name', 's.csrf_token', 's.expires_at', 's.last_seen_at',
    );
  if (!row) return undefined;
  if (Date.now() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    await db('staff_sessions').where({ id_sha256: idSha256 }).update({ last_seen_at: db.fn.now() });
  }
  return { staff: { id: row.id, practiceId: row.practice_id, role: row.role, displayName: row.display_name }, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

/** Ends the session of a cookie value (idempotent). */
export async function endStaffSession(db: Db, cookieValue: string, staff?: Staff): Promise<void> {
  await db.transaction(async (trx) => {
    const n = await trx('staff_sessions').where({ id_sha256: hash(cookieValue) }).delete();
    if (n > 0 && staff) {
      await writeAudit(trx, { practiceId: staff.practiceId, actor: `staff:${staff.id}`, action: 'staff.signed_out', entityType: 'staff_user', entityId: staff.id, before: null, after: { via: 'staff pages' } });
    }
  });
}
