/**
 * The claims a payment plan covers (issue 18; docs/card-on-file-and-plans.md "Payment plans"):
 * - `payment_plan_claims`: one row per (plan, claim): the claims whose open patient balance the plan was made of
 *   (`joined_via` 'created', oldest first up to the plan's total) and the claims that moved to the patient while the
 *   plan was live under the practice's `join_plan` policy (`joined_via` 'new_charge'), with the cents each brought in.
 *   While the plan is live (active or paused) these claims are billed by its installments: the statement run leaves
 *   them out, and a card-on-file charge skips them. A plan that ends (completed, cancelled, defaulted) lets them go
 *   back to statements.
 * No PHI: ids and amounts.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payment_plan_claims', (t) => {
    t.uuid('plan_id').notNullable().references('payment_plans.id');
    t.uuid('claim_id').notNullable().references('claims.id');
    t.integer('covered_cents').notNullable().comment('the open patient balance of the claim the plan took in');
    t.text('joined_via').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['plan_id', 'claim_id']);
    t.index(['claim_id']);
    t.check(`covered_cents > 0 and covered_cents <= 10000000`, [], 'payment_plan_claims_covered');
    t.check(`joined_via in ('created', 'new_charge')`, [], 'payment_plan_claims_joined_via');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payment_plan_claims');
}
