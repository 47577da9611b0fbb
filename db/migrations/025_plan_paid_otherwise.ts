/**
 * A payment plan whose claims were paid another way (issue 18; docs/card-on-file-and-plans.md "Payment plans"): an
 * installment is charged at most what the plan's claims still owe, so its amount and the plan's total go down together,
 * and an installment nothing is owed for any more is `skipped` with no replacement. A plan's total may therefore fall
 * below one installment, or to zero (everything was paid otherwise): the checks allow it. Installments stay > 0.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table payment_plans
    drop constraint payment_plans_total,
    drop constraint payment_plans_installment,
    add constraint payment_plans_total check (total_cents >= 0 and total_cents <= 10000000),
    add constraint payment_plans_installment check (installment_cents > 0)`);
}

/** Fails once a plan's total has fallen below one installment or to zero: such plans must be settled or removed first. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table payment_plans
    drop constraint payment_plans_total,
    drop constraint payment_plans_installment,
    add constraint payment_plans_total check (total_cents > 0 and total_cents <= 10000000),
    add constraint payment_plans_installment check (installment_cents > 0 and installment_cents <= total_cents)`);
}
