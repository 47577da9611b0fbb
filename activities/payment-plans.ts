/**
 * The payment plan's activities (workflows/payment-plan.ts; docs/card-on-file-and-plans.md "Payment plans"). The database
 * decides at the moment of each charge: a plan paused or cancelled, an installment already settled, a revoked card
 * authorisation is seen there, whatever the run believed while it waited.
 *
 * Exactly once: an attempt is written `pending` before the processor is called, under the key
 * `plan:<planId>:installment:<n>:a<attempt>` that is also the processor's idempotency key (the pattern of
 * chargeCardOnFile in ./card-charges.ts). A retried activity (a worker killed mid-call, a lost answer) finds the row and
 * calls the processor again with the same key: the processor answers with the first charge, never a second. Returned
 * values carry ids, amounts, dates and codes: never PHI.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/connection';
import { authorisationById } from '../db/queries/card-on-file';
import {
  completePlanCharge, defaultPlan, failInstallment, installmentsOf, markPlanChargeDeclined, planById, planChargeByKey, planSnapshot, practicePlanSettings,
  reservePlanCharge, setPlanStatus, skipInstallment, type PlanSnapshot,
} from '../db/queries/payment-plans';
import { cardExpired, type DeclineCode } from '../domain/card-on-file';
import { localDateOf } from '../domain/dates';
import type { Cents } from '../domain/money';
import { nextDueAfter, planChargeKey, type PlanStatus } from '../domain/payment-plans';
import type { CardProcessor } from '../processor/card-processor';

export interface PlanActivityDeps {
  db: Db;
  /** Absent: a worker without a processor fails the charge activity (retried until one is configured). */
  processor?: CardProcessor;
}

export type { PlanSnapshot };
export type PlanInstallment = PlanSnapshot['installments'][number];

export type PlanChargeOutcome =
  | { status: 'succeeded'; paymentId: string; amountCents: Cents; appliedCents: Cents; taskId?: string }
  | { status: 'declined'; code: DeclineCode }
  | { status: 'refused'; reason: 'plan_not_active' | 'installment_settled' | 'authorisation_revoked' | 'authorisation_expired' };

const STAFF_ACTOR = /^(staff|system):[A-Za-z0-9:_-]{1,80}$/;
const actorOf = (actor: string) => (STAFF_ACTOR.test(actor) ? actor : 'system:workflow');

