/**
 * A claim back with the patient looks for its open reversal tasks (db/queries/claim-reversals.ts `reapplyReturnedMoney`),
 * on every transfer: a partial index keeps that one lookup small whatever the size of the task history.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw("create index manual_tasks_open_by_claim on manual_tasks (claim_id) where status = 'open'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index manual_tasks_open_by_claim');
}
