/**
 * Reversals (issue 12): `collections.waiting_until` is when the run's current wait ends, written with each status. A
 * payer reversal leaves a copay's reversed money to its run only while that run still watches for it (status
 * `applied`, waiting_until in the future); any other reversed money goes to staff at once (db/queries/claim-reversals.ts).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('collections', (t) => {
    t.timestamp('waiting_until', { useTz: true }).comment("when the run's current wait ends (null: not waiting on a clock)");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('collections', (t) => t.dropColumn('waiting_until'));
}
