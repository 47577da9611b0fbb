/** Idempotency-Key records: one per (principal, key); the stored response is replayed for a retried request. */
import type { Db } from '../connection';

export type ClaimOutcome =
  | { kind: 'claimed' }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; status: number; body: unknown };

export async function claimIdempotencyKey(db: Db, principal: string, key: string, requestHash: string): Promise<ClaimOutcome> {
  const inserted = await db('idempotency_keys')
    .insert({ principal, key, request_hash: requestHash, status: 'in_progress' })
    .onConflict(['principal', 'key'])
    .ignore()
    .returning('key');
  if (inserted.length > 0) return { kind: 'claimed' };
  const row = await db('idempotency_keys').where({ principal, key }).first<{ request_hash: string; status: string; response_status: number | null; response_body: unknown }>();
  if (row.request_hash !== requestHash) return { kind: 'mismatch' };
  if (row.status !== 'completed') return { kind: 'in_progress' };
  return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body };
}

export async function completeIdempotencyKey(db: Db, principal: string, key: string, status: number, body: unknown): Promise<void> {
  await db('idempotency_keys')
    .where({ principal, key, status: 'in_progress' })
    .update({ status: 'completed', response_status: status, response_body: JSON.stringify(body ?? null), completed_at: db.fn.now() });
}

/** A request that failed on our side may be retried with the same key. */
export async function releaseIdempotencyKey(db: Db, principal: string, key: string): Promise<void> {
  await db('idempotency_keys').where({ principal, key, status: 'in_progress' }).delete();
}
