/**
 * Remittances, staff part (issue 16): matching an unmatched claim payment by hand, remembering it, and the refused uploads.
 * - `remittance_claims.service_lines`: each SVC's procedure code, charge and paid amount (no PHI: codes and amounts, as
 *   the claim lines hold), so a claim payment matched later by staff takes the very change the ingest would have made
 *   (its lines' amounts included). Null on rows stored before this migration: such a match takes the claim's totals.
 * - `remittance_claim_matches`: one row per claim payment staff matched (unique per remittance claim: exactly once; a
 *   second match is a conflict), with who, when, the claim, the version it produced and its outcome. The claim payment
 *   row itself stays as received (append-only); readers take the match from here.
 * - `remittance_claim_aliases`: the mapping staff taught, (practice, payer, CLP01) → our claim, unique: later files
 *   whose CLP01 from that payer names no claim external id are matched to that claim automatically.
 * - `remittance_refusals`: uploads refused as a whole (422 malformed or unbalanced, 409 a payment already received),
 *   once per (practice, content hash) with how many times and when last: what staff see as refusals. Only the problem's
 *   text (segment, position, reason: never a segment's contents) and the hash are kept, never the file.
 * Claims get a unique (id, practice_id) so both new tables can require, in PostgreSQL, that their claim is the practice's.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('remittance_claims', (t) => {
    t.jsonb('service_lines').comment('[{procedureCode, chargeCents, paidCents}] of its SVCs, in file order; null before migration 017');
    t.unique(['id', 'practice_id']);
  });
  await knex.schema.alterTable('claims', (t) => {
    t.unique(['id', 'practice_id'], { indexName: 'claims_id_practice_unique' });
  });
  await knex.schema.createTable('remittance_claim_matches', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('file_id').notNullable().references('remittance_files.id');
    t.uuid('remittance_claim_id').notNullable().unique().comment('exactly once: a second match of the same claim payment is refused');
    t.uuid('claim_id').notNullable();
    t.uuid('matched_by').notNullable().references('staff_users.id');
    t.timestamp('matched_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.bigInteger('applied_version').comment('the claim version this payment produced (null: not applied)');
    t.text('outcome').notNullable();
    t.foreign(['remittance_claim_id', 'practice_id']).references(['id', 'practice_id']).inTable('remittance_claims');
    t.foreign(['claim_id', 'practice_id']).references(['id', 'practice_id']).inTable('claims');
    t.index(['file_id']);
    t.check(`outcome in ('updated', 'stale', 'ignored')`, [], 'remittance_claim_matches_outcome');
  });
  await knex.schema.createTable('remittance_claim_aliases', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.text('payer_id').notNullable().comment('TRN03 of the payment the CLP came in');
    t.text('clp01').notNullable();
    t.uuid('claim_id').notNullable();
    t.uuid('created_by').notNullable().references('staff_users.id');
    t.uuid('remittance_claim_id').notNullable().references('remittance_claims.id').comment('the claim payment whose match taught it');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['practice_id', 'payer_id', 'clp01']);
    t.foreign(['claim_id', 'practice_id']).references(['id', 'practice_id']).inTable('claims');
  });
  await knex.schema.createTable('remittance_refusals', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.text('content_sha256').notNullable();
    t.integer('byte_size').notNullable();
    t.integer('status').notNullable().comment('422 refused as malformed or unbalanced, 409 a payment already received');
    t.text('detail').notNullable().comment("the problem's detail: segment, position and reason, never a segment's contents");
    t.integer('attempts').notNullable().defaultTo(1);
    t.timestamp('first_refused_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_refused_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('last_refused_by').notNullable().comment('staff:<id>');
    t.unique(['practice_id', 'content_sha256']);
    t.index(['practice_id', 'last_refused_at']);
    t.check('status in (409, 422)', [], 'remittance_refusals_status');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('remittance_refusals');
  await knex.schema.dropTableIfExists('remittance_claim_aliases');
  await knex.schema.dropTableIfExists('remittance_claim_matches');
  await knex.schema.alterTable('claims', (t) => {
    t.dropUnique(['id', 'practice_id'], 'claims_id_practice_unique');
  });
  await knex.schema.alterTable('remittance_claims', (t) => {
    t.dropUnique(['id', 'practice_id']);
    t.dropColumn('service_lines');
  });
}