export function createPaymentPlanActivities(deps: PlanActivityDeps) {
  const { db } = deps;

  async function planOr404(planId: string) {
    const plan = await planById(db, planId);
    if (!plan) throw ApplicationFailure.nonRetryable('No such payment plan.', 'RowNotFound');
    return plan;
  }

  return {
    /** The plan as the run holds it (a run started without it, or one that must take the database's word). */
    async loadPaymentPlan(input: { planId: string }): Promise<PlanSnapshot> {
      return planSnapshot(db, input.planId);
    },

    /**
     * One attempt at one installment: writes it pending (refused when the plan is no longer active or the installment
     * is settled), calls the processor under its key, records the answer; a success becomes a payment applied oldest
     * first in the same transaction. A pending attempt of this key from an earlier try is completed, never re-decided.
     */
    async chargePlanInstallment(input: { planId: string; sequence: number; attempt: number }): Promise<PlanChargeOutcome> {
      if (!deps.processor) throw ApplicationFailure.retryable('No card processor is configured on this worker.', 'ProcessorMissing');
      const key = planChargeKey(input.planId, input.sequence, input.attempt);
      let charge = await planChargeByKey(db, key);
      if (!charge) {
        const r = await reservePlanCharge(db, { ...input, businessKey: key, now: new Date() });
        if ('refused' in r) return { status: 'refused', reason: r.refused };
        charge = r.reserved;
      }
      if (charge.state === 'declined') return { status: 'declined', code: charge.decline_code! };
      const plan = await planOr404(input.planId);
      const auth = await authorisationById(db, plan.authorisation_id);
      if (!auth) throw ApplicationFailure.nonRetryable('The plan\'s card authorisation is gone.', 'RowNotFound');
      const settings = await practicePlanSettings(db, plan.practice_id);
      let result: { status: 'succeeded'; chargeRef: string } | { status: 'declined'; code: DeclineCode };
      if (charge.state === 'succeeded') result = { status: 'succeeded', chargeRef: charge.charge_ref! };
      else if (cardExpired({ expMonth: auth.exp_month, expYear: auth.exp_year }, new Date(), settings.timeZone)) result = { status: 'declined', code: 'expired_card' };
      else {
        result = await deps.processor.charge({
          card: { customerRef: auth.customer_ref, paymentMethodRef: auth.payment_method_ref }, amountCents: charge.amount_cents, idempotencyKey: key,
          description: 'Payment plan installment', metadata: { planId: plan.id, sequence: String(input.sequence), chargeId: charge.id },
        });
      }
      if (result.status === 'declined') {
        await markPlanChargeDeclined(db, { charge, code: result.code, practiceId: plan.practice_id });
        return { status: 'declined', code: result.code };
      }
      const now = new Date();
      const done = await completePlanCharge(db, {
        charge, chargeRef: result.chargeRef, practiceId: plan.practice_id, patientId: plan.patient_id, workflowId: plan.workflow_id, paidAt: now,
        paymentDate: localDateOf(now, settings.timeZone),
      });
      return { status: 'succeeded', paymentId: done.paymentId, amountCents: charge.amount_cents, appliedCents: done.appliedCents, ...(done.taskId ? { taskId: done.taskId } : {}) };
    },

    /** The installment failed (declined past the schedule, or not chargeable): counted; the run defaults the plan at N. */
    async failPlanInstallment(input: { planId: string; sequence: number; code: string }): Promise<{ failedInstallments: number; maxFailed: number }> {
      return failInstallment(db, input);
    },

    /** The plan is in default: a `plan_defaulted` task; the balance goes back to statements. */
    async defaultPaymentPlan(input: { planId: string }): Promise<{ taskId: string; unpaidCents: Cents }> {
      return defaultPlan(db, input);
    },

    /** Staff's pause / resume / cancel, and the run's completion: the status written and audited (idempotent). */
    async setPaymentPlanStatus(input: { planId: string; to: PlanStatus; actor: string }): Promise<{ changed: boolean; status: PlanStatus }> {
      const from: Record<PlanStatus, PlanStatus[]> = {
        active: ['paused'], paused: ['active'], cancelled: ['active', 'paused'], completed: ['active'], defaulted: ['active', 'paused'],
      };
      const action = { active: 'payment_plan.resumed', paused: 'payment_plan.paused', cancelled: 'payment_plan.cancelled', completed: 'payment_plan.completed', defaulted: 'payment_plan.defaulted' }[input.to];
      return setPlanStatus(db, { planId: input.planId, from: from[input.to], to: input.to, actor: actorOf(input.actor), action });
    },

    /** Staff skip an installment: it moves to the end, one interval after the last (audited). */
    async skipPlanInstallment(input: { planId: string; sequence: number; actor: string }): Promise<{ sequence: number; amountCents: Cents; dueDate: string; dueAtMs: number }> {
      const plan = await planOr404(input.planId);
      const settings = await practicePlanSettings(db, plan.practice_id);
      const last = (await installmentsOf(db, plan.id)).at(-1)!;
      const appended = nextDueAfter({ dueDate: last.due_date, dueAtMs: last.due_at.getTime() }, {
        interval: plan.interval, timeZone: settings.timeZone, firstDueDate: plan.first_due_date, sequence: last.sequence + 1, startMs: plan.created_at.getTime(),
      });
      return skipInstallment(db, { planId: plan.id, sequence: input.sequence, actor: actorOf(input.actor), appended });
    },
  };
}
