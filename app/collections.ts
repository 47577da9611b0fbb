/**
 * Collections, for the JSON API (api/routes/collections.ts, balance-collections.ts) and the staff pages alike:
 * - Collect Now on a superbill (`startCopayCollection`) or a patient's billing page (`startBalanceCollection`): write
 *   (or find) the collection, then start (or attach to) its run and wait briefly for the EHR payment link; both paths
 *   share that second half (`answerCollectNow`: workflows/starts/ + app/payment-request.ts, Update-with-Start);
 * - cancel one before its capture (`cancelCollection`, the run's `cancel` update);
 * - read one, or a visit's.
 * Inputs come as the caller received them (ids, body) and are checked here, in the order the API always answered:
 * what is named first (404), then the body (422).
 */
import type { Client } from '@temporalio/client';
import { cancelBody, MAX_NAMED_CLAIMS, startBalanceBody, startCopayBody } from '../contracts/collections';
import type { Db } from '../db/connection';
import { claimIdsOfPatient, createBalanceCollection, findLiveBalanceCollection, patientOpenBalanceCents } from '../db/queries/balance';
import { collectionLedger } from '../db/queries/collection-ledger';
import { collectionsOfVisit, createCopayCollection, getCollection, isClosed, visitForCollection, type CollectionRow } from '../db/queries/collections';
import { patientInPractice } from '../db/queries/patients';
import type { Staff } from '../db/queries/staff';
import { isWaitingForCapture } from '../domain/collections';
import { MAX_PAYMENT_CENTS, formatCents, type Cents } from '../domain/money';
import { AppError, conflict, notFound, validationFailed } from '../lib/errors';
import { parseBody, UUID } from '../lib/validate';
import { cancelUpdate } from '../workflows/collection-messages';
import { startAndAwaitPaymentRequest } from './payment-request';
import { updateFailureToAppError } from './temporal-errors';
import { collectionStart, type CollectionWindows } from '../workflows/starts/collection';

export type { CollectionWindows };

export interface CollectionDeps { db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows }

/** How many claims one payment may name (what callers send: contracts/collections.ts). */
export { MAX_NAMED_CLAIMS };

