/** The knex handle. All SQL lives under db/. */
import knex, { type Knex } from 'knex';
import pg from 'pg';

export type Db = Knex;

// Calendar dates (DATE) stay 'YYYY-MM-DD' strings: turning them into JS Dates would shift them by the
// server's time zone. BIGINT (sums of cents, counters) becomes a number; refuse anything beyond 2^53.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('BIGINT value beyond the safe integer range');
  return n;
});

/** How long a query waits for a pooled connection, and how long opening one may take: an unreachable PostgreSQL must
 *  answer 503 within 5 s (lib/outage.ts), not after knex's default minute. A healthy pool hands one out at once. */
export const POOL_ACQUIRE_TIMEOUT_MS = 3000;
export const CONNECT_TIMEOUT_MS = 2000;

export function createDb(databaseUrl: string, poolMax = 10): Db {
  return knex({
    client: 'pg',
    connection: { connectionString: databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: POOL_ACQUIRE_TIMEOUT_MS,
  });
}

export async function ping(db: Db): Promise<void> {
  await db.raw('select 1');
}

/**
 * Runs `fn` in the caller's transaction when there is one, else in a new one. Ledger functions compose (a decision
 * applies money and opens a task in one transaction); joining the caller's saves a savepoint and its release, two
 * round trips per call, and changes nothing else: they write nothing before their last check, and a failed statement
 * fails the whole change either way.
 */
export function inTransaction<T>(db: Db, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Knex.Transaction) : db.transaction(fn);
}
