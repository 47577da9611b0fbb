/**
 * Payment plans (issue 18; docs/card-on-file-and-plans.md "Payment plans"), for the JSON API (and later the staff pages and the
 * portal):
 * - create: the patient's open balance (or part of it) in installments charged to a yearly card authorisation, within
 *   the practice's limits (refused with the field named), one live plan per patient; the plan and its schedule are
 *   written (audited), then its run is started (`USE_EXISTING`: a retry after Temporal was down attaches to it);
 * - read a plan, or a patient's plans;
 * - skip / pause / resume / cancel: the run's updates (validated by the run, audited by its activity); a live plan whose
 *   run was never started (its create answered 503 and was not retried) has it started first. Temporal down → 503 with
 *   Retry-After (lib/outage.ts, through the error handler).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createPlanBodySchema } from '../contracts/payment-plans';
import type { Db } from '../db/connection';
import { patientOpenBalanceCents } from '../db/queries/balance';
import { authorisationById, practiceOfPatient, yearlyCardsOf } from '../db/queries/card-on-file';
import { patientInPractice } from '../db/queries/patients';
import {
  createPlan, installmentsOf, livePlanOfPatient, planById, planSnapshot, plansOfPatient, practicePlanSettings, type InstallmentRow, type PlanRow,
} from '../db/queries/payment-plans';
import type { Staff } from '../db/queries/staff';
import { localDateOf } from '../domain/dates';
import { formatCents } from '../domain/money';
import { checkPlanLimits, describeInterval, isLivePlan, MONTHLY, planSchedule, type PlanInterval } from '../domain/payment-plans';
import { AppError, conflict, notFound, validationFailed } from '../lib/errors';
import { parseBody, UUID } from '../lib/validate';
import {
  cancelPlanUpdate, pausePlanUpdate, resumePlanUpdate, skipInstallmentUpdate, type PlanStatusView, type StaffAction,
} from '../workflows/payment-plan';
import { paymentPlanStart, paymentPlanWorkflowId } from '../workflows/starts/payment-plan';
import type { UpdateDefinition } from '@temporalio/common';
import { updateFailureToAppError } from './temporal-errors';

export interface PaymentPlanDeps { db: Db; temporal: Client; taskQueue: string }

const uuidOr404 = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
  return value.toLowerCase();
};

export function planView(p: PlanRow, installments: InstallmentRow[]) {
  const next = installments.find((i) => i.state === 'scheduled' || i.state === 'pending');
  return {
    planId: p.id, patientId: p.patient_id, authorisationId: p.authorisation_id, workflowId: p.workflow_id, status: p.status, totalCents: p.total_cents,
    paidCents: installments.filter((i) => i.state === 'paid').reduce((t, i) => t + i.amount_cents, 0),
    installmentCents: p.installment_cents, installmentCount: p.installment_count,
    interval: { ...p.interval, description: describeInterval(p.interval) }, firstDueDate: p.first_due_date,
    failedInstallments: p.failed_installments, maxFailedInstallments: p.max_failed_installments, newCharges: p.new_charges, createdVia: p.created_via,
    createdAt: p.created_at.toISOString(), updatedAt: p.updated_at.toISOString(),
    next: next && isLivePlan(p.status) ? { sequence: next.sequence, amountCents: next.amount_cents, dueDate: next.due_date } : null,
    installments: installments.map((i) => ({
      sequence: i.sequence, dueDate: i.due_date, dueAt: i.due_at.toISOString(), amountCents: i.amount_cents, state: i.state, attempts: i.attempts, paymentId: i.payment_id,
    })),
  };
}
export type PlanView = ReturnType<typeof planView>;

async function viewOf(db: Db, plan: PlanRow): Promise<PlanView> {
  return planView(plan, await installmentsOf(db, plan.id));
}

function intervalOf(body: { interval?: { unit: 'month' | 'week' | 'day'; count: number }; intervalSeconds?: number }): PlanInterval {
  if (body.intervalSeconds !== undefined) {
    // Seconds between installments are for the tests of the real stack only (a plan runs in seconds there).
    if (process.env.NODE_ENV !== 'test') throw validationFailed([{ field: 'intervalSeconds', reason: 'is accepted in tests only' }]);
    if (body.interval) throw validationFailed([{ field: 'intervalSeconds', reason: 'give interval or intervalSeconds, not both' }]);
    return { months: 0, days: 0, seconds: body.intervalSeconds };
  }
  const i = body.interval;
  if (!i) return MONTHLY;
  if (i.unit === 'month') return { months: i.count, days: 0, seconds: 0 };
  return { months: 0, days: i.unit === 'week' ? 7 * i.count : i.count, seconds: 0 };
}

async function startRun(deps: PaymentPlanDeps, plan: PlanRow): Promise<void> {
  const start = paymentPlanStart(
    { planId: plan.id, practiceId: plan.practice_id, totalCents: plan.total_cents, installments: plan.installment_count, interval: plan.interval }, deps.taskQueue,
    { state: await planSnapshot(deps.db, plan.id) },
  );
  await deps.temporal.workflow.start(start.workflow, start.options);
}

/**
 * Staff (front desk, billing) turn the patient's open balance into a plan. The same request again while the plan it
 * made is live (a retry after a 503) answers that plan (200) and makes sure its run is started; another plan → 409.
 */
