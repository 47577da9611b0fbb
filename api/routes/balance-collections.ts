/**
 * Collect Now on a patient's billing page (shared/domain.md, path 1): starts (or returns) the patient's
 * outstanding-balance collection and answers with the EHR payment request's link (app/collections.ts). The amount
 * defaults to the patient's open balance (patient-owned claims only); the claims the payment names are applied to first.
 * Read and cancel it through /v1/collections/{id} like any collection.
 */
import { Router } from 'express';
import { startBalanceCollection, type CollectionDeps } from '../../app/collections';
import { requireRole, staffOf } from '../../http/auth';
import { idempotency } from '../idempotency';
import { sendCollectNow } from './collections';

export function balanceCollectionRoutes(deps: CollectionDeps): Router {
  const router = Router();

  router.post('/v1/patients/:patientId/balance-collections', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    sendCollectNow(res, await startBalanceCollection(deps, staffOf(req), req.params.patientId, req.body));
  });

  return router;
}
