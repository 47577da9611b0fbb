/**
 * Idempotency keys with a lease (issue 11): a request holds its key from `locked_at` for the lease
 * (`IDEMPOTENCY_LEASE`); a key still `in_progress` after that belongs to a request whose process died, and the next
 * retry takes it over (db/queries/idempotency.ts). `lock_id` names the claim that holds the key, so a request that
 * outlived its lease cannot complete or release the key its successor now holds. Keys that were `in_progress` when
 * this runs get a lease from now: they are freed one lease later instead of never.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.timestamp('locked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
      .comment('when the request now holding the key claimed it (first claim or takeover)');
    t.uuid('lock_id').comment('the claim holding the key; only its request may complete or release it');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('lock_id');
    t.dropColumn('locked_at');
  });
}
