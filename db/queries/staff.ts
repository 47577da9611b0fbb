import { createHash } from 'node:crypto';
import type { Db } from '../connection';

export type StaffRole = 'front_desk' | 'billing' | 'admin';
export interface Staff { id: string; practiceId: string; role: StaffRole; displayName: string }

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Tokens are stored only as SHA-256 hashes: a database leak does not leak credentials. */
export async function staffByToken(db: Db, token: string): Promise<Staff | undefined> {
  const row = await db('staff_users')
    .where({ token_sha256: tokenHash(token) })
    .first<{ id: string; practice_id: string; role: StaffRole; display_name: string } | undefined>('id', 'practice_id', 'role', 'display_name');
  return row && { id: row.id, practiceId: row.practice_id, role: row.role, displayName: row.display_name };
}

export async function upsertStaff(db: Db, s: { practiceId: string; displayName: string; role: StaffRole; token: string }): Promise<void> {
  await db('staff_users')
    .insert({ practice_id: s.practiceId, display_name: s.displayName, role: s.role, token_sha256: tokenHash(s.token) })
    .onConflict('token_sha256')
    .merge(['display_name', 'role']);
}
