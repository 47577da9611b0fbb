/**
 * Signed webhooks from the EHR (payments, reference data) and the clearinghouse (claims and remittances).
 * Order of work: verify the signature (401, nothing stored) → validate (400/422, nothing stored) → store in the
 * inbox by event id (a redelivery gets the stored answer) → act → store the answer.
 * A capture is delivered to its workflow as an update, so the EHR learns synchronously whether it was accepted.
 */
import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { z } from 'zod';
import type { Db } from '../../db/connection';
import { findLiveCopayCollection, getCollection, isClosed } from '../../db/queries/collections';
import { upsertClaim, upsertPatient, upsertPractice, upsertVisit } from '../../db/queries/reference-data';
import { receiveEvent, recordAnswer, type StoredAnswer } from '../../db/queries/webhook-inbox';
import { clearinghouseEventSchema, ehrEventSchema, type ClearinghouseEvent, type EhrEvent } from '../../ehr/events';
import { AppError, conflict, unauthorized } from '../../lib/errors';
import { verifyWebhook } from '../../lib/webhook-signature';
import { captureUpdate, responsibilityChangedSignal } from '../../workflows/collection-messages';
import { problemOf } from '../problem';
import { updateFailureToAppError } from '../temporal-errors';
import { parseBody } from '../validate';

export interface WebhookSecrets { ehr: string[]; clearinghouse: string[] }
interface Deps { db: Db; temporal: Client; secrets: WebhookSecrets }

const answer = (status: number, body: unknown): StoredAnswer => ({ status, body });
const problemAnswer = (err: AppError, path: string): StoredAnswer => answer(err.status, problemOf(err, path));

function verified<S extends z.ZodType>(req: Request, secrets: string[], schema: S): z.infer<S> {
  const check = verifyWebhook(req.header('Payflow-Signature'), req.rawBody ?? Buffer.alloc(0), secrets, Math.floor(Date.now() / 1000));
  if (!check.ok) throw unauthorized(`Webhook signature rejected (${check.reason}).`);
  return parseBody(schema, req.body);
}

function send(res: Response, a: StoredAnswer): void {
  res.status(a.status).type(a.status >= 400 ? 'application/problem+json' : 'application/json').send(JSON.stringify(a.body));
}

export function webhookRoutes(deps: Deps): Router {
  const router = Router();

  /** Stores, acts once, answers; a transient failure (5xx, out-of-order reference data) is not stored, so the sender's retry acts again. */
  async function handle(source: string, req: Request, res: Response, eventId: string, type: string, act: () => Promise<StoredAnswer>) {
    const { answered } = await receiveEvent(deps.db, { source, eventId, type, payload: req.body });
    if (answered) return send(res, { ...answered, body: { ...(answered.body as object), duplicate: true } });
    let result: StoredAnswer;
    try {
      result = await act();
    } catch (err) {
      const mapped = updateFailureToAppError(err);
      if (mapped instanceof ReferenceError) throw new AppError(409, 'depends-on-unknown', 'Depends on unknown data', 'This event refers to a record we have not received yet; retry later.');
      if (!(mapped instanceof AppError) || mapped.status >= 500) throw mapped;
      result = problemAnswer(mapped, req.path);
    }
    await recordAnswer(deps.db, source, eventId, result);
    send(res, result);
  }

  async function onEhrEvent(e: EhrEvent, path: string): Promise<StoredAnswer> {
    switch (e.type) {
      case 'payment.captured': {
        const collection = await getCollection(deps.db, e.data.collectionId);
        if (!collection) return problemAnswer(new AppError(422, 'unknown-collection', 'Unknown collection', 'No collection has this id.'), path);
        if (isClosed(collection)) return problemAnswer(conflict(`This collection is ${collection.status}; its payment request is closed.`), path);
        const { eventId, data } = e;
        const result = await deps.temporal.workflow.getHandle(collection.workflow_id).executeUpdate(captureUpdate, {
          updateId: `capture:${eventId}`,
          args: [{ collectionId: collection.id, eventId, externalPaymentId: data.externalPaymentId, amountCents: data.amountCents, method: data.method, paidAt: data.paidAt }],
        });
        return answer(200, { status: 'accepted', collectionId: collection.id, externalPaymentId: result.externalPaymentId });
      }
      case 'practice.upserted':
        await upsertPractice(deps.db, e.data);
        return answer(200, { status: 'upserted' });
      case 'patient.upserted':
        return answer(200, { status: (await upsertPatient(deps.db, e.data)).outcome });
      case 'visit.upserted':
        return answer(200, { status: (await upsertVisit(deps.db, e.data)).outcome });
    }
  }

  async function onClearinghouseEvent(e: ClearinghouseEvent): Promise<StoredAnswer> {
    const { id, visitId, outcome } = await upsertClaim(deps.db, e.data);
    if (outcome !== 'stale') {
      // The claim row now holds this event's version; a workflow waiting on it is told (it re-reads the row).
      const collection = await findLiveCopayCollection(deps.db, visitId);
      if (collection) {
        await deps.temporal.workflow.getHandle(collection.workflow_id)
          .signal(responsibilityChangedSignal, { eventId: e.eventId, responsibility: e.data.responsibility })
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err; // finished runs need no news
          });
      }
    }
    return answer(200, { status: outcome, claimId: id });
  }

  router.post('/webhooks/ehr', async (req, res) => {
    const event = verified(req, deps.secrets.ehr, ehrEventSchema);
    await handle('ehr', req, res, event.eventId, event.type, () => onEhrEvent(event, req.path));
  });
  router.post('/webhooks/clearinghouse', async (req, res) => {
    const event = verified(req, deps.secrets.clearinghouse, clearinghouseEventSchema);
    await handle('clearinghouse', req, res, event.eventId, event.type, () => onClearinghouseEvent(event));
  });
  return router;
}
