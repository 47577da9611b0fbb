/**
 * Counters of rate-limiter-flexible kept in PostgreSQL (`rate_limits`, db/migrations/014: the library's own layout),
 * so every API process counts against the same limits. Each consume is one atomic upsert (INSERT … ON CONFLICT DO
 * UPDATE … RETURNING points): parallel attempts from any process are counted one after the other, never lost. The
 * queries run on the app's knex pool: an unreachable PostgreSQL fails them within the pool's acquire timeout
 * (db/connection.ts), which the API answers with 503 like any other outage (lib/outage.ts).
 */
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Db } from '../connection';

export const RATE_LIMITS_TABLE = 'rate_limits';

export function postgresRateLimiter(db: Db, opts: { keyPrefix: string; points: number; duration: number; clearExpired?: boolean }): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: db, storeType: 'knex', tableName: RATE_LIMITS_TABLE, tableCreated: true,
    keyPrefix: opts.keyPrefix, points: opts.points, duration: opts.duration,
    // Rows expired for an hour are deleted every 5 minutes (an unref'd timer); one limiter per table does it.
    clearExpiredByTimeout: opts.clearExpired ?? false,
  });
}
