/** Read-only aggregates for the Prometheus gauges computed at scrape time (server/metrics.ts). Ids never leave here. */
import { IN_FLIGHT_STATUSES } from '../../domain/collections';
import type { Db } from '../connection';

/** Statuses in which a collection is still in flight (waiting for the EHR, the payer or staff). */

export interface InFlightCollections { path: string; status: string; count: number; oldestSeconds: number }
export interface OpenTasks { reason: string; count: number; oldestSeconds: number }

/** In-flight collections by path and status, with how long the oldest has been in that status. */
export async function inFlightCollections(db: Db): Promise<InFlightCollections[]> {
  const { rows } = await db.raw<{ rows: { path: string; status: string; count: number; oldest: number }[] }>(
    `select path, status, count(*)::int as count, coalesce(extract(epoch from now() - min(updated_at)), 0)::float8 as oldest
       from collections where status = any(?) group by path, status`,
    [[...IN_FLIGHT_STATUSES]],
  );
  return rows.map((r) => ({ path: r.path, status: r.status, count: r.count, oldestSeconds: r.oldest }));
}

/** Open manual tasks by reason, with the age of the oldest (credits have legal refund deadlines). */
export async function openManualTasks(db: Db): Promise<OpenTasks[]> {
  const { rows } = await db.raw<{ rows: { reason: string; count: number; oldest: number }[] }>(
    `select reason, count(*)::int as count, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
       from manual_tasks where status = 'open' group by reason`,
  );
  return rows.map((r) => ({ reason: r.reason, count: r.count, oldestSeconds: r.oldest }));
}

/** When a payment was captured, and the path of the collection it came from. */
export async function paymentCapture(db: Db, paymentId: string): Promise<{ paidAt: Date; path: string } | undefined> {
  const row = await db('payments as p')
    .leftJoin('collections as c', 'c.id', 'p.collection_id')
    .where('p.id', paymentId)
    .first<{ paid_at: Date; path: string | null } | undefined>('p.paid_at', 'c.path');
  return row && { paidAt: new Date(row.paid_at), path: row.path ?? 'unknown' };
}

/** The outbox of messages to runs (worker/outbox-relay.ts): how many wait for delivery and since when. */
export async function runMessagesBacklog(db: Db): Promise<{ pending: number; oldestSeconds: number }> {
  const { rows } = await db.raw<{ rows: { pending: number; oldest: number }[] }>(
    `select count(*)::int as pending, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
       from run_messages where delivered_at is null`,
  );
  return { pending: rows[0]!.pending, oldestSeconds: rows[0]!.oldest };
}
