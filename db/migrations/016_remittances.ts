/**
 * Remittances received as X12 835 files (issue 16, ingest): app/remittances.ts, db/queries/remittances.ts.
 * - `remittance_files`: one row per file a practice sent, stored once by the SHA-256 of its bytes; its totals and the
 *   answer the first upload got (`answer`), which a re-send of the same bytes gets again.
 * - `remittance_traces`: one row per payment (ST … SE transaction) of a file, unique per (practice, payer, TRN02
 *   trace number). A file may hold several transactions, each its own payment with its own trace, so the trace is
 *   unique per transaction, not per file: the same payment in another file (other bytes) is refused as a whole (409).
 * - `remittance_claims`: one row per CLP (claim payment), unique per (practice, payer, trace, CLP01, occurrence of
 *   that CLP01 within the transaction: a reversal and its re-adjudication share a CLP01). The claim it matched
 *   (our claim whose external id is CLP01, within the practice), or null: an unmatched claim payment staff can see.
 *   `applied_version` records the claim version this payment produced, in the same transaction as the claim change.
 * No PHI beyond what the claim rows hold: no patient names or member ids (NM1) are stored; CLP01 is our claim's
 * external id, the rest are codes and amounts.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('remittance_files', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.text('content_sha256').notNullable();
    t.text('payer_id').notNullable().comment('TRN03 of the first transaction (the payer identifier)');
    t.text('payer_name').notNullable();
    t.text('trace_number').notNullable().comment('TRN02 of the first transaction');
    t.integer('transactions').notNullable();
    t.integer('byte_size').notNullable();
    t.bigInteger('payment_cents').notNullable().comment('Σ BPR02 of its transactions (a debit counted negative)');
    t.integer('claims_count').notNullable();
    t.integer('matched_count').notNullable();
    t.integer('unmatched_count').notNullable();
    t.jsonb('answer').comment('the 201 answer of the first upload; set before the transaction commits');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('received_by').notNullable().comment('staff:<id> of the token or person who sent it');
    t.unique(['practice_id', 'content_sha256']);
    t.index(['practice_id', 'received_at']);
  });
  await knex.schema.createTable('remittance_traces', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('file_id').notNullable().references('remittance_files.id');
    t.text('payer_id').notNullable();
    t.text('trace_number').notNullable();
    t.bigInteger('payment_cents').notNullable();
    t.unique(['practice_id', 'payer_id', 'trace_number']);
  });
  await knex.schema.createTable('remittance_claims', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('file_id').notNullable().references('remittance_files.id');
    t.text('payer_id').notNullable();
    t.text('trace_number').notNullable();
    t.text('clp01').notNullable().comment('the patient control number: our claim external id as the practice billed it');
    t.integer('occurrence').notNullable().comment('0 for the first CLP with this CLP01 in the transaction, 1 for the next, …');
    t.integer('position').notNullable().comment('order of the CLP in the file, from 0');
    t.text('status_code').notNullable().comment('CLP02');
    t.integer('charge_cents').notNullable();
    t.integer('paid_cents').notNullable();
    t.integer('patient_responsibility_cents').notNullable().comment('CLP05');
    t.jsonb('pr_adjustments').notNullable().comment('[{code, amountCents, lineNumber?}]: group PR only');
    t.uuid('matched_claim_id').references('claims.id');
    t.bigInteger('applied_version').comment('the claim version this payment produced (null: unmatched, or not applied)');
    t.text('outcome').notNullable().comment('updated | stale | ignored | unmatched');
    t.unique(['practice_id', 'payer_id', 'trace_number', 'clp01', 'occurrence']);
    t.index(['file_id', 'position']);
    t.index(['practice_id', 'matched_claim_id']);
    t.check(`outcome in ('updated', 'stale', 'ignored', 'unmatched')`, [], 'remittance_claims_outcome');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('remittance_claims');
  await knex.schema.dropTableIfExists('remittance_traces');
  await knex.schema.dropTableIfExists('remittance_files');
}
