/**
 * The staff work queue (issue 5):
 * - manual tasks record when they were assigned, may be resolved as `closed` (a task with no money left to place,
 *   e.g. an unpaid statement's follow-up), and are listed oldest first by keyset (practice, status, created_at, id);
 * - staff browser sessions: server-side, so signing out ends them at once; the cookie carries a random id whose
 *   SHA-256 alone is stored, and each session has its own CSRF token (synchronizer token pattern);
 * - the refund requests sent to the EHR: an outbox row written in the transaction that records the refund, then
 *   delivered by the `ehrRefundRequest` workflow (exactly once by the refund id, which is the EHR's idempotency key).
 */
import type { Knex } from 'knex';
import { MAX_PAYMENT_CENTS } from '../../domain/money';

export const TASK_RESOLUTIONS = ['applied', 'credit', 'refund', 'closed'];
const OLD_TASK_RESOLUTIONS = ['applied', 'credit', 'refund'];
const inList = (column: string, values: readonly string[]) => `${column} in (${values.map((v) => `'${v}'`).join(', ')})`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('manual_tasks', (t) => {
    t.timestamp('assigned_at', { useTz: true });
    t.dropChecks(['manual_tasks_resolution']);
    t.check(inList('resolution', TASK_RESOLUTIONS), [], 'manual_tasks_resolution');
    t.index(['practice_id', 'status', 'created_at', 'id'], 'manual_tasks_queue_order');
  });

  await knex.schema.createTable('staff_sessions', (t) => {
    t.text('id_sha256').primary().comment('SHA-256 of the cookie value; the value itself is never stored');
    t.uuid('staff_user_id').notNullable().references('staff_users.id');
    t.text('csrf_token').notNullable().comment('random; every cookie-authenticated form must post it back');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['staff_user_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('ehr_refund_requests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('refund_id').notNullable().unique().references('refunds.id');
    t.uuid('task_id').references('manual_tasks.id');
    t.uuid('practice_id').notNullable().references('practices.id');
    t.integer('amount_cents').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.text('ehr_refund_request_id').comment("the EHR's id of the refund request, once sent");
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.index(['task_id']);
    t.index(['practice_id', 'status']);
    t.check(inList('status', ['pending', 'sent']), [], 'ehr_refund_requests_status');
    t.check(`amount_cents > 0 and amount_cents <= ${MAX_PAYMENT_CENTS}`, [], 'ehr_refund_requests_amount');
    t.check("(status = 'sent') = (sent_at is not null and ehr_refund_request_id is not null)", [], 'ehr_refund_requests_sent_complete');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ehr_refund_requests');
  await knex.schema.dropTable('staff_sessions');
  await knex.schema.alterTable('manual_tasks', (t) => {
    t.dropIndex(['practice_id', 'status', 'created_at', 'id'], 'manual_tasks_queue_order');
    t.dropChecks(['manual_tasks_resolution']);
    t.check(inList('resolution', OLD_TASK_RESOLUTIONS), [], 'manual_tasks_resolution');
    t.dropColumn('assigned_at');
  });
}
