/**
 * Email delivery (issue 17, first part):
 * - `notification_outbox` gets its delivery state. A message is written here BEFORE it is handed to the SMTP server
 *   (`pending`), then marked `sent` (with the time), `failed` (retried) or `rejected` (refused for good by the server), with a reason code, never the
 *   server's text, which may quote the address); `attempts` counts the hand-overs tried. The email adapter sends what
 *   this row holds (subject, text, HTML, the PDF), so a retry sends the very same message, under the same Message-ID
 *   (derived from the business key). Rows written before this migration, and every message of the outbox-only notifier
 *   (text, mail), are `sent`: the outbox row is their delivery.
 * - `pay_links`: a statement's signed pay link (text-to-pay). One per message business key (a retried send mints no
 *   second link), valid until `expires_at` and for `max_uses` successful sign-ins, counted here atomically.
 *   No PHI: ids, counts and times only.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notification_outbox', (t) => {
    t.text('state').notNullable().defaultTo('sent').comment('pending → sent; failed (retried by the activity) or rejected (refused for good); sent for outbox-only channels');
    t.integer('attempts').notNullable().defaultTo(0).comment('hand-overs to the SMTP server tried');
    t.text('last_error').comment('a reason code of the last failed hand-over (no server text, no PHI)');
    t.text('message_id').comment('the Message-ID header, <sha256(business key)@domain>: no PHI');
    t.timestamp('sent_at', { useTz: true });
    t.text('html').comment('PHI: the HTML body of an email');
    t.text('attachment_name');
    t.binary('attachment').comment('PHI: the statement PDF attached to an email');
    t.check(`state in ('pending', 'sent', 'failed', 'rejected')`, [], 'notification_outbox_state');
    t.check('attempts >= 0', [], 'notification_outbox_attempts_nonnegative');
  });
  await knex.raw(`create index notification_outbox_undelivered on notification_outbox (created_at) where state <> 'sent'`);

  await knex.schema.createTable('pay_links', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('statement_id').notNullable().references('statements.id');
    t.text('business_key').notNullable().unique().comment('the message it was minted for: statement:{id}:{kind}:{sequence}:email');
    t.integer('max_uses').notNullable();
    t.integer('uses').notNullable().defaultTo(0);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['statement_id']);
    t.check('max_uses > 0 and uses >= 0 and uses <= max_uses', [], 'pay_links_uses_bounded');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('pay_links');
  await knex.raw('drop index if exists notification_outbox_undelivered');
  await knex.schema.alterTable('notification_outbox', (t) => {
    t.dropChecks(['notification_outbox_state', 'notification_outbox_attempts_nonnegative']);
    t.dropColumns('state', 'attempts', 'last_error', 'message_id', 'sent_at', 'html', 'attachment_name', 'attachment');
  });
}
