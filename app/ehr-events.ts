/**
 * What the EHR's and the clearinghouse's events do (their delivery, signatures and stored answers are
 * api/routes/webhooks.ts):
 * - a payment capture goes to its collection's run as the `capture` update, so the EHR learns at once whether it was
 *   accepted (a refusal is thrown: unknown collection 422, closed 409, or the run's own);
 * - reference data (practice, patient, visit) is upserted;
 * - a claim's new version is stored together with what it means for the money already on it (a payer reversal, a
 *   lowered responsibility, money coming back) and with its message to the visit's live copay run (a transactional
 *   outbox, delivered by worker/outbox-relay.ts): the caller runs it in the transaction that stores its answer.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { usableAuthorisationsForClaim } from '../db/queries/card-on-file';
import { applyPatientCredits } from '../db/queries/credits';
import { reapplyReturnedMoney, reverseClaimForPayer, trimOverAppliedClaim } from '../db/queries/claim-reversals';
import { findLiveCopayCollection, getCollection, isClosed } from '../db/queries/collections';
import { upsertClaim, upsertPatient, upsertPractice, upsertVisit } from '../db/queries/reference-data';
import { joinClaimToPlan } from '../db/queries/payment-plans';
import { enqueueRunMessage } from '../db/queries/run-messages';
import type { ClearinghouseEvent, EhrEvent } from '../ehr/events';
import { AppError, conflict } from '../lib/errors';
import { cardChargeWorkflowId, type CardChargeInput } from '../workflows/card-on-file-charge';
import { captureUpdate, type ResponsibilityChange } from '../workflows/collection-messages';
import { creditNoticeWorkflowId, type CreditNoticeInput } from '../workflows/credit-notice';
import type { PlanChanged } from '../workflows/payment-plan';

const PAYER_REVERSAL_REASON = 'payer reprocessed the claim (CLP02 = 22)';

type Capture = Extract<EhrEvent, { type: 'payment.captured' }>;

/** The EHR captured a collection's payment: its run takes it (or refuses it) through the `capture` update. */
export async function recordCapture(deps: { db: Db; temporal: Client }, e: Capture) {
  const collection = await getCollection(deps.db, e.data.collectionId);
  if (!collection) throw new AppError(422, 'unknown-collection', 'Unknown collection', 'No collection has this id.');
  if (isClosed(collection)) throw conflict(`This collection is ${collection.status}; its payment request is closed.`);
  const { eventId, data } = e;
  const result = await deps.temporal.workflow.getHandle(collection.workflow_id).executeUpdate(captureUpdate, {
    updateId: `capture:${eventId}`,
    args: [{ collectionId: collection.id, eventId, externalPaymentId: data.externalPaymentId, amountCents: data.amountCents, method: data.method, paidAt: data.paidAt }],
  });
  return { status: 'accepted', collectionId: collection.id, externalPaymentId: result.externalPaymentId };
}

/** A practice, patient or visit from the EHR. A visit before its patient throws ReferenceError (the sender retries). */
export async function upsertReferenceData(deps: { db: Db }, e: Exclude<EhrEvent, Capture>): Promise<{ status: string }> {
  switch (e.type) {
    case 'practice.upserted':
      await upsertPractice(deps.db, e.data);
      return { status: 'upserted' };
    case 'patient.upserted':
      return { status: (await upsertPatient(deps.db, e.data)).outcome };
    case 'visit.upserted':
      return { status: (await upsertVisit(deps.db, e.data)).outcome };
  }
}

/**
 * The claim's new version and, for the live copay run of its visit, the message that tells it. `db` is the
 * transaction that also stores the webhook's answer, so the message cannot be lost whatever is down.
 */
