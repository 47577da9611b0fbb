/**
 * Payment plans (issue 18; docs/card-on-file-and-plans.md "Payment plans"): staff turn a patient's balance into installments
 * charged to a card on file (a yearly card authorisation), one Temporal run per plan (workflows/payment-plan.ts).
 * - `payment_plans`: the plan: practice, patient, the card authorisation it charges (scope 'year'), the total, the
 *   installment amount and count, the interval between installments (a PostgreSQL interval: '1 month' by default;
 *   '14 days'; the tests use seconds), the first due date on the practice's calendar, the status
 *   (active | paused | cancelled | completed | defaulted), how many failed installments put it in default, the practice's
 *   policy for new charges at creation ('join_plan' | 'next_statement'), who created it and through what. At most one
 *   live (active or paused) plan per patient.
 * - `payment_plan_installments`: one row per installment (plan, sequence): due date (practice calendar) and due instant,
 *   amount, state (scheduled | pending | paid | failed | skipped), the business key of its current attempt (the
 *   processor's idempotency key `plan:<planId>:installment:<n>:a<attempt>`), the processor's charge id and the payment
 *   it became. The installments that are not skipped sum to the plan's total (a deferred constraint trigger: a skip
 *   writes the skipped row and its replacement at the end in one transaction).
 * - `payment_plan_charges`: each attempt to charge an installment, written `pending` BEFORE the processor is called
 *   under that key (unique per (plan, sequence, attempt) and per key), then `succeeded` or `declined`.
 * - practice settings: the smallest installment (`plan_min_installment_cents`, $25.00), the longest plan
 *   (`plan_max_months`, 12), failed installments before default (`plan_max_failed_installments`, 2), and where new
 *   charges go while a plan runs (`plan_new_charges`, 'next_statement').
 * - manual task reason `plan_defaulted`: the plan is in default; its balance goes back to statements.
 * No PHI: ids, amounts, dates of the schedule.
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
  await knex.schema.alterTable('practices', (t) => {
    t.integer('plan_min_installment_cents').notNullable().defaultTo(2500);
    t.integer('plan_max_months').notNullable().defaultTo(12);
    t.integer('plan_max_failed_installments').notNullable().defaultTo(2);
    t.text('plan_new_charges').notNullable().defaultTo('next_statement');
  });
  await knex.raw(`alter table practices
    add constraint practices_plan_min_installment check (plan_min_installment_cents between 1 and 10000000),
    add constraint practices_plan_max_months check (plan_max_months between 1 and 60),
    add constraint practices_plan_max_failed check (plan_max_failed_installments between 1 and 12),
    add constraint practices_plan_new_charges check (plan_new_charges in ('join_plan', 'next_statement'))`);

  await knex.schema.createTable('payment_plans', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.uuid('authorisation_id').notNullable().references('card_authorisations.id');
    t.integer('total_cents').notNullable();
    t.integer('installment_cents').notNullable().comment('every installment but the last, which takes the remainder');
    t.integer('installment_count').notNullable();
    t.specificType('installment_interval', 'interval').notNullable().defaultTo(knex.raw(`'1 month'::interval`));
    t.date('first_due_date').notNullable().comment("the practice's calendar");
    t.text('status').notNullable().defaultTo('active');
    t.integer('max_failed_installments').notNullable();
    t.integer('failed_installments').notNullable().defaultTo(0);
    t.text('new_charges').notNullable();
    t.text('workflow_id').notNullable().unique();
    t.text('created_via').notNullable();
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['patient_id']);
    t.index(['practice_id', 'status']);
    t.check(`total_cents > 0 and total_cents <= 10000000`, [], 'payment_plans_total');
    t.check(`installment_cents > 0 and installment_cents <= total_cents`, [], 'payment_plans_installment');
    t.check(`installment_count between 1 and 520`, [], 'payment_plans_count');
    t.check(`installment_interval > interval '0'`, [], 'payment_plans_interval');
    t.check(`status in ('active', 'paused', 'cancelled', 'completed', 'defaulted')`, [], 'payment_plans_status');
    t.check(`max_failed_installments between 1 and 12 and failed_installments >= 0`, [], 'payment_plans_failed');
    t.check(`new_charges in ('join_plan', 'next_statement')`, [], 'payment_plans_new_charges');
    t.check(`created_via in ('front_desk', 'portal')`, [], 'payment_plans_created_via');
  });
  // One live plan per patient: a second Collect-into-a-plan while one runs is a conflict, and a retried create finds it.
  await knex.raw(`create unique index payment_plans_one_live on payment_plans (patient_id) where status in ('active', 'paused')`);

  await knex.schema.createTable('payment_plan_installments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('plan_id').notNullable().references('payment_plans.id');
    t.integer('sequence').notNullable();
    t.date('due_date').notNullable().comment("the practice's calendar");
    t.timestamp('due_at', { useTz: true }).notNullable().comment('when the run charges it');
    t.integer('amount_cents').notNullable();
    t.text('state').notNullable().defaultTo('scheduled');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('business_key').unique().comment("the current attempt's key, also the processor's idempotency key");
    t.text('charge_ref');
    t.uuid('payment_id').unique().references('payments.id');
    t.text('decline_code');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['plan_id', 'sequence']);
    t.check(`sequence >= 1`, [], 'payment_plan_installments_sequence');
    t.check(`amount_cents > 0 and amount_cents <= 10000000`, [], 'payment_plan_installments_amount');
    t.check(`state in ('scheduled', 'pending', 'paid', 'failed', 'skipped')`, [], 'payment_plan_installments_state');
    t.check(`(state = 'paid') = (charge_ref is not null and payment_id is not null)`, [], 'payment_plan_installments_paid');
    t.check(`state <> 'pending' or business_key is not null`, [], 'payment_plan_installments_pending');
  });

  await knex.schema.createTable('payment_plan_charges', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('plan_id').notNullable().references('payment_plans.id');
    t.integer('sequence').notNullable();
    t.integer('attempt').notNullable();
    t.text('business_key').notNullable().unique().comment("plan:<planId>:installment:<n>:a<attempt>, the processor's idempotency key");
    t.integer('amount_cents').notNullable();
    t.text('state').notNullable().defaultTo('pending');
    t.text('decline_code');
    t.text('charge_ref');
    t.uuid('payment_id').unique().references('payments.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['plan_id', 'sequence', 'attempt']);
    t.foreign(['plan_id', 'sequence']).references(['plan_id', 'sequence']).inTable('payment_plan_installments');
    t.check(`attempt >= 0`, [], 'payment_plan_charges_attempt');
    t.check(`amount_cents > 0 and amount_cents <= 10000000`, [], 'payment_plan_charges_amount');
    t.check(`state in ('pending', 'succeeded', 'declined')`, [], 'payment_plan_charges_state');
    t.check(`(state = 'succeeded') = (charge_ref is not null and payment_id is not null)`, [], 'payment_plan_charges_succeeded');
    t.check(`(state = 'declined') = (decline_code is not null)`, [], 'payment_plan_charges_declined');
  });
  // At most one charge of an installment succeeds, whatever attempts there were.
  await knex.raw(`create unique index payment_plan_charges_one_success on payment_plan_charges (plan_id, sequence) where state = 'succeeded'`);

  // The installments that are not skipped add up to the plan's total: checked at commit (a skip replaces an
  // installment within one transaction), whichever row changed.
  await knex.raw(`
    create function payment_plan_installments_sum() returns trigger language plpgsql as $$
    declare plan uuid; total integer; scheduled bigint;
    begin
      if tg_table_name = 'payment_plans' then plan := new.id; else plan := new.plan_id; end if;
      select p.total_cents into total from payment_plans p where p.id = plan;
      select coalesce(sum(i.amount_cents), 0) into scheduled from payment_plan_installments i where i.plan_id = plan and i.state <> 'skipped';
      if scheduled <> total then
        raise exception 'payment plan % installments sum to % cents, not its total of % cents', plan, scheduled, total
          using errcode = 'check_violation', constraint = 'payment_plan_installments_sum';
      end if;
      return null;
    end $$`);
  await knex.raw(`create constraint trigger payment_plan_installments_sum after insert or update on payment_plan_installments
    deferrable initially deferred for each row execute function payment_plan_installments_sum()`);
  await knex.raw(`create constraint trigger payment_plans_installments_sum after insert or update of total_cents on payment_plans
    deferrable initially deferred for each row execute function payment_plan_installments_sum()`);

  await replaceCheck(knex, 'manual_tasks', 'manual_tasks_reason', 'reason', [...await allowedValues(knex, 'manual_tasks', 'manual_tasks_reason'), 'plan_defaulted']);
}

export async function down(knex: Knex): Promise<void> {
  await knex('manual_tasks').where({ reason: 'plan_defaulted' }).delete();
  await replaceCheck(knex, 'manual_tasks', 'manual_tasks_reason', 'reason',
    (await allowedValues(knex, 'manual_tasks', 'manual_tasks_reason')).filter((r) => r !== 'plan_defaulted'));
  await knex.raw('drop trigger if exists payment_plans_installments_sum on payment_plans');
  await knex.raw('drop trigger if exists payment_plan_installments_sum on payment_plan_installments');
  await knex.raw('drop function if exists payment_plan_installments_sum()');
  await knex.schema.dropTable('payment_plan_charges');
  await knex.schema.dropTable('payment_plan_installments');
  await knex.schema.dropTable('payment_plans');
  await knex.raw(`alter table practices drop constraint if exists practices_plan_min_installment, drop constraint if exists practices_plan_max_months,
    drop constraint if exists practices_plan_max_failed, drop constraint if exists practices_plan_new_charges`);
  await knex.schema.alterTable('practices', (t) => t.dropColumns('plan_min_installment_cents', 'plan_max_months', 'plan_max_failed_installments', 'plan_new_charges'));
}
