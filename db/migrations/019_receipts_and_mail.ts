/**
 * Receipts, delivery state and postal mail (issue 17, parts A–C):
 * - `patients.preferred_channel` (email | text | mail, nullable): how the patient wants to hear from the practice.
 *   Unset: receipts go by email when on file, else by text, else not at all (domain/receipt-channel.ts); statements as
 *   before (email and text when on file, mail always).
 * - the mailing address of record on `patients` (PHI): where a printed statement goes (mail/print-mail-notifier.ts).
 * - `notification_outbox`: kind `receipt` (with `payment_id`, the payment it acknowledges); state `suppressed` (a
 *   message not sent on purpose, e.g. the channel's consent withdrawn); `fallback_of`, the message whose failed
 *   delivery this one replaces: unique, so a failed message falls back once, whoever reports the failure and however
 *   often; `provider_ref`, the print-and-mail service's letter id (no PHI).
 * The kind and state checks are widened, never narrowed (whatever they allow when this runs stays allowed, plus
 * these), and written out here, not from the domain's lists: a migration stays what it was.
 */
import type { Knex } from 'knex';

/** The values a check `<column> in (…)` allows now, read from the catalogue. */
async function allowed(knex: Knex, constraint: string): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { def: string }[] }>(
    `select pg_get_constraintdef(c.oid) as def from pg_constraint c where c.conname = ? and c.conrelid = 'notification_outbox'::regclass`, [constraint],
  );
  return [...(rows[0]?.def ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
}

async function replaceCheck(knex: Knex, constraint: string, column: string, values: string[]): Promise<void> {
  await knex.raw(`alter table notification_outbox drop constraint if exists ${constraint}`);
  await knex.raw(`alter table notification_outbox add constraint ${constraint} check (${column} in (${[...new Set(values)].map((v) => `'${v.replace(/'/g, '')}'`).join(', ')}))`);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('patients', (t) => {
    t.text('preferred_channel').comment('email | text | mail; null: the default order (domain/receipt-channel.ts)');
    t.text('mailing_line1').comment('PHI: the mailing address of record');
    t.text('mailing_line2').comment('PHI');
    t.text('mailing_city').comment('PHI');
    t.text('mailing_state').comment('PHI');
    t.text('mailing_postal_code').comment('PHI');
    t.check(`preferred_channel is null or preferred_channel in ('email', 'text', 'mail')`, [], 'patients_preferred_channel');
  });
  const kinds = await allowed(knex, 'notification_outbox_kind');
  const states = await allowed(knex, 'notification_outbox_state');
  await replaceCheck(knex, 'notification_outbox_kind', 'kind', [...(kinds.length > 0 ? kinds : ['statement', 'reminder']), 'receipt']);
  await replaceCheck(knex, 'notification_outbox_state', 'state', [...(states.length > 0 ? states : ['pending', 'sent', 'failed', 'rejected']), 'suppressed']);
  await knex.schema.alterTable('notification_outbox', (t) => {
    t.uuid('payment_id').references('payments.id').comment('a receipt: the payment it acknowledges');
    t.uuid('fallback_of').unique().references('notification_outbox.id').comment('the message whose failed delivery this one replaces (once)');
    t.text('provider_ref').comment("the provider's id of the message, e.g. the print-and-mail service's letter id (no PHI)");
    t.index(['payment_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('notification_outbox').whereNotNull('fallback_of').delete();
  await knex('notification_outbox').where({ kind: 'receipt' }).delete();
  await knex.schema.alterTable('notification_outbox', (t) => {
    t.dropIndex(['payment_id']);
    t.dropColumns('payment_id', 'fallback_of', 'provider_ref');
  });
  // The kind and state checks go back to what they were (a message not sent on purpose was never sent: rejected).
  await knex('notification_outbox').where({ state: 'suppressed' }).update({ state: 'rejected' });
  await replaceCheck(knex, 'notification_outbox_kind', 'kind', (await allowed(knex, 'notification_outbox_kind')).filter((k) => k !== 'receipt'));
  await replaceCheck(knex, 'notification_outbox_state', 'state', (await allowed(knex, 'notification_outbox_state')).filter((k) => k !== 'suppressed'));
  await knex.schema.alterTable('patients', (t) => {
    t.dropChecks(['patients_preferred_channel']);
    t.dropColumns('preferred_channel', 'mailing_line1', 'mailing_line2', 'mailing_city', 'mailing_state', 'mailing_postal_code');
  });
}
