/** Collections API: start a copay collection for a visit (Collect Now), read one, cancel one. */
import { Router } from 'express';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { createCopayCollection, getCollection, isClosed, visitForCollection, type CollectionRow } from '../../db/queries/collections';
import { collectionLedger } from '../../db/queries/collection-ledger';
import { formatCents, MAX_PAYMENT_CENTS } from '../../domain/money';
import { conflict, notFound } from '../../lib/errors';
import { cancelUpdate, paymentRequestUpdate, type PaymentRequestView } from '../../workflows/collection-messages';
import { PayflowPath, PayflowPracticeId, PayflowStatus } from '../../workflows/search-attributes';
import { superbillCopay, type CopayInput } from '../../workflows/superbill-copay';
import type { Staff } from '../../db/queries/staff';
import { requireRole, staffOf } from '../auth';
import { idempotency } from '../idempotency';
import { updateFailureToAppError } from '../temporal-errors';
import { parseBody, UUID } from '../validate';

export interface CollectionWindows {
  captureWindowMs: number;
  /** After the EHR refused a cancellation (it captured first): how long to wait for the capture; absent → 24 h. */
  lateCaptureWaitMs?: number;
  transferWindowMs: number;
  reversalWatchMs: number;
}

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
  /** Opens (or finds) the EHR payment request of a copay collection; starts the workflow if it is not running. */
  async function paymentRequestFor(collection: CollectionRow, timeZone: string): Promise<PaymentRequestView> {
    const input: CopayInput = {
      collectionId: collection.id, practiceId: collection.practice_id, patientId: collection.patient_id,
      visitId: collection.visit_id!, amountCents: collection.requested_amount_cents, ...deps.windows, timeZone,
    };
    const start = new WithStartWorkflowOperation(superbillCopay, {
      workflowId: collection.workflow_id,
      taskQueue: deps.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: PayflowPath, value: 'copay' },
        { key: PayflowStatus, value: 'starting' },
        { key: PayflowPracticeId, value: collection.practice_id },
      ],
      // Plain words for engineers (encrypted like every payload; ids and the amount only, never PHI).
      staticSummary: `Superbill copay of ${formatCents(collection.requested_amount_cents)} for visit ${collection.visit_id} (collection ${collection.id})`,
    });
    // Idempotent: the first press starts the run, later ones attach to it (USE_EXISTING) and get the same request.
    return deps.temporal.workflow.executeUpdateWithStart(paymentRequestUpdate, { startWorkflowOperation: start }).catch((err: unknown) => {
      throw updateFailureToAppError(err);
    });
  }

  async function start(staff: Staff, visitId: unknown, rawBody: unknown) {
    const visit = await visitForCollection(deps.db, uuidParam(visitId, 'visit'), staff.practiceId);
    if (!visit) throw notFound('visit');
    const body = parseBody(startCopayBody, rawBody);
    const { collection, created } = await createCopayCollection(deps.db, {
      practiceId: visit.practice_id, patientId: visit.patient_id, visitId: visit.id, amountCents: body.amountCents,
      createdBy: `staff:${staff.id}`,
    });
    // A live collection past its capture is answered from the record: it has nothing left to open.
    const paymentRequest = ['starting', 'awaiting_capture'].includes(collection.status) ? await paymentRequestFor(collection, visit.time_zone) : undefined;
    const fresh = (await getCollection(deps.db, collection.id))!;
    return { created, body: { ...collectionView(fresh), paymentRequest: paymentRequest ?? collectionView(fresh).paymentRequest, existing: !created } };
  }

  return { start };
}

export function collectionRoutes(deps: { db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows }): Router {
  const router = Router();
  const copay = copayCollector(deps);

  router.post('/v1/visits/:visitId/copay-collections', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    const started = await copay.start(staffOf(req), req.params.visitId, req.body);
    res.locals.logFields = { workflowId: started.body.workflowId }; // in the access log line
    res.status(started.created ? 201 : 200).json(started.body);
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
    await deps.temporal.workflow.getHandle(collection.workflow_id)
      .executeUpdate(cancelUpdate, { args: [{ collectionId: collection.id, reason: body.reason, actor: `staff:${staff.id}` }] })
      .catch((err: unknown) => {
        throw updateFailureToAppError(err);
      });
    res.json({ collectionId: collection.id, cancelled: true });
  });

  return router;
}