export async function createPaymentPlan(deps: PaymentPlanDeps, staff: Staff, patientId: unknown, rawBody: unknown): Promise<{ created: boolean; body: PlanView }> {
  const id = uuidOr404(patientId, 'patient');
  const patient = await patientInPractice(deps.db, id, staff.practiceId);
  if (!patient) throw notFound('patient');
  return createPlanFor(deps, { practiceId: staff.practiceId, patientId: id, actor: `staff:${staff.id}`, createdVia: 'front_desk' }, rawBody);
}

interface PlanCreator { practiceId: string; patientId: string; actor: string; createdVia: 'front_desk' | 'portal' }

/** The rules of a new plan, whoever asks (staff, or the patient in the portal: `createdVia`). */
async function createPlanFor(deps: PaymentPlanDeps, who: PlanCreator, rawBody: unknown): Promise<{ created: boolean; body: PlanView }> {
  const id = who.patientId;
  const staff = { practiceId: who.practiceId };
  const body = parseBody(createPlanBodySchema, rawBody);
  const interval = intervalOf(body);
  const settings = await practicePlanSettings(deps.db, staff.practiceId);
  const now = new Date();

  const auth = await authorisationById(deps.db, body.authorisationId);
  if (!auth || auth.patient_id !== id || auth.practice_id !== staff.practiceId) throw validationFailed([{ field: 'authorisationId', reason: "is not one of this patient's card authorisations" }]);
  if (auth.scope !== 'year') throw validationFailed([{ field: 'authorisationId', reason: 'is for one visit only; a plan needs a yearly authorisation' }]);
  if (auth.revoked_at) throw validationFailed([{ field: 'authorisationId', reason: 'was revoked' }]);
  if (auth.valid_until.getTime() <= now.getTime()) throw validationFailed([{ field: 'authorisationId', reason: 'has expired' }]);

  const today = localDateOf(now, settings.timeZone);
  if (body.firstDueDate < today) throw validationFailed([{ field: 'firstDueDate', reason: `must be today (${today}) or later on the practice's calendar` }]);

  const open = Number(await patientOpenBalanceCents(deps.db, id));
  const live = await livePlanOfPatient(deps.db, id);
  if (open === 0 && !live) {
    throw new AppError(422, 'no-open-balance', 'No open balance', 'This patient has no open balance to put in a plan.', [{ field: 'totalCents', reason: 'the patient has no open balance' }]);
  }
  const totalCents = body.totalCents ?? (live ? live.total_cents : open);
  if (!live && totalCents > open) throw validationFailed([{ field: 'totalCents', reason: `must not exceed the open balance (${formatCents(open)})` }]);

  const schedule = planSchedule({
    totalCents, installmentCents: body.installmentCents, installments: body.installments, interval, firstDueDate: body.firstDueDate, timeZone: settings.timeZone,
    startMs: now.getTime(),
  });
  if (!schedule.ok) throw validationFailed(schedule.problems);
  const field = body.installmentCents !== undefined ? 'installmentCents' : 'installments';
  const limits = checkPlanLimits(
    { installmentCents: schedule.installmentCents, count: schedule.installments.length, interval, firstDueDate: body.firstDueDate },
    { minInstallmentCents: settings.minInstallmentCents, maxMonths: settings.maxMonths }, field,
  );
  if (limits.length > 0) throw validationFailed(limits);
  const lastDue = schedule.installments.at(-1)!;
  if (lastDue.dueAtMs >= auth.valid_until.getTime()) {
    throw validationFailed([{ field: 'authorisationId', reason: `expires on ${localDateOf(auth.valid_until, settings.timeZone)}, before the last installment (${lastDue.dueDate})` }]);
  }

  const planId = randomUUID();
  const { plan, created } = await createPlan(deps.db, {
    id: planId, workflowId: paymentPlanWorkflowId(planId), practiceId: staff.practiceId, patientId: id, authorisationId: auth.id, totalCents,
    installmentCents: schedule.installmentCents, interval, firstDueDate: body.firstDueDate, maxFailedInstallments: settings.maxFailedInstallments,
    newCharges: settings.newCharges, createdVia: who.createdVia, actor: who.actor, installments: schedule.installments,
  });
  if (!created) {
    const same = plan.authorisation_id === auth.id && plan.total_cents === totalCents && plan.installment_cents === schedule.installmentCents
      && plan.installment_count === schedule.installments.length && plan.first_due_date === body.firstDueDate;
    if (!same) throw conflict(`This patient already has a ${plan.status} payment plan (${plan.id}); cancel it first.`);
  }
  await startRun(deps, plan);
  return { created, body: await viewOf(deps.db, plan) };
}

