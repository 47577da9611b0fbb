/**
 * Reliability (issue 11):
 * - `run_messages`: the transactional outbox for messages to workflow runs. A database change that a run must hear
 *   about (a claim's responsibility changed) writes the change and its message in one transaction; the relay
 *   (worker/outbox-relay.ts) delivers it to Temporal until it succeeds. One row per business key (`message_key`).
 * - `webhook_inbox.claimed_at`: the lease of the delivery that is acting on an event. One delivery acts; concurrent
 *   duplicates wait for its answer; a delivery whose process died is taken over once the lease has run out.
 * - `collections.start_checked_at`: when the reconciler last made sure a collection still `starting` has its run.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('run_messages', (t) => {
    t.bigIncrements('id');
    t.text('message_key').notNullable().unique().comment('business key, e.g. claim:<id>:v<version>:<workflow id>');
    t.text('workflow_id').notNullable();
    t.text('message').notNullable().comment('the signal name, e.g. responsibilityChanged');
    t.jsonb('payload').notNullable().comment('ids and statuses only: no PHI');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('last_error').comment('error class of the last failed attempt, no message text');
    t.timestamp('delivered_at', { useTz: true });
    t.text('outcome').comment('delivered | run_closed');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("(delivered_at is null) = (outcome is null)", [], 'run_messages_outcome_when_delivered');
    t.check("outcome is null or outcome in ('delivered', 'run_closed')", [], 'run_messages_outcome');
  });
  // The relay's one question, "what is due?", reads only undelivered rows.
  await knex.raw('create index run_messages_due on run_messages (next_attempt_at, id) where delivered_at is null');

  await knex.schema.alterTable('webhook_inbox', (t) => {
    t.timestamp('claimed_at', { useTz: true }).comment('lease of the delivery acting on this event; null once answered or released');
  });

  await knex.schema.alterTable('collections', (t) => {
    t.timestamp('start_checked_at', { useTz: true }).comment('when the reconciler last made sure this starting collection has its run');
  });
  await knex.raw("create index collections_starting on collections (created_at) where status = 'starting'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index collections_starting');
  await knex.schema.alterTable('collections', (t) => t.dropColumn('start_checked_at'));
  await knex.schema.alterTable('webhook_inbox', (t) => t.dropColumn('claimed_at'));
  await knex.schema.dropTable('run_messages');
}
