/**
 * A payment plan (issue 18; docs/card-on-file-and-plans.md "Payment plans"): one run per plan, id `payment-plan-<planId>`
 * (workflows/starts/payment-plan.ts). It sleeps on a durable timer until each installment is due, charges it once
 * through `chargePlanInstallment` (the attempt written pending before the processor is called, under the key
 * `plan:<planId>:installment:<n>:a<attempt>`), and the payment is applied oldest first in the same transaction; a
 * receipt follows. A decline is tried again on the practice's card retry schedule, then the installment is failed;
 * N failed installments put the plan in default (a `plan_defaulted` task; the balance goes back to statements).
 *
 * Staff's updates (validated here, audited by their activity): `skip` (the next installment moves to the end),
 * `pause`, `resume`, `cancel`. The query `planStatus` answers the plan as the run holds it; the current details say
 * "installment 2 of 3, $40.00, due 2027-01-15". The run continues as new every few installments (and when Temporal
 * suggests it), carrying its state.
 *
 * Deterministic workflow code only. No PHI in the input, the details or the result: ids, amounts, due dates.
 */
import {
  allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, defineUpdate, patched, proxyActivities, setCurrentDetails, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PlanInstallment, PlanSnapshot } from '../activities/payment-plans';
import { declineAction, retryWaits } from '../domain/card-on-file';
import { formatCents, type Cents } from '../domain/money';
import { installmentDetails, type PlanStatus } from '../domain/payment-plans';
import { PayflowStatus } from './search-attributes';
import { rejectUpdate } from './update-refusals';

/** The run of a plan: `payment-plan-<planId>` (a plan id, never PHI). */
export const paymentPlanWorkflowId = (planId: string) => `payment-plan-${planId}`;

export interface PaymentPlanInput {
  planId: string;
  /** Carried across continue-as-new: the plan as the previous run left it. */
  state?: PlanSnapshot;
  /** Installments settled per run before it continues as new (default 3). */
  continueAsNewEvery?: number;
}

export type PaymentPlanResult = { status: Exclude<PlanStatus, 'active' | 'paused'>; paidCents: Cents; installmentsPaid: number };

export interface StaffAction { actor: string }

export interface PlanStatusView {
  planId: string;
  status: PlanStatus | 'starting';
  totalCents: Cents;
  paidCents: Cents;
  failedInstallments: number;
  maxFailedInstallments: number;
  next: { sequence: number; position: number; count: number; amountCents: Cents; dueDate: string } | null;
  installments: { sequence: number; amountCents: Cents; dueDate: string; state: string; attempts: number }[];
}

export const planStatusQuery = defineQuery<PlanStatusView>('planStatus');
export const skipInstallmentUpdate = defineUpdate<PlanStatusView, [StaffAction]>('skip');
export const pausePlanUpdate = defineUpdate<PlanStatusView, [StaffAction]>('pause');
export const resumePlanUpdate = defineUpdate<PlanStatusView, [StaffAction]>('resume');
export const cancelPlanUpdate = defineUpdate<PlanStatusView, [StaffAction]>('cancel');

/** The plan changed in the database outside the run (a new charge joined it): the run reads it again. */
export interface PlanChanged { reason: 'charge_joined'; claimId: string }
/** Delivered through the run-messages outbox (`planChanged`, worker/outbox-relay.ts), so it survives any outage. */
export const planChangedSignal = defineSignal<[PlanChanged]>('planChanged');

export const DEFAULT_CONTINUE_AS_NEW_EVERY = 3;

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // The processor or the database may be down for a while: keep trying, backing off to every five minutes. The
  // attempt's idempotency key makes every retry the same charge.
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['LedgerRuleError', 'LedgerConflict', 'RowNotFound'] },
});

/** Installments charge no more than the plan's claims still owe: the run takes the charged amount and the new total. */
const PAID_OTHERWISE_PATCH = 'plan-paid-otherwise';

