/**
 * Card on file charged after adjudication (issue 18, docs/card-on-file-and-plans.md):
 * - `card_setups`: each card setup started with the processor and the patient it was started for (a setup authorises a
 *   card for that patient only).
 * - `saved_cards`: a card the patient saved with the processor: the processor's tokens (customer, payment method), the
 *   brand, the last 4 digits and the expiry. Never a card number.
 * - `card_authorisations`: the patient's agreement that the practice may charge that card, after a notice, once a
 *   visit's claim moves to the patient: at most `cap_cents` per visit, until `valid_until` (one visit or one year), the
 *   notice by `notice_channel`. Revocable (patient or staff): `revoked_at`. One per completed card setup.
 * - `card_charges`: each attempt to charge, written `pending` BEFORE the processor is called, under the business key
 *   that is also the processor's idempotency key (`card-charge:<authorisation>:<claim>:v<claim version>:a<attempt>`),
 *   then `succeeded` (with the processor's charge id and the payment it became) or `declined` (with the code). A
 *   trigger keeps pending + succeeded charges of an authorisation within its cap per visit, whatever runs at once.
 * - `card_charge_objections`: the patient (the notice's link) or staff asked not to charge for this claim: a statement
 *   instead. One per (authorisation, claim).
 * - practice settings: how long after the notice the card is charged (`card_notice_wait`) and when a declined charge
 *   is tried again (`card_retry_schedule`, offsets from the first attempt; default 0, 3 and 7 days).
 * - manual task reason `card_expired`: the card on file expired before a charge; staff ask the patient for a new one.
 * - notification kinds `card_notice` (the notice before a charge, and the one after a charge that could not be made) and
 *   `credit_notice` (the patient's credit went onto a new balance: db/queries/credits.ts).
 */
import type { Knex } from 'knex';

async function allowedValues(knex: Knex, table: string, constraint: string): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { def: string }[] }>(
    `select pg_get_constraintdef(c.oid) as def from pg_constraint c where c.conname = ? and c.conrelid = ?::regclass`, [constraint, table],
  );
  return [...(rows[0]?.def ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
}

async function replaceCheck(knex: Knex, table: string, constraint: string, column: string, values: string[]): Promise<void> {
  await knex.raw(`alter table ${table} drop constraint if exists ${constraint}`);
  await knex.raw(`alter table ${table} add constraint ${constraint} check (${column} in (${[...new Set(values)].map((v) => `'${v.replace(/'/g, '')}'`).join(', ')}))`);
}

