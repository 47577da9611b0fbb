/**
 * The card-on-file charge's activities (workflows/card-on-file-charge.ts; docs/card-on-file-and-plans.md). Each re-reads the
 * database, which decides: a revoked authorisation, an objection, a claim back with the payer or already paid is seen
 * at the moment of the charge, whatever the workflow believed when it started waiting.
 *
 * Exactly once: the charge row is written `pending` (under the cap trigger) before the processor is called, with the
 * business key that is also the processor's idempotency key. A retried activity (a worker killed mid-call, a processor
 * timeout) finds that row and calls the processor again with the same key: the processor answers with the first
 * charge, never a second. Returned values carry ids, amounts and codes: never PHI.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/connection';
import {
  chargeByKey, chargeContext, completeCharge, markChargeDeclined, noticeRecipientOf, openCardExpiredTask, reserveCharge,
  type ChargeContext,
} from '../db/queries/card-on-file';
import { inTransaction } from '../db/connection';
import { claimBilledByPlan } from '../db/queries/payment-plans';
import {
  authorisationUsable, cardChargeKey, cardExpired, chargeFailedText, chargeNoticeSms, chargeNoticeText, noticeChannel, planCharge,
  type DeclineCode,
} from '../domain/card-on-file';
import { localDateOf } from '../domain/dates';
import type { Cents } from '../domain/money';
import { cardObjectionUrl } from '../lib/card-objection-link';
import type { Notifier } from '../lib/notifier';
import { CardProcessorError, type CardProcessor } from '../processor/card-processor';
import { portalUrlOf } from './statement-notices';

export interface CardChargeDeps {
  db: Db;
  notifier: Notifier;
  /** Absent: a worker without a processor fails the charge activity (retried until one is configured). */
  processor?: CardProcessor;
  publicBaseUrl?: string;
  /** Signs the notice's "pay another way" link (PAY_LINK_SECRET). */
  linkSecret?: string;
}

export interface CardChargeRef { authorisationId: string; claimId: string }

export type CardChargePlan =
  | { charge: false; reason: 'revoked' | 'expired' | 'other_visit' | 'objected' | 'payer_holds_claim' | 'nothing_owed' | 'cap_used' | 'already_tried' | 'in_payment_plan' }
  | {
    charge: true; amountCents: Cents; aboveCapCents: Cents; last4: string; claimVersion: number; visitId: string;
    noticeWaitMs: number; retryScheduleMs: number[]; timeZone: string; cardExpired: boolean;
  };

export type CardChargeOutcome =
  | { status: 'succeeded'; paymentId: string; amountCents: Cents; appliedCents: Cents; taskId?: string }
  | { status: 'declined'; code: DeclineCode }
  | { status: 'skipped'; reason: Exclude<CardChargePlan, { charge: true }>['reason'] };

const DEFAULT_BASE = 'http://localhost:3000';

/**
 * The plan from the database now (the same rules at the start of the run and at the moment of each charge).
 * `billedByPlan`: the claim is in the patient's live payment plan, or their live plan takes new charges (`join_plan`):
 * the plan's installments collect it, never this card charge too.
 */
function planFrom(ctx: ChargeContext, now: Date, billedByPlan: boolean): CardChargePlan {
  const a = ctx.authorisation;
  const usable = authorisationUsable({ scope: a.scope, visitId: a.visit_id, validUntil: a.valid_until, revokedAt: a.revoked_at }, ctx.claim.visitId, now);
  if (!usable.usable) return { charge: false, reason: usable.reason };
  if (ctx.objected) return { charge: false, reason: 'objected' };
  if (ctx.claim.responsibility !== 'patient') return { charge: false, reason: 'payer_holds_claim' };
  if (billedByPlan) return { charge: false, reason: 'in_payment_plan' };
  const plan = planCharge({ claimOpenCents: ctx.claim.openCents, heldForVisitCents: ctx.heldForVisitCents, capCents: a.cap_cents, chargedOnVisitCents: ctx.chargedOnVisitCents });
  if (!plan.charge) return plan;
  return {
    charge: true, amountCents: plan.amountCents, aboveCapCents: plan.aboveCapCents, last4: a.last4, claimVersion: ctx.claim.version, visitId: ctx.claim.visitId,
    noticeWaitMs: ctx.practice.noticeWaitMs, retryScheduleMs: ctx.practice.retryScheduleMs, timeZone: ctx.practice.timeZone,
    cardExpired: cardExpired({ expMonth: a.exp_month, expYear: a.exp_year }, now, ctx.practice.timeZone),
  };
}

