/**
 * A practice's staff as its admin manages them (issue 15): invite a person by email with a role, change the role,
 * deactivate. Every change is audited (ids and roles; never an email or a name). A deactivated member's sessions end
 * at once and their tokens stop working (db/queries/staff.ts looks only at active members). The practice always keeps
 * one active admin who is a person: the last one can be neither demoted nor deactivated.
 */
import type { Knex } from 'knex';
import type { Db } from '../connection';
import { RowNotFound, StateConflict } from '../errors';
import { writeAudit } from './audit';
import type { StaffRole } from './staff';

export interface StaffMember {
  staffId: string;
  displayName: string;
  email: string | null;
  role: StaffRole;
  kind: 'person' | 'system';
  /** invited: no sign-in yet; active: has signed in (or holds a token); deactivated. */
  status: 'invited' | 'active' | 'deactivated';
  createdAt: Date;
  deactivatedAt: Date | null;
}

interface StaffRow {
  id: string; display_name: string; email: string | null; role: StaffRole; kind: 'person' | 'system'; oidc_subject: string | null;
  created_at: Date; deactivated_at: Date | null; has_token: boolean;
}

const COLUMNS = [
  'u.id', 'u.display_name', 'u.email', 'u.role', 'u.kind', 'u.oidc_subject', 'u.created_at', 'u.deactivated_at',
] as const;

function memberOf(r: StaffRow): StaffMember {
  const status = r.deactivated_at ? 'deactivated' : r.oidc_subject || r.has_token ? 'active' : 'invited';
  return {
    staffId: r.id, displayName: r.display_name, email: r.email, role: r.role, kind: r.kind, status, createdAt: r.created_at, deactivatedAt: r.deactivated_at,
  };
}

function staffQuery(db: Db) {
  return db('staff_users as u').select(
    ...COLUMNS,
    db.raw('exists (select 1 from api_tokens t where t.staff_user_id = u.id and t.revoked_at is null) as has_token'),
  );
}

export async function listStaff(db: Db, practiceId: string): Promise<StaffMember[]> {
  const rows = await staffQuery(db).where('u.practice_id', practiceId).orderBy([{ column: 'u.deactivated_at', order: 'desc', nulls: 'first' }, { column: 'u.display_name' }, { column: 'u.id' }]);
  return (rows as StaffRow[]).map(memberOf);
}

export async function staffMember(db: Db, practiceId: string, staffId: string): Promise<StaffMember> {
  const row = await staffQuery(db).where({ 'u.practice_id': practiceId, 'u.id': staffId }).first<StaffRow | undefined>();
  if (!row) throw new RowNotFound('staff member');
  return memberOf(row);
}

/** Invites a person: a staff row with their email (lower case) and role, matched at their first sign-in. */
export async function inviteStaff(
  db: Db,
  input: { practiceId: string; email: string; displayName: string; role: StaffRole; actor: string },
): Promise<StaffMember> {
  return db.transaction(async (trx) => {
    const email = input.email.toLowerCase();
    const [row] = await trx('staff_users')
      .insert({ practice_id: input.practiceId, email, display_name: input.displayName, role: input.role, kind: 'person', invited_by: input.actor })
      .onConflict(trx.raw('(practice_id, email) where email is not null'))
      .ignore()
      .returning<{ id: string }[]>('id');
    if (!row) throw new StateConflict('Someone with this email is already on the practice\'s staff.');
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'staff.invited', entityType: 'staff_user', entityId: row.id,
      before: null, after: { staffId: row.id, role: input.role },
    });
    return staffMember(trx, input.practiceId, row.id);
  });
}

/** Active person admins other than `staffId`, counted under a lock of the practice's staff rows. */
async function otherActiveAdmins(trx: Knex.Transaction, practiceId: string, staffId: string): Promise<number> {
  const rows = await trx('staff_users').where({ practice_id: practiceId }).orderBy('id').forUpdate().select<{ id: string; role: string; kind: string; deactivated_at: Date | null }[]>(
    'id', 'role', 'kind', 'deactivated_at',
  );
  return rows.filter((r) => r.id !== staffId && r.role === 'admin' && r.kind === 'person' && !r.deactivated_at).length;
}

async function lockedMember(trx: Knex.Transaction, practiceId: string, staffId: string) {
  const row = await trx('staff_users').where({ practice_id: practiceId, id: staffId }).forUpdate()
    .first<{ id: string; role: StaffRole; kind: string; deactivated_at: Date | null } | undefined>('id', 'role', 'kind', 'deactivated_at');
  if (!row) throw new RowNotFound('staff member');
  return row;
}

export async function changeStaffRole(db: Db, input: { practiceId: string; staffId: string; role: StaffRole; actor: string }): Promise<StaffMember> {
  return db.transaction(async (trx) => {
    const others = await otherActiveAdmins(trx, input.practiceId, input.staffId);
    const member = await lockedMember(trx, input.practiceId, input.staffId);
    if (member.deactivated_at) throw new StateConflict('This staff member is deactivated; invite them again instead.');
    if (member.role === input.role) return staffMember(trx, input.practiceId, input.staffId);
    if (member.role === 'admin' && member.kind === 'person' && others === 0) {
      throw new StateConflict('This is the practice\'s last admin: make someone else an admin first.');
    }
    await trx('staff_users').where({ id: member.id }).update({ role: input.role });
    // A person's own tokens act with their role; a system's token was created with one: both follow the change.
    await trx('api_tokens').where({ staff_user_id: member.id }).update({ role: input.role });
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'staff.role_changed', entityType: 'staff_user', entityId: member.id,
      before: { role: member.role }, after: { role: input.role },
    });
    return staffMember(trx, input.practiceId, input.staffId);
  });
}

/** Deactivates a member: their sessions end now, their tokens stop working; the row stays (the audit trail names it). */
export async function deactivateStaff(db: Db, input: { practiceId: string; staffId: string; actor: string }): Promise<{ member: StaffMember; changed: boolean }> {
  return db.transaction(async (trx) => {
    const others = await otherActiveAdmins(trx, input.practiceId, input.staffId);
    const member = await lockedMember(trx, input.practiceId, input.staffId);
    if (member.deactivated_at) return { member: await staffMember(trx, input.practiceId, input.staffId), changed: false };
    if (member.role === 'admin' && member.kind === 'person' && others === 0) {
      throw new StateConflict('This is the practice\'s last admin: make someone else an admin first.');
    }
    await trx('staff_users').where({ id: member.id }).update({ deactivated_at: trx.fn.now() });
    const sessions = await trx('staff_sessions').where({ staff_user_id: member.id }).delete();
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'staff.deactivated', entityType: 'staff_user', entityId: member.id,
      before: { role: member.role }, after: { deactivated: true, sessionsEnded: sessions },
    });
    return { member: await staffMember(trx, input.practiceId, input.staffId), changed: true };
  });
}

/** The email domain the practice's staff sign in with, when it has an identity provider configured. */
export async function practiceEmailDomain(db: Db, practiceId: string): Promise<string | undefined> {
  const row = await db('practice_identity_providers').where({ practice_id: practiceId }).first<{ allowed_email_domain: string } | undefined>('allowed_email_domain');
  return row?.allowed_email_domain;
}
