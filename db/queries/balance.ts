/**
 * Patient-page collections (path 'balance', shared/domain.md path 1): the patient's open balance, the claims a payment
 * may name, the collection row itself (at most one per patient still open for a capture: a partial unique index),
 * and the state the outstanding-balance rule decides on.
 * Only patient-owned claims (responsibility = 'patient') ever count: a balance still with a payer is not the patient's.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../connection';
import type { ClaimState, PaymentState } from '../../domain/application-rules';
import { WAITING_FOR_CAPTURE_STATUSES } from '../../domain/collections';
import type { Cents } from '../../domain/money';
import { RowNotFound } from '../errors';
import type { CollectionRow } from './collections';
import { paymentState } from './ledger';
import { balanceWorkflowId } from '../../domain/workflow-ids';

/** Engineers find a balance collection's run by its collection id. */

/** Standing (not reversed) applications per claim. */
const APPLIED_PER_CLAIM = `
  select a.claim_id, sum(a.amount_cents) as applied_cents
    from payment_applications a
   where not exists (select 1 from application_reversals r where r.application_id = a.id)
   group by a.claim_id`;

/** Sum of the open patient balances (responsibility − standing applications, floored at 0) of the patient-owned claims. */
export async function patientOpenBalanceCents(db: Db, patientId: string): Promise<Cents> {
  const { rows } = await db.raw<{ rows: { cents: number }[] }>(
    `select coalesce(sum(greatest(0, c.patient_responsibility_cents - coalesce(ap.applied_cents, 0))), 0)::bigint as cents
       from claims c left join (${APPLIED_PER_CLAIM}) ap on ap.claim_id = c.id
      where c.patient_id = ? and c.responsibility = 'patient'`,
    [patientId],
  );
  return rows[0]!.cents;
}

/** Which of these claim ids are claims of this patient (whoever holds their balance now). */
export async function claimIdsOfPatient(db: Db, patientId: string, claimIds: string[]): Promise<Set<string>> {
  if (claimIds.length === 0) return new Set();
  const rows = await db('claims').where({ patient_id: patientId }).whereIn('id', claimIds).select<{ id: string }[]>('id');
  return new Set(rows.map((r) => r.id));
}

export type BalanceCollectionRow = CollectionRow & { named_claim_ids: string[] };

/** The patient's balance collection still open for a capture, if any. */
export async function findLiveBalanceCollection(db: Db, patientId: string): Promise<BalanceCollectionRow | undefined> {
  return db('collections')
    .where({ patient_id: patientId, path: 'balance' })
    .whereIn('status', WAITING_FOR_CAPTURE_STATUSES)
    .first<BalanceCollectionRow | undefined>();
}

/**
 * Inserts a balance collection unless one is still open for a capture for the patient (the partial unique index
 * decides races). Its workflow id is `balance-<collectionId>`: every collection has its own run.
 */
export async function createBalanceCollection(
  db: Db,
  c: { practiceId: string; patientId: string; amountCents: Cents; namedClaimIds: string[]; createdBy: string },
): Promise<{ collection: BalanceCollectionRow; created: boolean }> {
  // The live one may move past its capture between our insert and our read: then a new one may start; try again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const id = randomUUID();
    const inserted = await db.raw<{ rows: BalanceCollectionRow[] }>(
      `insert into collections (id, practice_id, patient_id, visit_id, path, workflow_id, requested_amount_cents, named_claim_ids, created_by)
       values (:id, :practiceId, :patientId, null, 'balance', :workflowId, :amountCents, cast(:namedClaimIds as uuid[]), :createdBy)
       -- the predicate of collections_one_live_balance_per_patient (migration 004)
       on conflict (patient_id) where path = 'balance' and status in ('starting', 'awaiting_capture') do nothing
       returning *`,
      // A PostgreSQL array literal; the ids were validated as UUIDs by the caller.
      { ...c, id, workflowId: balanceWorkflowId(id), namedClaimIds: `{${c.namedClaimIds.join(',')}}` },
    );
    if (inserted.rows[0]) return { collection: inserted.rows[0], created: true };
    const existing = await findLiveBalanceCollection(db, c.patientId);
    if (existing) return { collection: existing, created: false };
  }
  throw new Error('balance collection: the live collection kept changing between insert and read');
}

export interface BalanceState {
  payment: PaymentState;
  /** The patient's patient-owned claims with an open balance (the only ones the rule may touch). */
  claims: ClaimState[];
  /** The claims the payment names, in the order staff gave them. */
  namedClaimIds: string[];
}

/** What decideOutstandingBalance needs: the payment, the patient's claims it may go to, the named claims. */
export async function balanceState(db: Db, collectionId: string, paymentId: string): Promise<BalanceState> {
  const collection = await db('collections')
    .where({ id: collectionId })
    .first<{ patient_id: string; named_claim_ids: string[] } | undefined>('patient_id', 'named_claim_ids');
  if (!collection) throw new RowNotFound('collection');
  const payment = await paymentState(db, paymentId);
  if (payment.patientId !== collection.patient_id) throw new Error(`payment ${paymentId} is not collection ${collectionId}'s patient's`);
  const { rows } = await db.raw<{ rows: { id: string; visit_id: string; patient_id: string; date_of_service: string; patient_responsibility_cents: number; applied_cents: number }[] }>(
    `select c.id, c.visit_id, c.patient_id, v.date_of_service, c.patient_responsibility_cents, coalesce(ap.applied_cents, 0) as applied_cents
       from claims c
       join visits v on v.id = c.visit_id
       left join (${APPLIED_PER_CLAIM}) ap on ap.claim_id = c.id
      where c.patient_id = ? and c.responsibility = 'patient'
        and c.patient_responsibility_cents > coalesce(ap.applied_cents, 0)
      order by v.date_of_service, c.id`,
    [collection.patient_id],
  );
  const claims: ClaimState[] = rows.map((r) => ({
    claimId: r.id, visitId: r.visit_id, patientId: r.patient_id, responsibility: 'patient', dateOfService: r.date_of_service,
    patientResponsibilityCents: r.patient_responsibility_cents, appliedCents: r.applied_cents,
  }));
  return { payment, claims, namedClaimIds: collection.named_claim_ids };
}
