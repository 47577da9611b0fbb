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

export function createDb(databaseUrl: string, poolMax = 10): Db {
  return knex({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: poolMax } });
}

export async function ping(db: Db): Promise<void> {
  await db.raw('select 1');
}