export async function up(knex: Knex): Promise<void> {
  // Which patient each processor setup was started for: a setup reference authorises a card for that patient only.
  await knex.schema.createTable('card_setups', (t) => {
    t.text('setup_ref').primary();
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.text('processor').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('saved_cards', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.text('processor').notNullable();
    t.text('customer_ref').notNullable();
    t.text('payment_method_ref').notNullable();
    t.text('brand').notNullable();
    t.text('last4').notNullable();
    t.integer('exp_month').notNullable();
    t.integer('exp_year').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['practice_id', 'processor', 'payment_method_ref']);
    t.index(['patient_id']);
    t.check(`processor in ('standin', 'stripe')`, [], 'saved_cards_processor');
    t.check(`last4 ~ '^[0-9]{4}$'`, [], 'saved_cards_last4');
    t.check(`exp_month between 1 and 12 and exp_year between 2000 and 2200`, [], 'saved_cards_expiry');
  });

  await knex.schema.createTable('card_authorisations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('saved_card_id').notNullable().references('saved_cards.id');
    t.integer('cap_cents').notNullable();
    t.text('scope').notNullable().comment('visit: this visit only; year: every visit until valid_until');
    t.uuid('visit_id').references('visits.id');
    t.timestamp('valid_until', { useTz: true }).notNullable();
    t.text('notice_channel').notNullable();
    t.text('created_via').notNullable();
    t.text('created_by').notNullable();
    t.text('business_key').notNullable().unique().comment('card-setup:<processor setup ref>: one authorisation per saved card setup');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    t.index(['patient_id']);
    t.index(['visit_id']);
    t.check(`cap_cents > 0 and cap_cents <= 10000000`, [], 'card_authorisations_cap');
    t.check(`scope in ('visit', 'year')`, [], 'card_authorisations_scope');
    t.check(`(scope = 'visit') = (visit_id is not null)`, [], 'card_authorisations_visit');
    t.check(`notice_channel in ('email', 'text', 'mail')`, [], 'card_authorisations_notice_channel');
    t.check(`created_via in ('front_desk', 'portal')`, [], 'card_authorisations_created_via');
    t.check(`(revoked_at is null) = (revoked_by is null)`, [], 'card_authorisations_revoked');
  });

  await knex.schema.createTable('card_charges', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('authorisation_id').notNullable().references('card_authorisations.id');
    t.uuid('claim_id').notNullable().references('claims.id');
    t.uuid('visit_id').notNullable().references('visits.id');
    t.text('business_key').notNullable().unique().comment("also the processor's idempotency key");
    t.integer('amount_cents').notNullable();
    t.text('state').notNullable().defaultTo('pending');
    t.text('decline_code');
    t.text('charge_ref').comment("the processor's charge id (Stripe: pi_…)");
    t.uuid('payment_id').unique().references('payments.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['authorisation_id', 'visit_id']);
    t.index(['claim_id']);
    t.check(`amount_cents > 0 and amount_cents <= 10000000`, [], 'card_charges_amount');
    t.check(`state in ('pending', 'succeeded', 'declined')`, [], 'card_charges_state');
    t.check(`(state = 'succeeded') = (charge_ref is not null and payment_id is not null)`, [], 'card_charges_succeeded');
    t.check(`(state = 'declined') = (decline_code is not null)`, [], 'card_charges_declined');
  });
  // Pending and succeeded charges of one authorisation for one visit never exceed its cap: checked under a lock on the
  // authorisation, so two claims of a visit moving at once cannot both pass.
  await knex.raw(`
    create function card_charges_within_cap() returns trigger language plpgsql as $$
    declare cap integer; total bigint;
    begin
      select cap_cents into cap from card_authorisations where id = new.authorisation_id for update;
      select coalesce(sum(amount_cents), 0) into total from card_charges
        where authorisation_id = new.authorisation_id and visit_id = new.visit_id and state in ('pending', 'succeeded') and id <> new.id;
      if new.state in ('pending', 'succeeded') and total + new.amount_cents > cap then
        raise exception 'card charge over the authorisation cap' using errcode = 'check_violation', constraint = 'card_charges_within_cap';
      end if;
      return new;
    end $$`);
  await knex.raw(`create trigger card_charges_within_cap before insert or update on card_charges for each row execute function card_charges_within_cap()`);

  await knex.schema.createTable('card_charge_objections', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('authorisation_id').notNullable().references('card_authorisations.id');
    t.uuid('claim_id').notNullable().references('claims.id');
    t.text('source').notNullable();
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['authorisation_id', 'claim_id']);
    t.check(`source in ('notice_link', 'portal', 'staff')`, [], 'card_charge_objections_source');
  });

  await knex.schema.alterTable('practices', (t) => {
    t.specificType('card_notice_wait', 'interval').notNullable().defaultTo(knex.raw(`'3 days'::interval`));
    t.specificType('card_retry_schedule', 'interval[]').notNullable().defaultTo(knex.raw(`'{0, 3 days, 7 days}'::interval[]`));
  });
  await knex.raw(`alter table practices add constraint practices_card_notice_wait check (card_notice_wait >= interval '0' and card_notice_wait <= interval '60 days')`);
  await knex.raw(`alter table practices add constraint practices_card_retry_schedule check (cardinality(card_retry_schedule) between 1 and 10)`);

  await replaceCheck(knex, 'manual_tasks', 'manual_tasks_reason', 'reason', [...await allowedValues(knex, 'manual_tasks', 'manual_tasks_reason'), 'card_expired']);
  await replaceCheck(knex, 'notification_outbox', 'notification_outbox_kind', 'kind', [...await allowedValues(knex, 'notification_outbox', 'notification_outbox_kind'), 'card_notice', 'credit_notice']);
}

export async function down(knex: Knex): Promise<void> {
  await knex('notification_outbox').whereIn('kind', ['card_notice', 'credit_notice']).delete();
  await replaceCheck(knex, 'notification_outbox', 'notification_outbox_kind', 'kind',
    (await allowedValues(knex, 'notification_outbox', 'notification_outbox_kind')).filter((k) => k !== 'card_notice' && k !== 'credit_notice'));
  await knex('manual_tasks').where({ reason: 'card_expired' }).delete();
  await replaceCheck(knex, 'manual_tasks', 'manual_tasks_reason', 'reason',
    (await allowedValues(knex, 'manual_tasks', 'manual_tasks_reason')).filter((r) => r !== 'card_expired'));
  await knex.raw('alter table practices drop constraint if exists practices_card_retry_schedule, drop constraint if exists practices_card_notice_wait');
  await knex.schema.alterTable('practices', (t) => t.dropColumns('card_notice_wait', 'card_retry_schedule'));
  await knex.schema.dropTable('card_charge_objections');
  await knex.raw('drop trigger if exists card_charges_within_cap on card_charges');
  await knex.raw('drop function if exists card_charges_within_cap()');
  await knex.schema.dropTable('card_charges');
  await knex.schema.dropTable('card_authorisations');
  await knex.schema.dropTable('saved_cards');
  await knex.schema.dropTable('card_setups');
}
