/** Collections API: start a copay collection for a visit (Collect Now), list a visit's, read one, cancel one. */
import { Router, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { collectionsOfVisit, createCopayCollection, getCollection, isClosed, visitForCollection, type CollectionRow } from '../../db/queries/collections';
import { collectionLedger } from '../../db/queries/collection-ledger';
import { MAX_PAYMENT_CENTS } from '../../domain/money';
import { collectionStart, type CollectionWindows } from '../../app/collection-starts';
import { startAndAwaitPaymentRequest } from '../../app/payment-request';
import { conflict, notFound } from '../../lib/errors';
import { cancelUpdate } from '../../workflows/collection-messages';
import type { Staff } from '../../db/queries/staff';
import { requireRole, staffOf } from '../auth';
import { idempotency } from '../idempotency';
import { updateFailureToAppError } from '../../app/temporal-errors';
import { parseBody, UUID } from '../validate';

export type { CollectionWindows };

const cents = z.number({ error: 'must be a number of cents' }).int({ error: 'must be a whole number of cents' })
  .min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS, { error: `must be at most ${MAX_PAYMENT_CENTS} cents` });
const startCopayBody = z.strictObject({ amountCents: cents });
const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

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

const uuidParam = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
  return value;
};

/** Collect Now on a superbill, for the API route and the staff pages: starts (or finds) the visit's copay collection. */
export function copayCollector(deps: { db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows }) {
  async function start(staff: Staff, visitId: unknown, rawBody: unknown) {
    const visit = await visitForCollection(deps.db, uuidParam(visitId, 'visit'), staff.practiceId);
    if (!visit) throw notFound('visit');
    const body = parseBody(startCopayBody, rawBody);
    const { collection, created } = await createCopayCollection(deps.db, {
      practiceId: visit.practice_id, patientId: visit.patient_id, visitId: visit.id, amountCents: body.amountCents,
      createdBy: `staff:${staff.id}`,
    });
    return answerCollectNow(deps, collection, created, visit.time_zone);
  }

  return { start };
}

/**
 * Collect Now's answer, both paths: the collection with its EHR payment link. A live collection past its capture is
 * answered from the record (it has nothing left to open); one whose link is not there within seconds (the EHR slow or
 * down) is answered `pending` (202: poll the collection; the link follows).
 */
export async function answerCollectNow(
  deps: { db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows }, collection: CollectionRow, created: boolean, timeZone: string,
) {
  const opening = ['starting', 'awaiting_capture'].includes(collection.status);
  const paymentRequest = opening ? await startAndAwaitPaymentRequest(deps.temporal, collectionStart(collection, deps.windows, timeZone, deps.taskQueue), deps.windows.paymentLinkWaitMs) : undefined;
  const fresh = collectionView((await getCollection(deps.db, collection.id))!);
  const link = paymentRequest ?? fresh.paymentRequest;
  return { created, pending: link === null, body: { ...fresh, paymentRequest: link, existing: !created } };
}

/** 201 new, 200 existing, 202 started but its payment link not open yet (Location: poll it). */
export function sendCollectNow(res: Response, started: Awaited<ReturnType<typeof answerCollectNow>>): void {
  res.locals.logFields = { workflowId: started.body.workflowId }; // in the access log line
  if (started.pending) res.location(`/v1/collections/${started.body.collectionId}`).status(202);
  else res.status(started.created ? 201 : 200);
  res.json(started.body);
}

export function collectionRoutes(deps: { db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows }): Router {
  const router = Router();
  const copay = copayCollector(deps);

  router.post('/v1/visits/:visitId/copay-collections', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    sendCollectNow(res, await copay.start(staffOf(req), req.params.visitId, req.body));
  });

  router.get('/v1/visits/:visitId/collections', async (req, res) => {
    const staff = staffOf(req);
    const visit = await visitForCollection(deps.db, uuidParam(req.params.visitId, 'visit'), staff.practiceId);
    if (!visit) throw notFound('visit');
    res.json({ visitId: visit.id, collections: (await collectionsOfVisit(deps.db, visit.id, staff.practiceId)).map(collectionView) });
  });

  router.get('/v1/collections/:collectionId', async (req, res) => {
    const staff = staffOf(req);
    const collection = await getCollection(deps.db, uuidParam(req.params.collectionId, 'collection'), staff.practiceId);
    if (!collection) throw notFound('collection');
    res.json({ ...collectionView(collection), ...(await collectionLedger(deps.db, collection.id)) });
  });

  router.post('/v1/collections/:collectionId/cancel', requireRole('front_desk', 'billing'), async (req, res) => {
    const staff = staffOf(req);
    const collection = await getCollection(deps.db, uuidParam(req.params.collectionId, 'collection'), staff.practiceId);
    if (!collection) throw notFound('collection');
    const body = parseBody(cancelBody, req.body);
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
    res.json({ collectionId: collection.id, cancelled: true });
  });

  return router;
}
