/**
 * Channel preferences and delivery reports (issue 17, last part):
 * - `patients.preferred_channel_source` / `preferred_channel_changed_at`: who set the preferred channel last
 *   (`reference_data`: the EHR's record; `portal`: the patient; `staff`) and when. The EHR's record sets it only while
 *   no person has chosen (null or `reference_data`): a patient's own choice in the portal is not overwritten by the
 *   next demographic update of the EHR, which still carries the old value.
 * - an index on the Message-ID of emails (`notification_outbox.message_id` where channel = 'email'): the email
 *   provider's bounce and complaint reports (POST /webhooks/email) name the message by it.
 * No PHI: a channel word, a source word, a time.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('patients', (t) => {
    t.text('preferred_channel_source').comment('reference_data | portal | staff: who set preferred_channel last (null: never set)');
    t.timestamp('preferred_channel_changed_at', { useTz: true }).comment('when preferred_channel was last set');
    t.check(`preferred_channel_source is null or preferred_channel_source in ('reference_data', 'portal', 'staff')`, [], 'patients_preferred_channel_source');
  });
  await knex.raw(`update patients set preferred_channel_source = 'reference_data', preferred_channel_changed_at = updated_at where preferred_channel is not null`);
  await knex.raw(`create index notification_outbox_email_message_id on notification_outbox (message_id) where channel = 'email' and message_id is not null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists notification_outbox_email_message_id');
  await knex.schema.alterTable('patients', (t) => {
    t.dropChecks(['patients_preferred_channel_source']);
    t.dropColumns('preferred_channel_source', 'preferred_channel_changed_at');
  });
}
