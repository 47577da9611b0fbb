/**
 * The whole domain schema of shared/domain.md. The database enforces what it can: positive integer cents,
 * one payment per external id, one application per business key, foreign keys, and append-only ledger tables
 * (a trigger refuses UPDATE, DELETE and TRUNCATE on them).
 */
import type { Knex } from 'knex';
import { MAX_PAYMENT_CENTS } from '../../domain/money';

export const LEDGER_TABLES = ['payments', 'payment_applications', 'application_reversals', 'refunds', 'audit_log'];

export const MANUAL_REASONS = [
  'date_mismatch', 'credit_remaining', 'transfer_timeout', 'claim_reversed', 'amount_mismatch', 'no_open_balance',
  'statement_unpaid',
];

const id = (t: Knex.CreateTableBuilder, knex: Knex) => t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
const createdAt = (t: Knex.CreateTableBuilder, knex: Knex) => t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
const inList = (column: string, values: readonly string[]) => `${column} in (${values.map((v) => `'${v}'`).join(', ')})`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('practices', (t) => {
    id(t, knex);
    t.text('external_id').notNullable().unique();
    t.text('name').notNullable();
    t.text('time_zone').notNullable().comment('IANA zone; every calendar date of this practice is in it');
    t.text('payment_page_url').notNullable();
    t.integer('statement_threshold_cents').notNullable().defaultTo(1000).checkPositive();
    createdAt(t, knex);
  });

  await knex.schema.createTable('patients', (t) => {
    id(t, knex);
    t.uuid('practice_id').notNullable().references('practices.id');
    t.text('external_id').notNullable();
    t.text('account_id').notNullable().unique().comment('random, non-sequential; printed on statements');
    t.text('first_name').notNullable();
    t.text('last_name').notNullable();
    t.date('date_of_birth').notNullable();
    t.text('email');
    t.text('phone');
    t.bigInteger('source_version').notNullable().comment('an older version never overwrites a newer one');
    createdAt(t, knex);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['practice_id', 'external_id']);
    t.check("account_id ~ '^[0-9A-HJKMNP-TV-Z]{10}$'", [], 'patients_account_id_format');
  });

  await knex.schema.createTable('visits', (t) => {
    id(t, knex);
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.text('external_id').notNullable();
    t.date('date_of_service').notNullable();
    t.text('provider_name');
    t.bigInteger('source_version').notNullable();
    createdAt(t, knex);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['practice_id', 'external_id']);
    t.index(['patient_id', 'date_of_service']);
  });

  await knex.schema.createTable('claims', (t) => {
    id(t, knex);
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('visit_id').notNullable().references('visits.id');
    t.text('external_id').notNullable();
    t.text('responsibility').notNullable().comment('who owes the open balance now: payer or patient');
    t.text('payer_name');
    t.text('payer_status').notNullable();
    t.integer('patient_responsibility_cents').notNullable().defaultTo(0);
    t.bigInteger('source_version').notNullable();
    createdAt(t, knex);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['practice_id', 'external_id']);
    t.index(['patient_id', 'responsibility']);
    t.check(inList('responsibility', ['payer', 'patient']), [], 'claims_responsibility');
    t.check('patient_responsibility_cents >= 0', [], 'claims_patient_responsibility_nonnegative');
  });

  await knex.schema.createTable('claim_lines', (t) => {
    id(t, knex);
    t.uuid('claim_id').notNullable().references('claims.id');
    t.integer('line_number').notNullable();
    t.text('procedure_code').notNullable();
    t.text('description');
    t.integer('charge_cents').notNullable();
    t.integer('insurer_paid_cents').notNullable().defaultTo(0);
    t.integer('adjustment_cents').notNullable().defaultTo(0);
    t.integer('patient_responsibility_cents').notNullable().defaultTo(0);
    t.unique(['claim_id', 'line_number']);
    t.check('charge_cents >= 0 and insurer_paid_cents >= 0 and adjustment_cents >= 0 and patient_responsibility_cents >= 0', [], 'claim_lines_cents_nonnegative');
  });

  await knex.schema.createTable('collections', (t) => {
    id(t, knex);
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('visit_id').references('visits.id');
    t.text('path').notNullable();
    t.text('workflow_id').notNullable().unique();
    t.integer('requested_amount_cents').notNullable();
    t.text('created_by').notNullable();
    createdAt(t, knex);
    t.check(inList('path', ['copay', 'balance', 'statement']), [], 'collections_path');
    t.check(`requested_amount_cents > 0 and requested_amount_cents <= ${MAX_PAYMENT_CENTS}`, [], 'collections_amount');
  });

  await knex.schema.createTable('payments', (t) => {
    id(t, knex);
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('collection_id').references('collections.id');
    t.uuid('visit_id').references('visits.id');
    t.text('external_id').notNullable().comment('the EHR / processor payment id');
    t.integer('amount_cents').notNullable();
    t.text('method').notNullable();
    t.text('reason').notNullable();
    t.timestamp('paid_at', { useTz: true }).notNullable();
    t.date('payment_date').notNullable().comment('paid_at on the practice calendar');
    createdAt(t, knex);
    t.unique(['practice_id', 'external_id']);
    t.index(['patient_id']);
    t.check(`amount_cents > 0 and amount_cents <= ${MAX_PAYMENT_CENTS}`, [], 'payments_amount');
    t.check(inList('method', ['cash', 'check', 'card']), [], 'payments_method');
    t.check(inList('reason', ['copay', 'outstanding_balance']), [], 'payments_reason');
  });

  await knex.schema.createTable('payment_applications', (t) => {
    id(t, knex);
    t.uuid('payment_id').notNullable().references('payments.id');
    t.uuid('claim_id').notNullable().references('claims.id');
    t.integer('amount_cents').notNullable();
    t.text('kind').notNullable();
    t.text('business_key').notNullable().unique().comment('e.g. payment:{id}:claim:{id}:auto');
    t.text('created_by').notNullable();
    createdAt(t, knex);
    t.index(['payment_id']);
    t.index(['claim_id']);
    t.check(`amount_cents > 0 and amount_cents <= ${MAX_PAYMENT_CENTS}`, [], 'payment_applications_amount');
    t.check(inList('kind', ['auto', 'manual']), [], 'payment_applications_kind');
  });

  await knex.schema.createTable('application_reversals', (t) => {
    id(t, knex);
    t.uuid('application_id').notNullable().unique().references('payment_applications.id');
    t.text('business_key').notNullable().unique();
    t.text('reason').notNullable();
    t.text('created_by').notNullable();
    createdAt(t, knex);
  });

  await knex.schema.createTable('refunds', (t) => {
    id(t, knex);
    t.uuid('payment_id').notNullable().references('payments.id');
    t.integer('amount_cents').notNullable();
    t.text('business_key').notNullable().unique();
    t.text('note').notNullable();
    t.text('created_by').notNullable();
    createdAt(t, knex);
    t.index(['payment_id']);
    t.check(`amount_cents > 0 and amount_cents <= ${MAX_PAYMENT_CENTS}`, [], 'refunds_amount');
  });

  await knex.schema.createTable('statements', (t) => {
    id(t, knex);
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.text('cycle').notNullable().comment('billing cycle key, e.g. 2026-11; at most one statement per cycle');
    t.integer('total_cents').notNullable();
    t.text('status').notNullable().defaultTo('open');
    createdAt(t, knex);
    t.unique(['patient_id', 'cycle']);
    t.check('total_cents > 0', [], 'statements_total_positive');
    t.check(inList('status', ['open', 'paid', 'unpaid']), [], 'statements_status');
  });

  await knex.schema.createTable('statement_lines', (t) => {
    id(t, knex);
    t.uuid('statement_id').notNullable().references('statements.id');
    t.uuid('claim_id').notNullable().references('claims.id');
    t.uuid('claim_line_id').references('claim_lines.id');
    t.date('date_of_service').notNullable();
    t.text('procedure_code').notNullable();
    t.text('description');
    t.integer('charge_cents').notNullable();
    t.integer('insurance_paid_cents').notNullable();
    t.integer('patient_paid_cents').notNullable();
    t.integer('adjustment_cents').notNullable();
    t.integer('balance_cents').notNullable();
    t.index(['statement_id']);
    t.check('charge_cents >= 0 and insurance_paid_cents >= 0 and patient_paid_cents >= 0 and adjustment_cents >= 0 and balance_cents >= 0', [], 'statement_lines_cents_nonnegative');
  });

  await knex.schema.createTable('manual_tasks', (t) => {
    id(t, knex);
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('payment_id').references('payments.id');
    t.uuid('visit_id').references('visits.id');
    t.uuid('claim_id').references('claims.id');
    t.uuid('statement_id').references('statements.id');
    t.uuid('collection_id').references('collections.id');
    t.text('workflow_id');
    t.text('reason').notNullable();
    t.text('status').notNullable().defaultTo('open');
    t.text('business_key').notNullable().unique();
    t.text('assignee');
    t.text('resolution');
    t.text('resolution_note');
    t.text('resolved_by');
    t.timestamp('resolved_at', { useTz: true });
    createdAt(t, knex);
    t.index(['practice_id', 'status', 'reason', 'created_at']);
    t.check(inList('reason', MANUAL_REASONS), [], 'manual_tasks_reason');
    t.check(inList('status', ['open', 'resolved']), [], 'manual_tasks_status');
    t.check(inList('resolution', ['applied', 'credit', 'refund']), [], 'manual_tasks_resolution');
    t.check(
      "(status = 'open' and resolved_at is null and resolution is null) or " +
        "(status = 'resolved' and resolved_at is not null and resolution is not null and resolved_by is not null and length(resolution_note) > 0)",
      [], 'manual_tasks_resolution_complete',
    );
  });

  await knex.schema.createTable('webhook_inbox', (t) => {
    t.bigIncrements('id');
    t.text('source').notNullable().comment('ehr | clearinghouse');
    t.text('event_id').notNullable();
    t.text('event_type').notNullable();
    t.jsonb('payload').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    t.text('outcome');
    t.unique(['source', 'event_id']);
  });

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.text('principal').notNullable().comment('who sent it: practice + user');
    t.text('key').notNullable();
    t.text('request_hash').notNullable();
    t.text('status').notNullable();
    t.integer('response_status');
    t.jsonb('response_body');
    createdAt(t, knex);
    t.timestamp('completed_at', { useTz: true });
    t.primary(['principal', 'key']);
    t.check(inList('status', ['in_progress', 'completed']), [], 'idempotency_keys_status');
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.uuid('practice_id').references('practices.id');
    t.text('actor').notNullable();
    t.text('action').notNullable();
    t.text('entity_type').notNullable();
    t.text('entity_id').notNullable();
    t.jsonb('before');
    t.jsonb('after');
    t.text('request_id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['entity_type', 'entity_id']);
  });

  await knex.raw(`
    create function refuse_ledger_change() returns trigger language plpgsql as $$
    begin
      raise exception '% on %: ledger rows are append-only; write a reversing entry instead', tg_op, tg_table_name
        using errcode = 'P0001';
    end $$;`);
  for (const table of LEDGER_TABLES) {
    await knex.raw(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function refuse_ledger_change()`);
    await knex.raw(`create trigger ${table}_no_truncate before truncate on ${table} for each statement execute function refuse_ledger_change()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_log', 'idempotency_keys', 'webhook_inbox', 'manual_tasks', 'statement_lines', 'statements', 'refunds',
    'application_reversals', 'payment_applications', 'payments', 'collections', 'claim_lines', 'claims', 'visits',
    'patients', 'practices',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('drop function if exists refuse_ledger_change()');
}
