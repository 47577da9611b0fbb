/** A practice's staff, managed by its admin (issue 15): list, invite by email with a role, change a role, deactivate. */
import { z } from 'zod';
import { STAFF_ROLES } from '../domain/staff';
import { id, instant } from './common';
import { apiErrors, emptyBody, json, jsonBody, pathIds, type Operation } from './operation';

const role = z.enum(STAFF_ROLES, { error: 'must be front_desk, billing or admin' });

export const inviteBodySchema = z.strictObject({
  email: z.email({ error: 'must be an email address' }).max(320, { error: 'must be at most 320 characters' })
    .meta({ description: 'the address the person signs in with at the practice\'s identity provider' }),
  displayName: z.string({ error: 'a name is required' }).trim().min(1, { error: 'a name is required' }).max(200, { error: 'must be at most 200 characters' }),
  role,
});
export const roleBodySchema = z.strictObject({ role });

export const staffMemberSchema = z.strictObject({
  staffId: id(), displayName: z.string(), email: z.string().nullable(), role, kind: z.enum(['person', 'system']),
  status: z.enum(['invited', 'active', 'deactivated']).meta({ description: 'invited: has not signed in yet' }),
  createdAt: instant(), deactivatedAt: instant().nullable(),
});
export const staffListSchema = z.strictObject({ staff: z.array(staffMemberSchema) });

const admin = '(admin); audited';

export const staffDirectoryOperations: Operation[] = [
  {
    method: 'get', path: '/v1/staff', summary: "The practice's staff: people and systems, active first (admin)",
    responses: { 200: json('{ staff: [member] }', staffListSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/staff', summary: `Invite a person by email with a role ${admin}`,
    description: "They sign in with the practice's identity provider and are matched by this email (which must be in the practice's sign-in domain when one is configured). The same email twice → 409.",
    request: { body: jsonBody(inviteBodySchema) },
    responses: { 201: json('the invited member (status invited)', staffMemberSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/staff/{staffId}', summary: 'A staff member (admin)',
    request: { params: pathIds('staffId') }, responses: { 200: json('member', staffMemberSchema), ...apiErrors },
  },
  {
    method: 'put', path: '/v1/staff/{staffId}/role', summary: `Change a member's role ${admin}`,
    description: 'Their API tokens follow the new role. The last active admin cannot be demoted (409).',
    request: { params: pathIds('staffId'), body: jsonBody(roleBodySchema) },
    responses: { 200: json('member', staffMemberSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/staff/{staffId}/deactivate', summary: `Deactivate a member ${admin}`,
    description: 'Their sessions end at once and their API tokens stop working (401). Idempotent. Not yourself, not the last active admin (409).',
    request: { params: pathIds('staffId'), body: jsonBody(emptyBody, false) },
    responses: { 200: json('member (status deactivated)', staffMemberSchema), ...apiErrors },
  },
];
