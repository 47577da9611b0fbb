/** Collections (Collect Now on a superbill or a billing page, read, cancel): what callers send and what they get. */
import { z } from 'zod';
import { COLLECTION_STATUSES } from '../domain/collections';
import { cents, centsOut } from './cents';
import { id, instant, localDate } from './common';
import { apiErrors, idempotencyKey, json, jsonBody, pathIds, type Operation } from './operation';

/** How many claims one payment may name. */
export const MAX_NAMED_CLAIMS = 50;

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────
export const startCopayBody = z.strictObject({ amountCents: cents() });
export const startBalanceBody = z.strictObject({
  amountCents: cents().optional(),
  claimIds: z.array(z.uuid({ error: 'must be a claim id' }), { error: 'must be a list of claim ids' })
    .max(MAX_NAMED_CLAIMS, { error: `may name at most ${MAX_NAMED_CLAIMS} claims` }).optional()
    .meta({ description: 'claims of this patient the payment names' }),
});
export const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

// ── answers ──────────────────────────────────────────────────────────────────────────────────────────────────
/** A collection as app/collections.ts `collectionView` writes it. */
export const collectionSchema = z.strictObject({
  collectionId: id(),
  workflowId: z.string(),
  path: z.enum(['copay', 'balance', 'statement']),
  status: z.string().meta({ description: `one of ${COLLECTION_STATUSES.join(', ')}` }),
  visitId: id().nullable(),
  patientId: id(),
  requestedAmountCents: centsOut,
  namedClaimIds: z.array(id()).optional().meta({ description: 'balance collections: the claims the payment names, applied to first' }),
  paymentRequest: z.strictObject({ requestId: z.string().nullable(), url: z.string() }).nullable()
    .meta({ description: "the EHR payment request (Process Payment); null until the EHR has opened it" }),
  createdAt: instant(),
  updatedAt: instant(),
});

/** Collect Now's answer (201 new, 200 existing, 202 link not open yet). */
export const collectNowSchema = collectionSchema.extend({ existing: z.boolean() });

export const visitCollectionsSchema = z.strictObject({ visitId: id(), collections: z.array(collectionSchema) });

const taskRow = z.strictObject({
  id: id(), reason: z.string(), status: z.string(), resolution: z.string().nullable(), created_at: instant(), resolved_at: instant().nullable(),
});

/** A collection with its ledger (db/queries/collection-ledger.ts). */
export const collectionDetailSchema = collectionSchema.extend({
  payment: z.strictObject({
    paymentId: id(), externalPaymentId: z.string(), amountCents: centsOut, method: z.string(), paidAt: instant(), paymentDate: localDate(),
  }).optional().meta({ description: 'absent until the EHR captured the payment' }),
  applications: z.array(z.strictObject({
    applicationId: id(), claimId: id(), amountCents: centsOut, kind: z.string(), createdAt: instant(), reversed: z.boolean(), reversedAt: instant().nullable(),
  })),
  appliedCents: centsOut,
  openTask: taskRow.nullable(),
  tasks: z.array(taskRow),
});

export const cancelResultSchema = z.strictObject({ collectionId: id(), cancelled: z.literal(true) });

// ── operations ───────────────────────────────────────────────────────────────────────────────────────────────
const pending = 'started; the EHR has not opened the payment request yet (PAYMENT_LINK_WAIT): poll the Location, the link follows';
const collectNowAnswers = {
  201: json('started', collectNowSchema),
  200: json('the existing collection', collectNowSchema),
  202: json(pending, collectNowSchema, z.object({ Location: z.string() })),
  ...apiErrors,
};

export const collectionOperations: Operation[] = [
  {
    method: 'post', path: '/v1/visits/{visitId}/copay-collections',
    summary: 'Collect Now on a superbill: start (or find) the copay collection and open the EHR payment request',
    request: { params: pathIds('visitId'), headers: idempotencyKey, body: jsonBody(startCopayBody) },
    responses: collectNowAnswers,
  },
  {
    method: 'post', path: '/v1/patients/{patientId}/balance-collections',
    summary: "Collect Now on a patient's billing page: start (or find) the outstanding-balance collection and open the EHR payment request",
    description: 'amountCents defaults to the open balance of the patient-owned claims (422 when that is 0). The claims named in claimIds are applied to first, then oldest date of service first; money left over becomes a credit_remaining task. At most one collection per patient waits for a capture: a second press answers 200 with it (existing: true).',
    request: { params: pathIds('patientId'), headers: idempotencyKey, body: jsonBody(startBalanceBody, false) },
    responses: collectNowAnswers,
  },
  {
    method: 'get', path: '/v1/visits/{visitId}/collections',
    summary: "A visit's collections (its copays), newest first: at most one live, then the expired or cancelled ones before it",
    request: { params: pathIds('visitId') },
    responses: { 200: json('{ visitId, collections: [collection] } (each as GET /v1/collections/{collectionId} without its ledger)', visitCollectionsSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/collections/{collectionId}', summary: 'A collection: status, payment, applications, tasks',
    request: { params: pathIds('collectionId') },
    responses: { 200: json('collection', collectionDetailSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/collections/{collectionId}/cancel', summary: 'Cancel before the capture',
    description: 'The run asks the EHR to cancel its payment request. If the EHR refuses because the patient had just paid, the collection takes that payment as usual; a cancel while it waits for that capture gets 409, and so does a second cancel. With Idempotency-Key, a retry of a cancel whose answer was lost gets that answer (200), not the 409 of a second cancel.',
    request: { params: pathIds('collectionId'), headers: idempotencyKey, body: jsonBody(cancelBody) },
    responses: { 200: json('cancellation asked for', cancelResultSchema), ...apiErrors },
  },
];
