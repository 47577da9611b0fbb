/**
 * Collect Now on a patient's billing page (shared/domain.md, path 1): starts (or returns) the patient's
 * outstanding-balance collection and answers with the EHR payment request's link. The amount defaults to the
 * patient's open balance (patient-owned claims only); the claims the payment names are applied to first.
 * Read and cancel it through /v1/collections/{id} like any collection.
 */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import {
  claimIdsOfPatient, createBalanceCollection, findLiveBalanceCollection, patientOpenBalanceCents,
} from '../../db/queries/balance';
import { patientInPractice } from '../../db/queries/patients';
import { MAX_PAYMENT_CENTS, formatCents, type Cents } from '../../domain/money';
import { AppError, notFound, validationFailed } from '../../lib/errors';
import type { Staff } from '../../db/queries/staff';
import { requireRole, staffOf } from '../auth';
import { idempotency } from '../idempotency';
import { parseBody, UUID } from '../validate';
import { answerCollectNow, sendCollectNow, type CollectionWindows } from './collections';

/** How many claims one payment may name. */
export const MAX_NAMED_CLAIMS = 50;

const cents = z.number({ error: 'must be a number of cents' }).int({ error: 'must be a whole number of cents' })
  .min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS, { error: `must be at most ${MAX_PAYMENT_CENTS} cents` });
const startBalanceBody = z.strictObject({
  amountCents: cents.optional(),
  claimIds: z.array(z.uuid({ error: 'must be a claim id' }), { error: 'must be a list of claim ids' })
    .max(MAX_NAMED_CLAIMS, { error: `may name at most ${MAX_NAMED_CLAIMS} claims` }).optional(),
});

/** Collect Now on a patient's billing page, for the API route and the staff pages. */
export function balanceCollector(deps: { db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows }) {

  /**
   * The patient's open balance (patient-owned claims). A collection still waiting for its capture is answered as it is
   * (pressed twice), whatever the balance did meanwhile; otherwise no balance, or more than one payment may be → 422.
   */
  async function defaultAmount(patientId: string): Promise<Cents> {
    const open = await patientOpenBalanceCents(deps.db, patientId);
    if (open > 0 && open <= MAX_PAYMENT_CENTS) return open;
    const live = await findLiveBalanceCollection(deps.db, patientId);
    if (live) return live.requested_amount_cents;
    if (open === 0) {
      throw new AppError(422, 'no-open-balance', 'No open balance', 'This patient has no open balance to collect. Enter amountCents to take a payment anyway (staff then decide where it goes).', [{ field: 'amountCents', reason: 'is required when the patient has no open balance' }]);
    }
    throw new AppError(422, 'validation-failed', 'Validation failed', `The open balance is more than the largest single payment (${formatCents(MAX_PAYMENT_CENTS)}); enter amountCents.`, [{ field: 'amountCents', reason: 'is required when the open balance exceeds the largest single payment' }]);
  }

  async function start(staff: Staff, patientId: unknown, rawBody: unknown) {
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
      practiceId: staff.practiceId, patientId: patient.id, amountCents: body.amountCents ?? (await defaultAmount(patient.id)),
      namedClaimIds: claimIds, createdBy: `staff:${staff.id}`,
    });
    return answerCollectNow(deps, collection, created, patient.timeZone);
  }

  return { start };
}

export function balanceCollectionRoutes(deps: { db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows }): Router {
  const router = Router();
  const balance = balanceCollector(deps);

  router.post('/v1/patients/:patientId/balance-collections', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    sendCollectNow(res, await balance.start(staffOf(req), req.params.patientId, req.body));
  });

  return router;
}