export async function recordClaimChange(deps: { db: Db; reversalWatchMs: number }, e: ClearinghouseEvent) {
  const trx = deps.db;
  const { id, visitId, outcome } = await upsertClaim(trx, e.data);
  // Back with the payer: every standing application on the claim is dealt with now, whichever path made it
  // (db/queries/claim-reversals.ts); a copay run watching for this is told below and applies its money again later.
  const reversal = outcome === 'updated' && e.data.responsibility === 'payer'
    ? await reverseClaimForPayer(trx, { claimId: id, reason: PAYER_REVERSAL_REASON, actor: 'clearinghouse', reversalWatchMs: deps.reversalWatchMs })
    : undefined;
  // Still (or again) the patient's: first take off what stands beyond a lowered responsibility, then put back money a
  // reversal had sent to staff.
  const backWithPatient = outcome === 'updated' && e.data.responsibility === 'patient';
  const trimmed = backWithPatient ? await trimOverAppliedClaim(trx, { claimId: id, actor: 'clearinghouse' }) : undefined;
  const returned = backWithPatient ? await reapplyReturnedMoney(trx, { claimId: id, actor: 'clearinghouse' }) : undefined;
  // The patient's now: their credits go onto the new balance first (db/queries/credits.ts), and they are told.
  const credits = outcome !== 'stale' && e.data.responsibility === 'patient' ? await applyPatientCredits(trx, { claimId: id, actor: 'clearinghouse' }) : undefined;
  if (credits?.appliedCents) {
    const input: CreditNoticeInput = { claimId: id, claimVersion: e.data.version };
    await enqueueRunMessage(trx, { key: `credit-notice:${id}:v${e.data.version}`, workflowId: creditNoticeWorkflowId(id, e.data.version), message: 'startCreditNotice', payload: input });
  }
  // The patient's now, while their payment plan takes new charges (`join_plan`): the claim joins the plan in this
  // transaction and the plan's run is told (it reads the plan again); a card-on-file charge then leaves the claim alone.
  const joined = outcome !== 'stale' && e.data.responsibility === 'patient' ? await joinClaimToPlan(trx, { claimId: id, actor: 'clearinghouse' }) : undefined;
  if (joined) {
    const change: PlanChanged = { reason: 'charge_joined', claimId: id };
    await enqueueRunMessage(trx, { key: `plan-join:${joined.planId}:${id}`, workflowId: joined.workflowId, message: 'planChanged', payload: change });
  }
  // The patient's now, with a card on file they authorised: its charge run starts (the run decides what, if anything, is owed).
  if (outcome !== 'stale' && e.data.responsibility === 'patient') {
    for (const a of await usableAuthorisationsForClaim(trx, id)) {
      const input: CardChargeInput = { authorisationId: a.id, claimId: id };
      await enqueueRunMessage(trx, { key: `card-charge:${a.id}:${id}:v${e.data.version}`, workflowId: cardChargeWorkflowId(a.id, id), message: 'startCardCharge', payload: input });
    }
  }
  if (outcome !== 'stale') {
    const collection = await findLiveCopayCollection(trx, visitId);
    if (collection) {
      const change: ResponsibilityChange = { eventId: e.eventId, responsibility: e.data.responsibility };
      await enqueueRunMessage(trx, { key: `claim:${id}:v${e.data.version}:${collection.workflow_id}`, workflowId: collection.workflow_id, message: 'responsibilityChanged', payload: change });
    }
  }
  return {
    status: outcome, claimId: id,
    ...(reversal ? { reversedApplications: reversal.reversedApplicationIds.length, tasksOpened: reversal.tasks.map((t) => t.taskId) } : {}),
    ...(trimmed?.trimmedCents ? { trimmedCents: trimmed.trimmedCents, tasksOpened: trimmed.taskIds } : {}),
    ...(returned?.reappliedCents ? { reappliedCents: returned.reappliedCents, tasksClosed: returned.closedTaskIds } : {}),
    ...(credits?.appliedCents ? { creditAppliedCents: credits.appliedCents } : {}),
    ...(joined ? { joinedPlanId: joined.planId, joinedPlanCents: joined.joinedCents } : {}),
  };
}
