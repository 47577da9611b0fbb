/**
 * A practice admin manages the practice's staff (issue 15): list, invite by email with a role, change a role,
 * deactivate. An invited person signs in with the practice's identity provider and is matched by that email; when
 * the practice has one configured, the email must be in its domain. Admins cannot lock themselves out: the last
 * admin is neither demoted nor deactivated (db/queries/staff-directory.ts), and nobody deactivates themselves here.
 */
import type { Db } from '../db/connection';
import type { Staff, StaffRole } from '../db/queries/staff';
import {
  changeStaffRole, deactivateStaff, inviteStaff, listStaff, practiceEmailDomain, staffMember, type StaffMember,
} from '../db/queries/staff-directory';
import { conflict, validationFailed } from '../lib/errors';

export type { StaffMember };

const actorOf = (staff: Staff) => `staff:${staff.id}`;

export async function staffOfPractice(deps: { db: Db }, staff: Staff): Promise<StaffMember[]> {
  return listStaff(deps.db, staff.practiceId);
}

export async function staffMemberOf(deps: { db: Db }, staff: Staff, staffId: string): Promise<StaffMember> {
  return staffMember(deps.db, staff.practiceId, staffId);
}

export async function invite(deps: { db: Db }, staff: Staff, body: { email: string; displayName: string; role: StaffRole }): Promise<StaffMember> {
  const domain = await practiceEmailDomain(deps.db, staff.practiceId);
  if (domain && !body.email.toLowerCase().endsWith(`@${domain}`)) {
    throw validationFailed([{ field: 'email', reason: `must be an address at ${domain}, the domain your practice signs in with` }]);
  }
  return inviteStaff(deps.db, { practiceId: staff.practiceId, ...body, actor: actorOf(staff) });
}

export async function changeRole(deps: { db: Db }, staff: Staff, staffId: string, role: StaffRole): Promise<StaffMember> {
  return changeStaffRole(deps.db, { practiceId: staff.practiceId, staffId, role, actor: actorOf(staff) });
}

export async function deactivate(deps: { db: Db }, staff: Staff, staffId: string): Promise<StaffMember> {
  if (staffId === staff.id) throw conflict('You cannot deactivate yourself; ask another admin.');
  return (await deactivateStaff(deps.db, { practiceId: staff.practiceId, staffId, actor: actorOf(staff) })).member;
}
