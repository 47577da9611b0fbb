/**
 * Patient-page collections (path 'balance'): the claims a payment names (applied to first, in this order), and at
 * most one balance collection per patient that is still open for a capture (pressing Collect Now twice must not open
 * two EHR payment requests). Once its payment is captured (or it expired or was cancelled) a new Collect Now may
 * start another one: the patient may pay the rest with a second card.
 */
import type { Knex } from 'knex';

/** The statuses in which a balance collection still waits for its capture: the live ones. */
export const LIVE_BALANCE_STATUSES = ['starting', 'awaiting_capture'];
const LIVE_PREDICATE = `path = 'balance' and status in (${LIVE_BALANCE_STATUSES.map((s) => `'${s}'`).join(', ')})`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('collections', (t) => {
    t.specificType('named_claim_ids', 'uuid[]').notNullable().defaultTo(knex.raw("'{}'::uuid[]"))
      .comment('balance path: the claims the payment names, applied to first in this order');
    t.check('cardinality(named_claim_ids) <= 50', [], 'collections_named_claims_limit');
  });
  await knex.raw(`create unique index collections_one_live_balance_per_patient on collections (patient_id) where ${LIVE_PREDICATE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index collections_one_live_balance_per_patient');
  await knex.schema.alterTable('collections', (t) => {
    t.dropChecks(['collections_named_claims_limit']);
    t.dropColumn('named_claim_ids');
  });
}
