/**
 * Text messages and consent (issue 17, text-message part):
 * - `channel_consents`: per (patient, channel) whether the patient may be contacted there (email, text), who or what
 *   changed it last (source) and when. No row: the default (domain/channel-consent.ts: allowed when an address is on
 *   file). Changed at once by an SMS STOP/START reply, the email's unsubscribe link, the portal or staff; every change is
 *   audited in `audit_log` in the same transaction (before → after, source), so this table holds the current state and
 *   the audit log its history. No PHI: ids, a channel, a boolean.
 * - `notification_outbox` learns the states of a text message: `suppressed` (consent withdrawn: not sent, and never
 *   will be), `delivered` (the provider's callback: on the handset) and `undelivered` (the provider's callback: the
 *   carrier could not deliver it; final, never re-sent). `provider_status` keeps the provider's last word as it said it
 *   (queued, sent, delivered, undelivered, failed) and `status_at` its time; `message_id` holds the provider's message id
 *   (sid) of a text, as it holds the Message-ID of an email.
 * - the digits of a patient's phone number are indexed: an SMS reply finds its patients by number.
 *
 * The outbox's state check is widened, never narrowed: whatever states it allows when this runs (an earlier migration
 * may have added its own) stay allowed, plus these.
 */
import type { Knex } from 'knex';

const NEW_STATES = ['suppressed', 'delivered', 'undelivered'];
const CONSTRAINT = 'notification_outbox_state';

/** The values the state check allows now (read from the catalogue: `state = ANY (ARRAY['a'::text, …])`). */
async function allowedStates(knex: Knex): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { def: string }[] }>(
    `select pg_get_constraintdef(c.oid) as def from pg_constraint c where c.conname = ? and c.conrelid = 'notification_outbox'::regclass`, [CONSTRAINT],
  );
  const def = rows[0]?.def ?? '';
  return [...def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
}

async function replaceStateCheck(knex: Knex, states: string[]): Promise<void> {
  await knex.raw(`alter table notification_outbox drop constraint if exists ${CONSTRAINT}`);
  await knex.raw(`alter table notification_outbox add constraint ${CONSTRAINT} check (state in (${states.map((s) => `'${s.replace(/'/g, '')}'`).join(', ')}))`);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('channel_consents', (t) => {
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('practice_id').notNullable().references('practices.id');
    t.text('channel').notNullable();
    t.boolean('allowed').notNullable();
    t.text('source').notNullable().comment('reference_data, portal, sms_reply, email_unsubscribe or staff: what changed it last');
    t.timestamp('changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['patient_id', 'channel']);
    t.check(`channel in ('email', 'text')`, [], 'channel_consents_channel');
    t.check(`source in ('reference_data', 'portal', 'sms_reply', 'email_unsubscribe', 'staff')`, [], 'channel_consents_source');
  });

  const current = await allowedStates(knex);
  await replaceStateCheck(knex, [...new Set([...(current.length > 0 ? current : ['pending', 'sent', 'failed', 'rejected']), ...NEW_STATES])]);
  await knex.schema.alterTable('notification_outbox', (t) => {
    t.text('provider_status').comment("a text message: the provider's last delivery status as it said it (queued, sent, delivered, undelivered, failed)");
    t.timestamp('status_at', { useTz: true }).comment('when the provider last reported on it');
  });
  await knex.raw(`create index notification_outbox_text_message_id on notification_outbox (message_id) where channel = 'text' and message_id is not null`);
  await knex.raw(`create index patients_phone_digits on patients ((regexp_replace(phone, '[^0-9]', '', 'g'))) where phone is not null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists patients_phone_digits');
  await knex.raw('drop index if exists notification_outbox_text_message_id');
  await knex.schema.alterTable('notification_outbox', (t) => {
    t.dropColumns('provider_status', 'status_at');
  });
  // A reported text goes back to `sent`. `suppressed` stays allowed: migration 019 allows it too (its own down removes it).
  await knex('notification_outbox').whereIn('state', ['delivered', 'undelivered']).update({ state: 'sent' });
  const current = await allowedStates(knex);
  await replaceStateCheck(knex, current.filter((s) => s !== 'delivered' && s !== 'undelivered'));
  await knex.schema.dropTable('channel_consents');
}