export function createCardChargeActivities(deps: CardChargeDeps) {
  const { db, notifier } = deps;
  const base = deps.publicBaseUrl ?? DEFAULT_BASE;

  async function sendNotice(ref: CardChargeRef, ctx: ChargeContext, key: string, compose: (channel: 'email' | 'text' | 'mail', firstName: string) => { subject: string | null; body: string }) {
    const who = await noticeRecipientOf(db, ctx.authorisation.patient_id);
    const channel = noticeChannel(ctx.authorisation.notice_channel, who);
    const recipient = channel === 'email' ? who.email! : channel === 'text' ? who.phone! : `${who.firstName} ${who.lastName}, mailing address of record`;
    const { subject, body } = compose(channel, who.firstName);
    const sent = await notifier.send({
      channel, kind: 'card_notice', sequence: 0, practiceId: ctx.authorisation.practice_id, patientId: ctx.authorisation.patient_id, statementId: null,
      recipient, subject, body, businessKey: `${key}:${channel}`, publicBaseUrl: base,
    });
    return { channel, messageId: sent.messageId };
  }

  return {
    /** What would be charged for this claim now, and the practice's waits; `charge: false` with the reason otherwise. */
    async planCardCharge(ref: CardChargeRef): Promise<CardChargePlan> {
      const ctx = await chargeContext(db, ref);
      // A run started again for a claim version whose charge already ended (a message delivered twice): nothing to do.
      if (ctx.versionTried) return { charge: false, reason: 'already_tried' };
      return planFrom(ctx, new Date(), await claimBilledByPlan(db, ref.claimId));
    },

    /** The notice before the charge, once per (authorisation, claim version): by the channel the patient chose, else one that reaches them. */
    async sendCardChargeNotice(input: CardChargeRef & { claimVersion: number; amountCents: Cents; aboveCapCents: Cents; chargeAt: string }): Promise<{ channel: string; messageId: string }> {
      const ctx = await chargeContext(db, input);
      const chargeAt = new Date(input.chargeAt);
      const chargeDate = localDateOf(chargeAt, ctx.practice.timeZone);
      const url = cardObjectionUrl(base, input, deps.linkSecret ?? 'dev-pay-link-secret-not-for-production', new Date(chargeAt.getTime() + 7 * 86_400_000));
      return sendNotice(input, ctx, `card-notice:${input.authorisationId}:${input.claimId}:v${input.claimVersion}`, (channel, firstName) => {
        const model = {
          practiceName: ctx.practice.name, firstName, amountCents: input.amountCents, aboveCapCents: input.aboveCapCents, last4: ctx.authorisation.last4,
          chargeDate, payAnotherWayUrl: url,
        };
        return channel === 'text' ? { subject: null, body: chargeNoticeSms(model) } : chargeNoticeText(model);
      });
    },

    /**
     * One attempt: re-decides under locks, writes the pending charge, calls the processor with the charge's key, records
     * the answer (a success becomes a payment applied to the claim in the same transaction). A pending charge of this
     * key from an earlier try is completed, never re-decided: the processor may have charged it.
     */
    async chargeCardOnFile(input: CardChargeRef & { claimVersion: number; attempt: number }): Promise<CardChargeOutcome> {
      if (!deps.processor) throw ApplicationFailure.retryable('No card processor is configured on this worker.', 'ProcessorMissing');
      const key = cardChargeKey(input.authorisationId, input.claimId, input.claimVersion, input.attempt);
      const found = await chargeByKey(db, key);
      if (found?.state === 'declined') return { status: 'declined', code: found.decline_code! };
      // A new attempt is decided and reserved under the locks; one found (an earlier try) is completed as it was reserved.
      const reserved = found ? { row: found, ctx: await chargeContext(db, input) } : await inTransaction(db, async (trx) => {
        const ctx = await chargeContext(trx, { ...input, lock: true });
        const plan = planFrom(ctx, new Date(), await claimBilledByPlan(trx, input.claimId));
        if (!plan.charge) return { skipped: plan.reason };
        return { ctx, row: await reserveCharge(trx, { ...input, visitId: ctx.claim.visitId, businessKey: key, amountCents: plan.amountCents, practiceId: ctx.authorisation.practice_id }) };
      });
      if ('skipped' in reserved) return { status: 'skipped', reason: reserved.skipped };
      const { row: charge, ctx } = reserved;
      const a = ctx.authorisation;
      const processor = deps.processor;
      const result = charge.state === 'succeeded'
        ? { status: 'succeeded' as const, chargeRef: charge.charge_ref!, amountCents: charge.amount_cents }
        : await processor.charge({
          card: { customerRef: a.customer_ref, paymentMethodRef: a.payment_method_ref }, amountCents: charge.amount_cents, idempotencyKey: key,
          description: `${ctx.practice.name}: balance after insurance`, metadata: { authorisationId: a.id, claimId: input.claimId, chargeId: charge.id },
        }).catch((err: unknown) => {
          // A request the processor refuses for good (not an outage) will not go through on a retry: a decline of ours.
          if (err instanceof CardProcessorError && !err.retryable) return { status: 'declined' as const, code: 'processing_error' as const };
          throw err;
        });
      if (result.status === 'declined') {
        await markChargeDeclined(db, { chargeId: charge.id, code: result.code, practiceId: a.practice_id });
        return { status: 'declined', code: result.code };
      }
      const now = new Date();
      const done = await completeCharge(db, { charge, chargeRef: result.chargeRef, practiceId: a.practice_id, patientId: a.patient_id, paidAt: now, paymentDate: localDateOf(now, ctx.practice.timeZone) });
      return { status: 'succeeded', paymentId: done.paymentId, amountCents: charge.amount_cents, appliedCents: done.appliedCents, ...(done.taskId ? { taskId: done.taskId } : {}) };
    },

    /** No charge could be made: the patient is told a statement follows; an expired card also opens a task for staff. */
    async reportCardChargeFailed(input: CardChargeRef & { claimVersion: number; code: DeclineCode }): Promise<{ taskId?: string }> {
      const ctx = await chargeContext(db, input);
      const expired = input.code === 'expired_card';
      await sendNotice(input, ctx, `card-failed:${input.authorisationId}:${input.claimId}:v${input.claimVersion}`, (channel, firstName) => {
        const t = chargeFailedText({ practiceName: ctx.practice.name, firstName, last4: ctx.authorisation.last4, expired, portalUrl: portalUrlOf(base) });
        return channel === 'text' ? { subject: null, body: `${ctx.practice.name}: we could not charge your card on file. A statement will follow; to pay now: ${portalUrlOf(base)}` } : t;
      });
      if (!expired) return {};
      const { taskId } = await openCardExpiredTask(db, { ...input, visitId: ctx.claim.visitId, practiceId: ctx.authorisation.practice_id, patientId: ctx.authorisation.patient_id });
      return { taskId };
    },
  };
}