async function planOr404(deps: Pick<PaymentPlanDeps, 'db'>, staff: Pick<Staff, 'practiceId'>, planId: unknown): Promise<PlanRow> {
  const plan = await planById(deps.db, uuidOr404(planId, 'payment plan'));
  if (!plan || plan.practice_id !== staff.practiceId) throw notFound('payment plan');
  return plan;
}

export async function paymentPlanOf(deps: Pick<PaymentPlanDeps, 'db'>, staff: Pick<Staff, 'practiceId'>, planId: unknown): Promise<PlanView> {
  return viewOf(deps.db, await planOr404(deps, staff, planId));
}

export async function paymentPlansOf(deps: Pick<PaymentPlanDeps, 'db'>, staff: Pick<Staff, 'practiceId'>, patientId: unknown) {
  const id = uuidOr404(patientId, 'patient');
  if (!(await patientInPractice(deps.db, id, staff.practiceId))) throw notFound('patient');
  const plans = await plansOfPatient(deps.db, staff.practiceId, id);
  return { patientId: id, plans: await Promise.all(plans.map((p) => viewOf(deps.db, p))) };
}

export type PlanAction = 'skip' | 'pause' | 'resume' | 'cancel';
const UPDATES: Record<PlanAction, UpdateDefinition<PlanStatusView, [StaffAction]>> = {
  skip: skipInstallmentUpdate, pause: pausePlanUpdate, resume: resumePlanUpdate, cancel: cancelPlanUpdate,
};

/** Staff's skip / pause / resume / cancel: the run's update (it refuses what the plan's state forbids: 409). */
export async function actOnPaymentPlan(deps: PaymentPlanDeps, staff: Staff, planId: unknown, action: PlanAction): Promise<PlanView> {
  const plan = await planOr404(deps, staff, planId);
  if (!isLivePlan(plan.status)) throw conflict(`The plan is ${plan.status}; it cannot be changed.`);
  const send = () => deps.temporal.workflow.getHandle(plan.workflow_id).executeUpdate(UPDATES[action], { args: [{ actor: `staff:${staff.id}` }] });
  await send()
    .catch(async (err: unknown) => {
      // A live plan whose run was never started (its create answered 503 and was not retried): start it, then act.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await startRun(deps, plan);
      return send();
    })
    .catch((err: unknown) => {
      throw updateFailureToAppError(err, 'payment plan');
    });
  return viewOf(deps.db, (await planById(deps.db, plan.id))!);
}

// ── the portal (a signed-in patient, within the practice's limits) ───────────────────────────────────────────────

/** What a plan page shows (the portal's, the staff patient page's): the patient's live plan, or what they may set up (their yearly cards, the limits, the balance). */
export async function planSetupOf(deps: Pick<PaymentPlanDeps, 'db'>, patientId: string) {
  const { practiceId } = await practiceOfPatient(deps.db, patientId);
  const settings = await practicePlanSettings(deps.db, practiceId);
  const live = await livePlanOfPatient(deps.db, patientId);
  const openCents = Number(await patientOpenBalanceCents(deps.db, patientId));
  const now = new Date();
  const cards = (await yearlyCardsOf(deps.db, patientId)).filter((c) => c.valid_until.getTime() > now.getTime());
  return {
    timeZone: settings.timeZone, today: localDateOf(now, settings.timeZone), openCents, minInstallmentCents: settings.minInstallmentCents, maxMonths: settings.maxMonths,
    plan: live ? await viewOf(deps.db, live) : undefined,
    cards: cards.map((c) => ({ authorisationId: c.id, brand: c.brand, last4: c.last4, validUntil: c.valid_until.toISOString() })),
  };
}

export type PlanSetup = Awaited<ReturnType<typeof planSetupOf>>;

/**
 * The signed-in patient sets up their own plan (created via 'portal', audited as `patient:<id>`): monthly, on one of
 * their yearly card authorisations, within the practice's limits (the same rules as staff's: 422 naming the field).
 */
export async function createPortalPlan(deps: PaymentPlanDeps, patientId: string, input: { authorisationId: string; installments?: number; installmentCents?: number; firstDueDate: string }) {
  const { practiceId } = await practiceOfPatient(deps.db, patientId);
  return createPlanFor(deps, { practiceId, patientId, actor: `patient:${patientId}`, createdVia: 'portal' }, {
    authorisationId: input.authorisationId, firstDueDate: input.firstDueDate, interval: { unit: 'month', count: 1 },
    ...(input.installments !== undefined ? { installments: input.installments } : {}), ...(input.installmentCents !== undefined ? { installmentCents: input.installmentCents } : {}),
  });
}
