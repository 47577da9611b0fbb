/** Diagnostic table for the wiring-check workflow: proves API → Temporal → worker → PostgreSQL end to end. */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('wiring_checks', (t) => {
    t.text('workflow_id').primary().comment('one row per run: the activity is idempotent by this key');
    t.text('requested_by').notNullable();
    t.timestamp('checked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('wiring_checks');
}
