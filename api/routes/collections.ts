/** Collections API: start a copay collection for a visit (Collect Now), list a visit's, read one, cancel one (app/collections.ts). */
import { Router, type Response } from 'express';
import type { Db } from '../../db/connection';
import {
  cancelCollection, collectionsOfVisitFor, collectionWithLedger, startCopayCollection, type CollectionDeps, type CollectNowResult,
} from '../../app/collections';
import { cancelResultSchema, collectionDetailSchema, collectNowSchema, visitCollectionsSchema } from '../../contracts/collections';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';
import { idempotency } from '../idempotency';

/** 201 new, 200 existing, 202 started but its payment link not open yet (Location: poll it). */
export function sendCollectNow(res: Response, started: CollectNowResult): void {
  res.locals.logFields = { workflowId: started.body.workflowId }; // in the access log line
  if (started.pending) res.location(`/v1/collections/${started.body.collectionId}`);
  sendJson(res, started.pending ? 202 : started.created ? 201 : 200, collectNowSchema, started.body);
}

export function collectionRoutes(deps: CollectionDeps & { db: Db }): Router {
  const router = Router();

  router.post('/v1/visits/:visitId/copay-collections', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    sendCollectNow(res, await startCopayCollection(deps, staffOf(req), req.params.visitId, req.body));
  });

  router.get('/v1/visits/:visitId/collections', async (req, res) => {
    sendJson(res, 200, visitCollectionsSchema, await collectionsOfVisitFor(deps, staffOf(req), req.params.visitId));
  });

  router.get('/v1/collections/:collectionId', async (req, res) => {
    sendJson(res, 200, collectionDetailSchema, await collectionWithLedger(deps, staffOf(req), req.params.collectionId));
  });

  router.post('/v1/collections/:collectionId/cancel', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    sendJson(res, 200, cancelResultSchema, await cancelCollection(deps, staffOf(req), req.params.collectionId, req.body));
  });

  return router;
}
