/**
 * Statements (path 3 of shared/domain.md) and the patient portal:
 * - statements get their date, their workflow id and the progress the statement workflow records (sent, reminders,
 *   closed);
 * - a statement payment is a `collections` row with path 'statement' linked to its statement. Its workflow is the
 *   statement's (`statement-<statementId>`), which receives the capture, so several collections share one workflow
 *   id: the workflow id stays unique for the other paths only;
 * - the notification outbox (what the local notifier "sent": every statement and reminder, per channel), exactly once
 *   per business key;
 * - portal lookup attempts and lock-outs, in PostgreSQL so they hold across API replicas. Accounts and clients appear
 *   only as keyed hashes (HMAC with the portal secret), never in clear.
 */
import type { Knex } from 'knex';

export const NOTIFICATION_CHANNELS = ['email', 'text', 'mail'];
export const NOTIFICATION_KINDS = ['statement', 'reminder'];
const inList = (column: string, values: readonly string[]) => `${column} in (${values.map((v) => `'${v}'`).join(', ')})`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('statements', (t) => {
    t.date('statement_date').comment('the practice-local date the statement was generated');
    t.text('workflow_id').unique();
    t.timestamp('sent_at', { useTz: true });
    t.integer('reminders_sent').notNullable().defaultTo(0);
    t.timestamp('closed_at', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['patient_id', 'status']);
    t.check('reminders_sent >= 0', [], 'statements_reminders_nonnegative');
  });
  await knex.raw('create index statement_lines_claim_id_index on statement_lines (claim_id)');

  await knex.schema.alterTable('collections', (t) => {
    t.uuid('statement_id').references('statements.id');
    t.index(['statement_id']);
    t.check("(path = 'statement') = (statement_id is not null)", [], 'collections_statement_link');
  });
  // Every payment of a statement is delivered to the statement's one workflow.
  await knex.raw('alter table collections drop constraint collections_workflow_id_unique');
  await knex.raw("create unique index collections_workflow_id_unique on collections (workflow_id) where path <> 'statement'");

  await knex.schema.createTable('notification_outbox', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('statement_id').references('statements.id');
    t.text('channel').notNullable();
    t.text('kind').notNullable();
    t.integer('sequence').notNullable().defaultTo(0).comment('0 = the statement, n = the n-th reminder');
    t.text('recipient').notNullable().comment('PHI: an email address, a phone number, or the mailing address of record');
    t.text('subject');
    t.text('body').notNullable().comment('PHI: the message as the patient receives it');
    t.text('business_key').notNullable().unique().comment('statement:{id}:{kind}:{sequence}:{channel}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['practice_id', 'created_at']);
    t.index(['statement_id']);
    t.check(inList('channel', NOTIFICATION_CHANNELS), [], 'notification_outbox_channel');
    t.check(inList('kind', NOTIFICATION_KINDS), [], 'notification_outbox_kind');
  });

  await knex.schema.createTable('portal_login_attempts', (t) => {
    t.bigIncrements('id');
    t.text('account_key').notNullable().comment('HMAC of the normalised account id');
    t.text('client_key').notNullable().comment('HMAC of the client IP address');
    t.boolean('succeeded').notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_key', 'at']);
    t.index(['client_key', 'at']);
  });

  await knex.schema.createTable('portal_lockouts', (t) => {
    t.text('key').primary().comment('account:<hmac> or client:<hmac>');
    t.timestamp('locked_until', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('portal_lockouts');
  await knex.schema.dropTable('portal_login_attempts');
  await knex.schema.dropTable('notification_outbox');
  await knex.raw('drop index collections_workflow_id_unique');
  await knex.raw('alter table collections add constraint collections_workflow_id_unique unique (workflow_id)');
  await knex.schema.alterTable('collections', (t) => {
    t.dropChecks(['collections_statement_link']);
    t.dropIndex(['statement_id']);
    t.dropForeign(['statement_id']);
    t.dropColumn('statement_id');
  });
  await knex.raw('drop index statement_lines_claim_id_index');
  await knex.schema.alterTable('statements', (t) => {
    t.dropChecks(['statements_reminders_nonnegative']);
    t.dropIndex(['patient_id', 'status']);
    t.dropUnique(['workflow_id']);
    t.dropColumns('statement_date', 'workflow_id', 'sent_at', 'reminders_sent', 'closed_at', 'updated_at');
  });
}