export function collectionView(c: CollectionRow) {
  return {
    collectionId: c.id,
    workflowId: c.workflow_id,
    path: c.path,
    status: c.status,
    visitId: c.visit_id,
    patientId: c.patient_id,
    requestedAmountCents: c.requested_amount_cents,
    ...(c.path === 'balance' ? { namedClaimIds: c.named_claim_ids ?? [] } : {}),
    paymentRequest: c.payment_request_url ? { requestId: c.payment_request_id, url: c.payment_request_url } : null,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

const uuidOr404 = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
  return value;
};

/** What Collect Now answers, both paths. */
export interface CollectNowResult {
  created: boolean;
  /** Started, but its payment link is not open yet (the caller polls the collection). */
  pending: boolean;
  body: ReturnType<typeof collectionView> & { existing: boolean };
}

/**
 * Collect Now's answer, both paths: the collection with its EHR payment link. A live collection past its capture is
 * answered from the record (it has nothing left to open); one whose link is not there within seconds (the EHR slow or
 * down) is answered `pending` (202: poll the collection; the link follows).
 */
async function answerCollectNow(deps: CollectionDeps, collection: CollectionRow, created: boolean, timeZone: string): Promise<CollectNowResult> {
  const opening = isWaitingForCapture(collection.status);
  const paymentRequest = opening ? await startAndAwaitPaymentRequest(deps.temporal, collectionStart(collection, deps.windows, timeZone, deps.taskQueue), deps.windows.paymentLinkWaitMs) : undefined;
  const fresh = collectionView((await getCollection(deps.db, collection.id))!);
  const link = paymentRequest ?? fresh.paymentRequest;
  return { created, pending: link === null, body: { ...fresh, paymentRequest: link, existing: !created } };
}

/** Collect Now on a superbill: starts (or finds) the visit's copay collection. */
export async function startCopayCollection(deps: CollectionDeps, staff: Staff, visitId: unknown, rawBody: unknown): Promise<CollectNowResult> {
  const visit = await visitForCollection(deps.db, uuidOr404(visitId, 'visit'), staff.practiceId);
  if (!visit) throw notFound('visit');
  const body = parseBody(startCopayBody, rawBody);
  const { collection, created } = await createCopayCollection(deps.db, {
    practiceId: visit.practice_id, patientId: visit.patient_id, visitId: visit.id, amountCents: body.amountCents,
    createdBy: `staff:${staff.id}`,
  });
  return answerCollectNow(deps, collection, created, visit.time_zone);
}

/**
 * The patient's open balance (patient-owned claims). A collection still waiting for its capture is answered as it is
 * (pressed twice), whatever the balance did meanwhile; otherwise no balance, or more than one payment may be → 422.
 */
async function defaultBalanceAmount(db: Db, patientId: string): Promise<Cents> {
  const open = await patientOpenBalanceCents(db, patientId);
  if (open > 0 && open <= MAX_PAYMENT_CENTS) return open;
  const live = await findLiveBalanceCollection(db, patientId);
  if (live) return live.requested_amount_cents;
  if (open === 0) {
    throw new AppError(422, 'no-open-balance', 'No open balance', 'This patient has no open balance to collect. Enter amountCents to take a payment anyway (staff then decide where it goes).', [{ field: 'amountCents', reason: 'is required when the patient has no open balance' }]);
  }
  throw new AppError(422, 'validation-failed', 'Validation failed', `The open balance is more than the largest single payment (${formatCents(MAX_PAYMENT_CENTS)}); enter amountCents.`, [{ field: 'amountCents', reason: 'is required when the open balance exceeds the largest single payment' }]);
}

/**
 * Collect Now on a patient's billing page: starts (or finds) the patient's outstanding-balance collection. The amount
 * defaults to the open balance (patient-owned claims only); the claims the payment names are applied to first.
 */
export async function startBalanceCollection(deps: CollectionDeps, staff: Staff, patientId: unknown, rawBody: unknown): Promise<CollectNowResult> {
  const patient = typeof patientId === 'string' && UUID.test(patientId) ? await patientInPractice(deps.db, patientId, staff.practiceId) : undefined;
  if (!patient) throw notFound('patient');
  const body = parseBody(startBalanceBody, rawBody);

  // The claims the payment names: each once, each this patient's (whoever holds its balance now).
  const claimIds = (body.claimIds ?? []).map((id) => id.toLowerCase());
  const duplicates = claimIds.flatMap((id, i) => (claimIds.indexOf(id) !== i ? [{ field: `claimIds.${i}`, reason: 'names the same claim twice' }] : []));
  if (duplicates.length > 0) throw validationFailed(duplicates);
  const own = await claimIdsOfPatient(deps.db, patient.id, claimIds);
  const foreign = claimIds.flatMap((id, i) => (own.has(id) ? [] : [{ field: `claimIds.${i}`, reason: 'is not a claim of this patient' }]));
  if (foreign.length > 0) throw validationFailed(foreign);

  const { collection, created } = await createBalanceCollection(deps.db, {
    practiceId: staff.practiceId, patientId: patient.id, amountCents: body.amountCents ?? (await defaultBalanceAmount(deps.db, patient.id)),
    namedClaimIds: claimIds, createdBy: `staff:${staff.id}`,
  });
  return answerCollectNow(deps, collection, created, patient.timeZone);
}

/** A visit's collections (its copays), newest first. */
export async function collectionsOfVisitFor(deps: Pick<CollectionDeps, 'db'>, staff: Staff, visitId: unknown) {
  const visit = await visitForCollection(deps.db, uuidOr404(visitId, 'visit'), staff.practiceId);
  if (!visit) throw notFound('visit');
  return { visitId: visit.id, collections: (await collectionsOfVisit(deps.db, visit.id, staff.practiceId)).map(collectionView) };
}

/** A collection with its payment, applications and tasks. */
export async function collectionWithLedger(deps: Pick<CollectionDeps, 'db'>, staff: Staff, collectionId: unknown) {
  const collection = await getCollection(deps.db, uuidOr404(collectionId, 'collection'), staff.practiceId);
  if (!collection) throw notFound('collection');
  return { ...collectionView(collection), ...(await collectionLedger(deps.db, collection.id)) };
}

/**
 * Cancels a collection before its capture, through its run's `cancel` update (the run asks the EHR to withdraw the
 * request; if the EHR refuses because the patient had just paid, the collection takes that payment as usual).
 */
export async function cancelCollection(deps: Pick<CollectionDeps, 'db' | 'temporal'>, staff: Staff, collectionId: unknown, rawBody: unknown): Promise<{ collectionId: string; cancelled: true }> {
  const collection = await getCollection(deps.db, uuidOr404(collectionId, 'collection'), staff.practiceId);
  if (!collection) throw notFound('collection');
  const body = parseBody(cancelBody, rawBody);
  if (isClosed(collection)) throw conflict(`This collection is already ${collection.status}.`);
  // The patient's payment page for a statement payment cannot be withdrawn (its signed link stays valid until it
  // expires): cancelling here could refuse money the patient then pays. It expires by itself if not paid.
  if (collection.path === 'statement') {
    throw conflict('A statement payment the patient started in the portal cannot be cancelled; it expires by itself if the patient does not pay.');
  }
  await deps.temporal.workflow.getHandle(collection.workflow_id)
    .executeUpdate(cancelUpdate, { args: [{ collectionId: collection.id, reason: body.reason, actor: `staff:${staff.id}` }] })
    .catch((err: unknown) => {
      throw updateFailureToAppError(err);
    });
  return { collectionId: collection.id, cancelled: true };
}
