/** Who works a practice's queue: the roles a staff member (or an API token) acts with. Admin may do everything. */
export const STAFF_ROLES = ['front_desk', 'billing', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