export async function paymentPlan(input: PaymentPlanInput): Promise<PaymentPlanResult> {
  const planId = input.planId;
  const every = Math.max(1, input.continueAsNewEvery ?? DEFAULT_CONTINUE_AS_NEW_EVERY);
  let s: PlanSnapshot | undefined = input.state;
  /** Staff updates in progress: the loop charges nothing while one runs. */
  let busy = 0;
  /** The installment being charged now: a skip takes the one after it. */
  let charging: number | null = null;
  /** Bumped by every change staff make: a wait ends and the loop looks again. */
  let version = 0;
  /** The database changed the plan (a new charge joined it): read it again before the next charge. */
  let reloadWanted = false;

  const counted = () => (s ? s.installments.filter((i) => i.state !== 'skipped') : []);
  const open = (i: PlanInstallment) => i.state === 'scheduled' || i.state === 'pending';
  const nextOf = () => s?.installments.find(open);
  const paidCents = () => (s ? s.installments.filter((i) => i.state === 'paid').reduce((t, i) => t + i.amountCents, 0) : 0);
  const view = (): PlanStatusView => {
    const next = nextOf();
    const list = counted();
    return {
      planId, status: s?.status ?? 'starting', totalCents: s?.totalCents ?? 0, paidCents: paidCents(), failedInstallments: s?.failedInstallments ?? 0,
      maxFailedInstallments: s?.maxFailed ?? 0,
      next: next ? { sequence: next.sequence, position: list.indexOf(next) + 1, count: list.length, amountCents: next.amountCents, dueDate: next.dueDate } : null,
      installments: (s?.installments ?? []).map((i) => ({ sequence: i.sequence, amountCents: i.amountCents, dueDate: i.dueDate, state: i.state, attempts: i.attempts })),
    };
  };
  const describeNext = () => {
    const next = nextOf();
    if (!s || !next) return;
    const list = counted();
    const where = installmentDetails({ sequence: list.indexOf(next) + 1, amountCents: next.amountCents, dueDate: next.dueDate }, list.length);
    setCurrentDetails(s.status === 'paused' ? `paused by staff; next: ${where}` : `${where}, card ending ${s.last4}; ${formatCents(paidCents())} of ${formatCents(s.totalCents)} paid`);
  };
  const setStatus = (status: PlanStatus) => {
    if (!s) return;
    s.status = status;
    upsertSearchAttributes([{ key: PayflowStatus, value: status }]);
  };
  /** The installment a skip would move: the next one not being charged and never tried. */
  const skippable = () => s?.installments.find((i) => i.state === 'scheduled' && i.attempts === 0 && i.sequence !== charging);

  const staffUpdate = (to: PlanStatus, allowedFrom: PlanStatus[], words: string) => ({
    validator: (_action: StaffAction): void => {
      if (s && !allowedFrom.includes(s.status)) rejectUpdate('Conflict', `The plan is ${s.status}; it cannot be ${words}.`);
    },
    handler: async ({ actor }: StaffAction): Promise<PlanStatusView> => {
      await condition(() => s !== undefined); // a run started without its plan reads it first
      if (!allowedFrom.includes(s!.status)) rejectUpdate('Conflict', `The plan is ${s!.status}; it cannot be ${words}.`);
      busy++;
      try {
        await acts.setPaymentPlanStatus({ planId, to, actor });
        setStatus(to);
        version++;
        describeNext();
      } finally {
        busy--;
      }
      return view();
    },
  });

  setHandler(planStatusQuery, view);
  setHandler(planChangedSignal, () => {
    reloadWanted = true;
    version++;
  });
  const pause = staffUpdate('paused', ['active'], 'paused');
  setHandler(pausePlanUpdate, pause.handler, { validator: pause.validator });
  const resume = staffUpdate('active', ['paused'], 'resumed');
  setHandler(resumePlanUpdate, resume.handler, { validator: resume.validator });
  const cancel = staffUpdate('cancelled', ['active', 'paused'], 'cancelled');
  setHandler(cancelPlanUpdate, cancel.handler, { validator: cancel.validator });
  setHandler(skipInstallmentUpdate, async ({ actor }: StaffAction): Promise<PlanStatusView> => {
    await condition(() => s !== undefined);
    const target = skippable();
    if (!target || (s!.status !== 'active' && s!.status !== 'paused')) rejectUpdate('Conflict', 'No installment is left to skip (the next one is being charged).');
    busy++;
    try {
      const appended = await acts.skipPlanInstallment({ planId, sequence: target.sequence, actor });
      target.state = 'skipped';
      if (!s!.installments.some((i) => i.sequence === appended.sequence)) {
        s!.installments.push({ sequence: appended.sequence, amountCents: appended.amountCents, dueDate: appended.dueDate, dueAtMs: appended.dueAtMs, state: 'scheduled', attempts: 0 });
      }
      version++;
      describeNext();
    } finally {
      busy--;
    }
    return view();
  }, {
    validator: (_action: StaffAction): void => {
      if (!s) return;
      if (s.status !== 'active' && s.status !== 'paused') rejectUpdate('Conflict', `The plan is ${s.status}; nothing can be skipped.`);
      if (!skippable()) rejectUpdate('Conflict', 'No installment is left to skip (the next one is being charged).');
    },
  });

  s ??= await acts.loadPaymentPlan({ planId });
  const plan = s;
  const waits = retryWaits(plan.retryScheduleMs);

  /** Waits while paused or while staff change something; false when the plan was cancelled (or ended) meanwhile. */
  const mayCharge = async (): Promise<boolean> => {
    await condition(() => (plan.status !== 'paused' && busy === 0) || (plan.status !== 'active' && plan.status !== 'paused'));
    return plan.status === 'active';
  };

  /** One installment to its end: paid, failed (declines past the schedule, an unusable card), or stopped (cancelled). */
  async function settle(inst: PlanInstallment): Promise<'paid' | 'failed' | 'stopped'> {
    // A pending attempt (a plan reloaded mid-charge) is completed under its own key first.
    let attempt = Math.max(0, inst.attempts - (inst.state === 'pending' ? 1 : 0));
    let code = 'card_declined';
    const tries = Math.max(1, waits.length);
    while (attempt < tries) {
      if (!(await mayCharge())) return 'stopped';
      const r = await acts.chargePlanInstallment({ planId, sequence: inst.sequence, attempt });
      if (r.status === 'succeeded') {
        // Charged less when the plan's claims owed less (paid another way): the plan's total went down with it. Runs
        // started before this patch keep their amounts on replay (their charges were never reduced).
        if (patched(PAID_OTHERWISE_PATCH)) {
          plan.totalCents -= inst.amountCents - r.amountCents;
          inst.amountCents = r.amountCents;
        }
        inst.state = 'paid';
        inst.attempts = attempt + 1;
        await acts.sendPaymentReceipt({ paymentId: r.paymentId });
        return 'paid';
      }
      if (r.status === 'refused') {
        if (r.reason === 'plan_not_active') {
          // Paused or cancelled between the check and the charge: take the database's status and look again.
          plan.status = (await acts.loadPaymentPlan({ planId })).status;
          continue;
        }
        if (r.reason === 'installment_settled') {
          // Settled outside this run's view (it was reloaded): take the database's word for the whole plan.
          const fresh = await acts.loadPaymentPlan({ planId });
          const found = fresh.installments.find((i) => i.sequence === inst.sequence);
          inst.state = found?.state ?? 'failed';
          if (patched(PAID_OTHERWISE_PATCH)) plan.totalCents = fresh.totalCents; // lower when the installment was not needed any more
          return inst.state === 'paid' ? 'paid' : 'failed';
        }
        code = r.reason;
        break;
      }
      inst.state = 'pending';
      inst.attempts = attempt + 1;
      code = r.code;
      if (declineAction(r.code) !== 'retry') break;
      attempt++;
      if (attempt < tries) {
        setCurrentDetails(`${formatCents(inst.amountCents)} declined (${r.code.replace(/_/g, ' ')}); trying the card ending ${plan.last4} again`);
        await condition(() => plan.status === 'cancelled', waits[attempt] ?? 0);
      }
    }
    const failed = await acts.failPlanInstallment({ planId, sequence: inst.sequence, code });
    inst.state = 'failed';
    plan.failedInstallments = failed.failedInstallments;
    return 'failed';
  }

  /** The plan as the database has it now: its total and installments (a new charge joined it). */
  const reload = async (withStatus = false) => {
    reloadWanted = false;
    const fresh = await acts.loadPaymentPlan({ planId });
    plan.totalCents = fresh.totalCents;
    plan.installments = fresh.installments;
    plan.failedInstallments = fresh.failedInstallments;
    if (withStatus) setStatus(fresh.status);
  };

  let settledThisRun = 0;
  for (;;) {
    if (plan.status !== 'active' && plan.status !== 'paused') break;
    await condition(() => busy === 0);
    if (reloadWanted) await reload();
    const next = nextOf();
    if (!next) {
      // Refused while installments are open (a new charge joined the plan since it was read): read it again.
      const done = await acts.setPaymentPlanStatus({ planId, to: 'completed', actor: 'system:workflow' });
      if (done.status !== 'completed') {
        await reload(true);
        continue;
      }
      setStatus('completed');
      break;
    }
    describeNext();
    if (plan.status === 'paused') {
      await condition(() => plan.status !== 'paused' || reloadWanted);
      continue;
    }
    const seen = version;
    const waitMs = next.dueAtMs - Date.now();
    if (waitMs > 0 && (await condition(() => version !== seen || plan.status !== 'active', waitMs))) continue;
    if (busy > 0 || version !== seen || plan.status !== 'active') continue;
    charging = next.sequence;
    const outcome = await settle(next);
    charging = null;
    if (outcome === 'stopped') continue;
    settledThisRun++;
    if (outcome === 'failed' && plan.failedInstallments >= plan.maxFailed) {
      const { unpaidCents } = await acts.defaultPaymentPlan({ planId });
      setStatus('defaulted');
      setCurrentDetails(`in default after ${plan.failedInstallments} failed installments; ${formatCents(unpaidCents)} back to statements (task opened)`);
      break;
    }
    if (nextOf() && (settledThisRun >= every || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      if (reloadWanted) await reload();
      if (plan.status === 'active' || plan.status === 'paused') {
        await continueAsNew<typeof paymentPlan>({ planId, state: plan, continueAsNewEvery: input.continueAsNewEvery });
      }
    }
  }
  await condition(allHandlersFinished);
  const installmentsPaid = plan.installments.filter((i) => i.state === 'paid').length;
  if (plan.status === 'completed') setCurrentDetails(`completed: ${installmentsPaid} installments, ${formatCents(paidCents())} paid`);
  if (plan.status === 'cancelled') setCurrentDetails(`cancelled by staff; ${formatCents(paidCents())} of ${formatCents(plan.totalCents)} paid`);
  return { status: plan.status as PaymentPlanResult['status'], paidCents: paidCents(), installmentsPaid };
}
