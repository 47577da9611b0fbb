/**
 * Collections get a status projection (the workflow keeps it current for lists and lookups; Temporal stays the
 * source of truth for the run) and the EHR payment request they opened. Staff users authenticate with bearer
 * tokens, stored only as SHA-256 hashes.
 */
import type { Knex } from 'knex';

export const COLLECTION_STATUSES = [
  'starting', 'awaiting_capture', 'awaiting_transfer', 'applied', 'needs_attention', 'resolved', 'expired', 'cancelled',
];
export const STAFF_ROLES = ['front_desk', 'billing', 'admin'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('collections', (t) => {
    t.text('status').notNullable().defaultTo('starting');
    t.text('payment_request_id');
    t.text('payment_request_url');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check(`status in (${COLLECTION_STATUSES.map((s) => `'${s}'`).join(', ')})`, [], 'collections_status');
  });
  // Pressing Collect Now twice must not open two copay collections for one visit.
  await knex.raw(
    "create unique index collections_one_live_copay_per_visit on collections (visit_id) where path = 'copay' and status not in ('expired', 'cancelled')",
  );

  await knex.schema.createTable('staff_users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.text('display_name').notNullable();
    t.text('role').notNullable();
    t.text('token_sha256').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check(`role in (${STAFF_ROLES.map((s) => `'${s}'`).join(', ')})`, [], 'staff_users_role');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('staff_users');
  await knex.raw('drop index collections_one_live_copay_per_visit');
  await knex.schema.alterTable('collections', (t) => {
    t.dropChecks(['collections_status']);
    t.dropColumns('status', 'payment_request_id', 'payment_request_url', 'updated_at');
  });
}
