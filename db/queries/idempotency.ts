/**
 * Idempotency-Key records: one per (principal, key); the stored response is replayed for a retried request. A request
 * holds its key for a lease: a key whose request died (its process killed) is taken over by the next retry once the
 * lease has passed, so a client is never locked out of its own key.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../connection';

export type ClaimOutcome =
  /** This request holds the key (a first claim, or a takeover of an expired lease); `lockId` completes or releases it. */
  | { kind: 'claimed'; lockId: string; takeover: boolean }
  /** Another request holds the key for `retryAfterSeconds` more (at least 1). */
  | { kind: 'in_progress'; retryAfterSeconds: number }
  | { kind: 'mismatch' }
  | { kind: 'replay'; status: number; body: unknown };

/**
 * One statement claims a new key or takes over an expired one: the conflicting row is locked by ON CONFLICT DO UPDATE,
 * so of concurrent takeovers exactly one sees the old `locked_at` and the others see its fresh one. A key is taken
 * over only for the same request (same hash); the lease is measured on the database's clock, shared by every API
 * process. `xmax = 0` is PostgreSQL's way to tell an inserted row from an updated one.
 */
const CLAIM_SQL = `
  insert into idempotency_keys (principal, key, request_hash, status, locked_at, lock_id)
  values (?, ?, ?, 'in_progress', now(), ?)
  on conflict (principal, key) do update set locked_at = now(), lock_id = excluded.lock_id
    where idempotency_keys.status = 'in_progress'
      and idempotency_keys.request_hash = excluded.request_hash
      and idempotency_keys.locked_at <= now() - make_interval(secs => ?)
  returning (xmax = 0) as inserted`;

interface KeyRow {
  request_hash: string;
  status: string;
  response_status: number | null;
  response_body: unknown;
  lease_left_seconds: number;
}

export async function claimIdempotencyKey(db: Db, principal: string, key: string, requestHash: string, leaseMs: number): Promise<ClaimOutcome> {
  // Twice at most: the row we failed to claim may be released (a 5xx) before we read it.
  for (let attempt = 0; ; attempt++) {
    const lockId = randomUUID();
    const claimed = await db.raw<{ rows: { inserted: boolean }[] }>(CLAIM_SQL, [principal, key, requestHash, lockId, leaseMs / 1000]);
    if (claimed.rows[0]) return { kind: 'claimed', lockId, takeover: !claimed.rows[0].inserted };
    const row = await db('idempotency_keys')
      .where({ principal, key })
      .first<KeyRow | undefined>(
        'request_hash', 'status', 'response_status', 'response_body',
        db.raw('ceil(extract(epoch from (locked_at + make_interval(secs => ?) - now())))::int as lease_left_seconds', [leaseMs / 1000]),
      );
    if (!row) {
      if (attempt === 0) continue;
      return { kind: 'in_progress', retryAfterSeconds: 1 };
    }
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.status === 'completed') return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body };
    return { kind: 'in_progress', retryAfterSeconds: Math.max(1, row.lease_left_seconds) };
  }
}

/** Stores the answer; only the claim holding the key may (one that outlived its lease lost it to a retry). */
export async function completeIdempotencyKey(db: Db, principal: string, key: string, lockId: string, status: number, body: unknown): Promise<boolean> {
  const updated = await db('idempotency_keys')
    .where({ principal, key, status: 'in_progress', lock_id: lockId })
    .update({ status: 'completed', response_status: status, response_body: JSON.stringify(body ?? null), completed_at: db.fn.now() });
  return updated > 0;
}

/** A request that failed on our side (or whose answer could not be stored) may be retried with the same key. */
export async function releaseIdempotencyKey(db: Db, principal: string, key: string, lockId: string): Promise<void> {
  await db('idempotency_keys').where({ principal, key, status: 'in_progress', lock_id: lockId }).delete();
}
