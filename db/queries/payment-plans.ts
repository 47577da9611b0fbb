/**
 * Payment plans (migration 023, docs/card-on-file-and-plans.md "Payment plans"): the plan and its installments, each attempt to
 * charge one, and the money it became. An attempt is written `pending` before the processor is called, under the
 * business key that is also the processor's idempotency key; a success is recorded as a payment and applied to the
 * patient's open patient-owned claims oldest first in the same transaction (what cannot be applied becomes a
 * `credit_remaining` task: never an unowned cent). Every change is audited with ids, amounts and states only.
 */
import type { Knex } from 'knex';
import type { Db } from '../connection';
import { inTransaction } from '../connection';
import { LedgerRuleError, RowNotFound } from '../errors';
import { decideOutstandingBalance } from '../../domain/application-rules';
import type { DeclineCode } from '../../domain/card-on-file';
import type { LocalDate } from '../../domain/dates';
import type { Cents } from '../../domain/money';
import { nextDueAfter, spreadNewCharge, type InstallmentState, type NewChargesPolicy, type PlanInterval, type PlanNote, type PlanStatus, type ScheduledInstallment } from '../../domain/payment-plans';
import { writeAudit } from './audit';
import { enqueueRunMessage } from './run-messages';
import { applyToClaim, lockPayment, openManualTask, paymentState, recordPayment } from './ledger';
import { lockPatientClaimStates } from './statements';

const SYSTEM = 'system:workflow';
/** Outstanding-balance applications of a plan's payment are their first round (domain/application-rules.ts). */
const ROUND = 1;

export interface PlanRow {
  id: string;
  practice_id: string;
  patient_id: string;
  authorisation_id: string;
  total_cents: number;
  installment_cents: number;
  installment_count: number;
  interval: PlanInterval;
  first_due_date: LocalDate;
  status: PlanStatus;
  max_failed_installments: number;
  failed_installments: number;
  new_charges: NewChargesPolicy;
  workflow_id: string;
  created_via: 'front_desk' | 'portal';
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface InstallmentRow {
  sequence: number;
  due_date: LocalDate;
  due_at: Date;
  amount_cents: number;
  state: InstallmentState;
  attempts: number;
  payment_id: string | null;
  decline_code: DeclineCode | null;
}

const PLAN_COLUMNS = `p.id, p.practice_id, p.patient_id, p.authorisation_id, p.total_cents, p.installment_cents, p.installment_count,
  (extract(year from p.installment_interval) * 12 + extract(month from p.installment_interval))::int as i_months,
  extract(day from p.installment_interval)::int as i_days,
  (extract(hour from p.installment_interval) * 3600 + extract(minute from p.installment_interval) * 60 + extract(second from p.installment_interval))::int as i_seconds,
  to_char(p.first_due_date, 'YYYY-MM-DD') as first_due_date, p.status, p.max_failed_installments, p.failed_installments, p.new_charges, p.workflow_id,
  p.created_via, p.created_by, p.created_at, p.updated_at`;

type RawPlan = Omit<PlanRow, 'interval'> & { i_months: number; i_days: number; i_seconds: number };
const planOf = ({ i_months, i_days, i_seconds, ...r }: RawPlan): PlanRow => ({ ...r, interval: { months: i_months, days: i_days, seconds: i_seconds } });

const INSTALLMENT_COLUMNS = `sequence, to_char(due_date, 'YYYY-MM-DD') as due_date, due_at, amount_cents, state, attempts, payment_id, decline_code`;

export async function planById(db: Db, planId: string, lock = false): Promise<PlanRow | undefined> {
  const { rows } = await db.raw<{ rows: RawPlan[] }>(`select ${PLAN_COLUMNS} from payment_plans p where p.id = ?${lock ? ' for update' : ''}`, [planId]);
  return rows[0] && planOf(rows[0]);
}

export async function installmentsOf(db: Db, planId: string): Promise<InstallmentRow[]> {
  const { rows } = await db.raw<{ rows: InstallmentRow[] }>(`select ${INSTALLMENT_COLUMNS} from payment_plan_installments where plan_id = ? order by sequence`, [planId]);
  return rows;
}

/** A patient's plans, newest first. */
export async function plansOfPatient(db: Db, practiceId: string, patientId: string): Promise<PlanRow[]> {
  const { rows } = await db.raw<{ rows: RawPlan[] }>(
    `select ${PLAN_COLUMNS} from payment_plans p where p.practice_id = ? and p.patient_id = ? order by p.created_at desc, p.id desc`, [practiceId, patientId],
  );
  return rows.map(planOf);
}

export async function livePlanOfPatient(db: Db, patientId: string): Promise<PlanRow | undefined> {
  const { rows } = await db.raw<{ rows: RawPlan[] }>(`select ${PLAN_COLUMNS} from payment_plans p where p.patient_id = ? and p.status in ('active', 'paused')`, [patientId]);
  return rows[0] && planOf(rows[0]);
}

/**
 * The patient's live plan as their statement mentions it, or undefined (none, or nothing left to charge). What is left
 * and the next installment never exceed what the plan's claims still owe (an installment charges no more: reservePlanCharge).
 */
export async function planNoteOf(db: Db, statement: { id: string; patient_id: string }): Promise<PlanNote | undefined> {
  const { rows } = await db.raw<{ rows: { plan_id: string; status: 'active' | 'paused'; last4: string; amount_cents: number; due_date: LocalDate; on_statement: boolean }[] }>(
    `select p.id as plan_id, p.status, s.last4, i.amount_cents, to_char(i.due_date, 'YYYY-MM-DD') as due_date,
            exists (select 1 from statement_lines l join payment_plan_claims pc on pc.claim_id = l.claim_id
                     where l.statement_id = ? and pc.plan_id = p.id) as on_statement
       from payment_plans p
       join card_authorisations a on a.id = p.authorisation_id
       join saved_cards s on s.id = a.saved_card_id
       join payment_plan_installments i on i.plan_id = p.id
      where p.patient_id = ? and p.status in ('active', 'paused') and i.state in ('scheduled', 'pending')
      order by i.due_at, i.sequence`,
    [statement.id, statement.patient_id],
  );
  const [next] = rows;
  if (!next) return undefined;
  const owed = await planClaimsOwedCents(db, { id: next.plan_id, patient_id: statement.patient_id });
  if (owed <= 0) return undefined;
  return {
    status: next.status, last4: next.last4, leftCents: Math.min(owed, rows.reduce((sum, r) => sum + r.amount_cents, 0)),
    next: { amountCents: Math.min(owed, next.amount_cents), dueDate: next.due_date }, onStatement: next.on_statement,
  };
}

export interface PlanSnapshot {
  planId: string;
  status: PlanStatus;
  totalCents: Cents;
  interval: PlanInterval;
  firstDueDate: string;
  timeZone: string;
  maxFailed: number;
  failedInstallments: number;
  retryScheduleMs: number[];
  last4: string;
  installments: { sequence: number; amountCents: Cents; dueDate: string; dueAtMs: number; state: InstallmentState; attempts: number }[];
}

/** The plan as its run holds it (its input when started, and what it reloads): schedule, status, the practice's retry schedule. */
export async function planSnapshot(db: Db, planId: string): Promise<PlanSnapshot> {
  const plan = await planById(db, planId);
  if (!plan) throw new RowNotFound('payment plan');
  const settings = await practicePlanSettings(db, plan.practice_id);
  const card = await db('card_authorisations as a').join('saved_cards as s', 's.id', 'a.saved_card_id').where('a.id', plan.authorisation_id).first<{ last4: string } | undefined>('s.last4');
  return {
    planId: plan.id, status: plan.status, totalCents: plan.total_cents, interval: plan.interval, firstDueDate: plan.first_due_date, timeZone: settings.timeZone,
    maxFailed: plan.max_failed_installments, failedInstallments: plan.failed_installments, retryScheduleMs: settings.retryScheduleMs, last4: card?.last4 ?? '????',
    installments: (await installmentsOf(db, plan.id)).map((i) => ({
      sequence: i.sequence, amountCents: i.amount_cents, dueDate: i.due_date, dueAtMs: i.due_at.getTime(), state: i.state, attempts: i.attempts,
    })),
  };
}

export interface PracticePlanSettings {
  timeZone: string;
  minInstallmentCents: Cents;
  maxMonths: number;
  maxFailedInstallments: number;
  newCharges: NewChargesPolicy;
  retryScheduleMs: number[];
}

export async function practicePlanSettings(db: Db, practiceId: string): Promise<PracticePlanSettings> {
  const { rows } = await db.raw<{ rows: { time_zone: string; plan_min_installment_cents: number; plan_max_months: number; plan_max_failed_installments: number; plan_new_charges: NewChargesPolicy; retry_ms: number[] }[] }>(
    `select time_zone, plan_min_installment_cents, plan_max_months, plan_max_failed_installments, plan_new_charges,
            array(select (extract(epoch from x) * 1000)::bigint::float8 from unnest(card_retry_schedule) x) as retry_ms
       from practices where id = ?`, [practiceId],
  );
  const r = rows[0];
  if (!r) throw new RowNotFound('practice');
  return {
    timeZone: r.time_zone, minInstallmentCents: r.plan_min_installment_cents, maxMonths: r.plan_max_months, maxFailedInstallments: r.plan_max_failed_installments,
    newCharges: r.plan_new_charges, retryScheduleMs: r.retry_ms.map(Number),
  };
}

export interface NewPlan {
  id: string;
  workflowId: string;
  practiceId: string;
  patientId: string;
  authorisationId: string;
  totalCents: Cents;
  installmentCents: Cents;
  interval: PlanInterval;
  firstDueDate: LocalDate;
  maxFailedInstallments: number;
  newCharges: NewChargesPolicy;
  createdVia: 'front_desk' | 'portal';
  actor: string;
  installments: ScheduledInstallment[];
}

/** Writes the plan, its schedule and the message that starts its run (audited), or answers the patient's live plan when there is one already. */
export async function createPlan(db: Db, p: NewPlan): Promise<{ plan: PlanRow; created: boolean }> {
  return inTransaction(db, async (trx) => {
    // Serialise creations for one patient: the partial unique index would refuse the second anyway.
    await trx.raw('select id from patients where id = ? for update', [p.patientId]);
    const live = await livePlanOfPatient(trx, p.patientId);
    if (live) return { plan: live, created: false };
    await trx('payment_plans').insert({
      id: p.id, practice_id: p.practiceId, patient_id: p.patientId, authorisation_id: p.authorisationId, total_cents: p.totalCents,
      installment_cents: p.installmentCents, installment_count: p.installments.length,
      installment_interval: trx.raw('make_interval(months => ?, days => ?, secs => ?)', [p.interval.months, p.interval.days, p.interval.seconds]),
      first_due_date: p.firstDueDate, max_failed_installments: p.maxFailedInstallments, new_charges: p.newCharges, workflow_id: p.workflowId,
      created_via: p.createdVia, created_by: p.actor,
    });
    await trx('payment_plan_installments').insert(p.installments.map((i) => ({
      plan_id: p.id, sequence: i.sequence, due_date: i.dueDate, due_at: new Date(i.dueAtMs), amount_cents: i.amountCents,
    })));
    // The claims the plan is made of: the patient's open patient-owned claims, oldest first, up to the plan's total.
    let left = p.totalCents;
    const covered: { plan_id: string; claim_id: string; covered_cents: number; joined_via: 'created' }[] = [];
    for (const c of await openPatientClaims(trx, p.patientId)) {
      if (left <= 0) break;
      const cents = Math.min(left, c.open_cents);
      covered.push({ plan_id: p.id, claim_id: c.id, covered_cents: cents, joined_via: 'created' });
      left -= cents;
    }
    if (covered.length > 0) await trx('payment_plan_claims').insert(covered);
    await writeAudit(trx, {
      practiceId: p.practiceId, actor: p.actor, action: 'payment_plan.created', entityType: 'payment_plan', entityId: p.id, before: null,
      after: {
        planId: p.id, authorisationId: p.authorisationId, totalCents: p.totalCents, installmentCents: p.installmentCents, installments: p.installments.length,
        interval: p.interval, firstDueDate: p.firstDueDate, createdVia: p.createdVia, claimIds: covered.map((c) => c.claim_id),
      },
    });
    // Its run starts from the outbox too (worker/outbox-relay.ts `startPaymentPlan`), in this transaction: the API also
    // starts it at once, but a plan whose start answered 503 and was never retried still gets its run.
    await enqueueRunMessage(trx, {
      key: `payment-plan-start:${p.id}`, workflowId: p.workflowId, message: 'startPaymentPlan',
      payload: { planId: p.id, practiceId: p.practiceId, totalCents: p.totalCents, installments: p.installments.length, interval: p.interval },
    });
    return { plan: (await planById(trx, p.id))!, created: true };
  });
}

/** Staff's pause, resume and cancel; the run's completion and default. Conditional on the status it expects; audited. */
export async function setPlanStatus(db: Db, input: { planId: string; from: PlanStatus[]; to: PlanStatus; actor: string; action: string }): Promise<{ changed: boolean; status: PlanStatus }> {
  return inTransaction(db, async (trx) => {
    const plan = await planById(trx, input.planId, true);
    if (!plan) throw new RowNotFound('payment plan');
    if (plan.status === input.to) return { changed: false, status: plan.status };
    if (!input.from.includes(plan.status)) return { changed: false, status: plan.status };
    // A plan completes only with nothing left to charge (a new charge may have joined it since the run looked).
    if (input.to === 'completed' && (await trx('payment_plan_installments').where({ plan_id: plan.id }).whereIn('state', ['scheduled', 'pending']).first())) {
      return { changed: false, status: plan.status };
    }
    await trx('payment_plans').where({ id: plan.id }).update({ status: input.to, updated_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: plan.practice_id, actor: input.actor, action: input.action, entityType: 'payment_plan', entityId: plan.id,
      before: { status: plan.status }, after: { status: input.to },
    });
    return { changed: true, status: input.to };
  });
}

/**
 * Skips an installment not charged yet: it stays as `skipped` and the same amount is appended at the end (the sum of
 * the installments stays the plan's total). Idempotent: an installment already skipped answers its replacement.
 */
export async function skipInstallment(db: Db, input: { planId: string; sequence: number; actor: string; appended: { dueDate: LocalDate; dueAtMs: number } }): Promise<{ sequence: number; amountCents: Cents; dueDate: LocalDate; dueAtMs: number }> {
  return inTransaction(db, async (trx) => {
    const plan = await planById(trx, input.planId, true);
    if (!plan) throw new RowNotFound('payment plan');
    const target = await trx('payment_plan_installments').where({ plan_id: plan.id, sequence: input.sequence }).forUpdate().first<{ state: InstallmentState; amount_cents: number; attempts: number } | undefined>();
    if (!target) throw new RowNotFound('installment');
    const last = await trx('payment_plan_installments').where({ plan_id: plan.id }).max<{ max: number }[]>('sequence as max');
    const lastSequence = Number(last[0]!.max);
    if (target.state === 'skipped') {
      const replacement = (await installmentsOf(trx, plan.id)).at(-1)!;
      return { sequence: replacement.sequence, amountCents: replacement.amount_cents, dueDate: replacement.due_date, dueAtMs: replacement.due_at.getTime() };
    }
    if (target.state !== 'scheduled' || target.attempts > 0) throw new LedgerRuleError(`Installment ${input.sequence} is already being charged or settled.`);
    await trx('payment_plan_installments').where({ plan_id: plan.id, sequence: input.sequence }).update({ state: 'skipped', updated_at: trx.fn.now() });
    const sequence = lastSequence + 1;
    await trx('payment_plan_installments').insert({
      plan_id: plan.id, sequence, due_date: input.appended.dueDate, due_at: new Date(input.appended.dueAtMs), amount_cents: target.amount_cents,
    });
    await writeAudit(trx, {
      practiceId: plan.practice_id, actor: input.actor, action: 'payment_plan.installment_skipped', entityType: 'payment_plan', entityId: plan.id,
      before: { sequence: input.sequence, state: 'scheduled' },
      after: { sequence: input.sequence, state: 'skipped', appendedSequence: sequence, amountCents: target.amount_cents, dueDate: input.appended.dueDate },
    });
    return { sequence, amountCents: target.amount_cents, dueDate: input.appended.dueDate, dueAtMs: input.appended.dueAtMs };
  });
}

export interface PlanChargeRow {
  id: string;
  plan_id: string;
  sequence: number;
  attempt: number;
  business_key: string;
  amount_cents: number;
  state: 'pending' | 'succeeded' | 'declined';
  decline_code: DeclineCode | null;
  charge_ref: string | null;
  payment_id: string | null;
}

export async function planChargeByKey(db: Db, businessKey: string): Promise<PlanChargeRow | undefined> {
  return db('payment_plan_charges').where({ business_key: businessKey }).first<PlanChargeRow | undefined>();
}

export type ReserveOutcome =
  | { reserved: PlanChargeRow }
  | { refused: 'plan_not_active' | 'installment_settled' | 'authorisation_revoked' | 'authorisation_expired' };

/**
 * Writes the attempt `pending` (and the installment with it), under the plan's lock: a plan paused or cancelled, or an
 * installment already paid, failed or skipped, is refused. The card authorisation must still be live.
 */
export async function reservePlanCharge(db: Db, input: { planId: string; sequence: number; attempt: number; businessKey: string; now: Date }): Promise<ReserveOutcome> {
  return inTransaction(db, async (trx) => {
    const plan = await planById(trx, input.planId, true);
    if (!plan) throw new RowNotFound('payment plan');
    if (plan.status !== 'active') return { refused: 'plan_not_active' };
    const inst = await trx('payment_plan_installments').where({ plan_id: plan.id, sequence: input.sequence }).forUpdate()
      .first<{ state: InstallmentState; amount_cents: number } | undefined>('state', 'amount_cents');
    if (!inst) throw new RowNotFound('installment');
    if (inst.state !== 'scheduled' && inst.state !== 'pending') return { refused: 'installment_settled' };
    const auth = await trx('card_authorisations').where({ id: plan.authorisation_id }).first<{ revoked_at: Date | null; valid_until: Date }>('revoked_at', 'valid_until');
    if (auth.revoked_at) return { refused: 'authorisation_revoked' };
    if (auth.valid_until.getTime() <= input.now.getTime()) return { refused: 'authorisation_expired' };
    // Never more than the plan's claims still owe: the patient may have paid some of them another way (a statement
    // opened before the plan, the front desk), or the payer taken one back. Checked for every new attempt (a retry
    // after a decline too), unless an earlier attempt's outcome is still unknown. The claims are not locked: a payment
    // landing on them during the processor call still leaves money over, which becomes a credit task (never lost).
    let amountCents = inst.amount_cents;
    const undecided = await trx('payment_plan_charges').where({ plan_id: plan.id, sequence: input.sequence, state: 'pending' }).first<{ id: string } | undefined>('id');
    if (!undecided) {
      const owed = await planClaimsOwedCents(trx, plan);
      if (owed < amountCents) {
        amountCents = await shrinkInstallment(trx, plan, { sequence: input.sequence, fromCents: inst.amount_cents, toCents: owed });
        if (amountCents === 0) return { refused: 'installment_settled' };
      }
    }
    const [row] = await trx('payment_plan_charges')
      .insert({ plan_id: plan.id, sequence: input.sequence, attempt: input.attempt, business_key: input.businessKey, amount_cents: amountCents })
      .returning<PlanChargeRow[]>('*');
    await trx('payment_plan_installments').where({ plan_id: plan.id, sequence: input.sequence })
      .update({ state: 'pending', attempts: input.attempt + 1, business_key: input.businessKey, decline_code: null, updated_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: plan.practice_id, actor: SYSTEM, action: 'payment_plan.charge_pending', entityType: 'payment_plan', entityId: plan.id,
      before: { sequence: input.sequence, state: inst.state }, after: { sequence: input.sequence, attempt: input.attempt, state: 'pending', amountCents },
    });
    return { reserved: row! };
  });
}

/**
 * What the plan's claims still owe the practice (patient-owned, open); for a plan made before its claims were recorded
 * (migration 024), what the patient owes.
 */
async function planClaimsOwedCents(trx: Db, plan: Pick<PlanRow, 'id' | 'patient_id'>): Promise<Cents> {
  const { rows: [row] } = await trx.raw<{ rows: { recorded: boolean; owed: number }[] }>(
    `select exists (select 1 from payment_plan_claims where plan_id = :planId) as recorded,
            coalesce((select sum(greatest(0, c.patient_responsibility_cents - ${APPLIED_ON_CLAIM}))
                        from payment_plan_claims pc join claims c on c.id = pc.claim_id
                       where pc.plan_id = :planId and c.responsibility = 'patient'), 0)::bigint as owed`,
    { planId: plan.id },
  );
  if (row!.recorded) return Number(row!.owed);
  return (await openPatientClaims(trx, plan.patient_id)).reduce((sum, c) => sum + c.open_cents, 0);
}

/**
 * The installment made smaller because the plan's claims owe less than it (paid another way): its amount and the plan's
 * total go down together (the installments still sum to the total); nothing owed at all → the installment is `skipped`
 * with no replacement. Answers the amount left to charge (0 when skipped). Audited `payment_plan.installment_reduced`.
 */
async function shrinkInstallment(trx: Knex.Transaction, plan: PlanRow, i: { sequence: number; fromCents: Cents; toCents: Cents }): Promise<Cents> {
  const toCents = Math.max(0, i.toCents);
  await trx('payment_plan_installments').where({ plan_id: plan.id, sequence: i.sequence })
    .update(toCents === 0 ? { state: 'skipped', updated_at: trx.fn.now() } : { amount_cents: toCents, updated_at: trx.fn.now() });
  await trx('payment_plans').where({ id: plan.id }).update({ total_cents: plan.total_cents - (i.fromCents - toCents), updated_at: trx.fn.now() });
  await writeAudit(trx, {
    practiceId: plan.practice_id, actor: SYSTEM, action: 'payment_plan.installment_reduced', entityType: 'payment_plan', entityId: plan.id,
    before: { sequence: i.sequence, amountCents: i.fromCents, totalCents: plan.total_cents },
    after: { sequence: i.sequence, amountCents: toCents, totalCents: plan.total_cents - (i.fromCents - toCents), reason: 'paid_otherwise' },
  });
  return toCents;
}

export async function markPlanChargeDeclined(db: Db, input: { charge: PlanChargeRow; code: DeclineCode; practiceId: string }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const n = await trx('payment_plan_charges').where({ id: input.charge.id, state: 'pending' }).update({ state: 'declined', decline_code: input.code, updated_at: trx.fn.now() });
    if (n === 0) return;
    await trx('payment_plan_installments').where({ plan_id: input.charge.plan_id, sequence: input.charge.sequence }).update({ decline_code: input.code, updated_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: SYSTEM, action: 'payment_plan.charge_declined', entityType: 'payment_plan', entityId: input.charge.plan_id,
      before: { sequence: input.charge.sequence, attempt: input.charge.attempt, state: 'pending' },
      after: { sequence: input.charge.sequence, attempt: input.charge.attempt, state: 'declined', code: input.code },
    });
  });
}

async function appliedOf(trx: Knex.Transaction, paymentId: string): Promise<Cents> {
  const r = await trx.raw<{ rows: { sum: number }[] }>(
    `select coalesce(sum(a.amount_cents), 0)::int as sum from payment_applications a
      where a.payment_id = ? and not exists (select 1 from application_reversals r where r.application_id = a.id)`, [paymentId],
  );
  return r.rows[0]!.sum;
}

/**
 * The processor charged the installment: the payment (its external id the processor's charge id; card; outstanding
 * balance) is recorded and applied oldest first to the patient's open patient-owned claims, the rest a
 * `credit_remaining` task, the attempt and the installment marked, all in one transaction. A retry answers what was written.
 */
export async function completePlanCharge(db: Db, input: {
  charge: PlanChargeRow; chargeRef: string; practiceId: string; patientId: string; workflowId: string; paidAt: Date; paymentDate: LocalDate;
}): Promise<{ paymentId: string; appliedCents: Cents; taskId?: string }> {
  return inTransaction(db, async (trx) => {
    const current = await trx('payment_plan_charges').where({ id: input.charge.id }).forUpdate().first<PlanChargeRow>();
    if (current.state === 'succeeded') return { paymentId: current.payment_id!, appliedCents: await appliedOf(trx, current.payment_id!) };
    const { paymentId } = await recordPayment(trx, {
      practiceId: input.practiceId, patientId: input.patientId, collectionId: null, visitId: null, externalId: input.chargeRef,
      amountCents: current.amount_cents, method: 'card', reason: 'outstanding_balance', paidAt: input.paidAt.toISOString(), paymentDate: input.paymentDate, actor: SYSTEM,
    });
    await trx('payment_plan_charges').where({ id: current.id }).update({ state: 'succeeded', charge_ref: input.chargeRef, payment_id: paymentId, updated_at: trx.fn.now() });
    await trx('payment_plan_installments').where({ plan_id: current.plan_id, sequence: current.sequence })
      .update({ state: 'paid', charge_ref: input.chargeRef, payment_id: paymentId, decline_code: null, updated_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: SYSTEM, action: 'payment_plan.installment_paid', entityType: 'payment_plan', entityId: current.plan_id,
      before: { sequence: current.sequence, state: 'pending' }, after: { sequence: current.sequence, attempt: current.attempt, state: 'paid', paymentId, amountCents: current.amount_cents },
    });
    // Oldest first over the patient's claims the patient owes (the rule of the balance and statement paths).
    await lockPayment(trx, paymentId);
    const payment = await paymentState(trx, paymentId);
    const claims = await lockPatientClaimStates(trx, input.patientId);
    // The plan's own claims first (oldest first), then the patient's others.
    const planClaims = await trx('payment_plan_claims as pc').join('claims as c', 'c.id', 'pc.claim_id').join('visits as v', 'v.id', 'c.visit_id')
      .where('pc.plan_id', current.plan_id).orderBy([{ column: 'v.date_of_service' }, { column: 'c.id' }]).pluck<string[]>('c.id');
    const decision = decideOutstandingBalance(payment, claims, planClaims, ROUND);
    for (const a of decision.applications) {
      await applyToClaim(trx, { paymentId, claimId: a.claimId, amountCents: a.amountCents, kind: 'auto', businessKey: a.businessKey, actor: SYSTEM });
    }
    const appliedCents = decision.applications.reduce((s, a) => s + a.amountCents, 0);
    if (!decision.task) return { paymentId, appliedCents };
    const { taskId } = await openManualTask(trx, {
      practiceId: input.practiceId, patientId: input.patientId, paymentId, workflowId: input.workflowId, reason: decision.task.reason,
      amountCents: decision.task.amountCents, businessKey: `${current.business_key}:credit`, actor: SYSTEM,
    });
    return { paymentId, appliedCents, taskId };
  });
}

/** The installment could not be charged (declines past the schedule, an expired card or authorisation): failed, counted. */
export async function failInstallment(db: Db, input: { planId: string; sequence: number; code: string }): Promise<{ failedInstallments: number; maxFailed: number }> {
  return inTransaction(db, async (trx) => {
    const plan = await planById(trx, input.planId, true);
    if (!plan) throw new RowNotFound('payment plan');
    const n = await trx('payment_plan_installments').where({ plan_id: plan.id, sequence: input.sequence }).whereIn('state', ['scheduled', 'pending'])
      .update({ state: 'failed', updated_at: trx.fn.now() });
    if (n === 0) return { failedInstallments: plan.failed_installments, maxFailed: plan.max_failed_installments };
    await trx('payment_plans').where({ id: plan.id }).update({ failed_installments: plan.failed_installments + 1, updated_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: plan.practice_id, actor: SYSTEM, action: 'payment_plan.installment_failed', entityType: 'payment_plan', entityId: plan.id,
      before: { sequence: input.sequence, failedInstallments: plan.failed_installments },
      after: { sequence: input.sequence, state: 'failed', code: input.code, failedInstallments: plan.failed_installments + 1 },
    });
    return { failedInstallments: plan.failed_installments + 1, maxFailed: plan.max_failed_installments };
  });
}

/** The plan is in default: status `defaulted` and a `plan_defaulted` task for staff (once), with what is left unpaid. */
export async function defaultPlan(db: Db, input: { planId: string }): Promise<{ taskId: string; unpaidCents: Cents }> {
  return inTransaction(db, async (trx) => {
    const plan = await planById(trx, input.planId, true);
    if (!plan) throw new RowNotFound('payment plan');
    const paid = await trx('payment_plan_installments').where({ plan_id: plan.id, state: 'paid' }).sum<{ sum: string | null }[]>('amount_cents as sum');
    const unpaidCents = plan.total_cents - Number(paid[0]?.sum ?? 0);
    if (plan.status === 'active' || plan.status === 'paused') {
      await trx('payment_plans').where({ id: plan.id }).update({ status: 'defaulted', updated_at: trx.fn.now() });
      await writeAudit(trx, {
        practiceId: plan.practice_id, actor: SYSTEM, action: 'payment_plan.defaulted', entityType: 'payment_plan', entityId: plan.id,
        before: { status: plan.status }, after: { status: 'defaulted', failedInstallments: plan.failed_installments, unpaidCents },
      });
    }
    const { taskId } = await openManualTask(trx, {
      practiceId: plan.practice_id, patientId: plan.patient_id, workflowId: plan.workflow_id, reason: 'plan_defaulted', amountCents: unpaidCents,
      businessKey: `plan:${plan.id}:defaulted`, actor: SYSTEM,
    });
    return { taskId, unpaidCents };
  });
}

/** Standing (not reversed) applications on claim `c`. */
const APPLIED_ON_CLAIM = `coalesce((select sum(a.amount_cents) from payment_applications a
  where a.claim_id = c.id and not exists (select 1 from application_reversals r where r.application_id = a.id)), 0)`;

/** The patient's patient-owned claims with an open balance, oldest first (date of service, then id). */
async function openPatientClaims(db: Db, patientId: string): Promise<{ id: string; open_cents: number }[]> {
  const { rows } = await db.raw<{ rows: { id: string; open_cents: number }[] }>(
    `select c.id, (c.patient_responsibility_cents - ${APPLIED_ON_CLAIM})::int as open_cents
       from claims c join visits v on v.id = c.visit_id
      where c.patient_id = ? and c.responsibility = 'patient' and c.patient_responsibility_cents > ${APPLIED_ON_CLAIM}
      order by v.date_of_service, c.id`, [patientId],
  );
  return rows;
}

/** SQL: claim `c` is covered by a live (active or paused) plan. */
export const CLAIM_IN_LIVE_PLAN = `exists (select 1 from payment_plan_claims pc join payment_plans pp on pp.id = pc.plan_id
  where pc.claim_id = c.id and pp.status in ('active', 'paused'))`;

/**
 * Why a card-on-file charge must leave this claim alone: it is in the patient's live plan, or it is the patient's and
 * their live plan takes new charges (`join_plan`: it joins the plan, or already has).
 */
export async function claimBilledByPlan(db: Db, claimId: string): Promise<boolean> {
  const { rows } = await db.raw<{ rows: { yes: boolean }[] }>(
    `select (${CLAIM_IN_LIVE_PLAN}
             or exists (select 1 from payment_plans pp where pp.patient_id = c.patient_id and pp.status in ('active', 'paused') and pp.new_charges = 'join_plan')) as yes
       from claims c where c.id = ?`, [claimId],
  );
  return rows[0]?.yes ?? false;
}

export interface JoinedCharge { planId: string; workflowId: string; claimId: string; joinedCents: Cents }

/**
 * A claim that moved to the patient while their plan is live, under the plan's `join_plan` policy: its open balance
 * joins the plan (the total grows; spreadNewCharge says where the amount goes), in the caller's transaction (the one
 * that stored the claim). Nothing happens for a plan that sends new charges to the next statement, a claim already in
 * the plan, a claim with nothing open, a plan that would exceed $100,000.00, or installments that would fall due after
 * the card's authorisation ends (the statement takes those claims). Audited.
 */
export async function joinClaimToPlan(db: Db, input: { claimId: string; actor: string }): Promise<JoinedCharge | undefined> {
  return inTransaction(db, (trx) => joinInTransaction(trx, input));
}

async function joinInTransaction(trx: Knex.Transaction, input: { claimId: string; actor: string }): Promise<JoinedCharge | undefined> {
  const claim = (await trx.raw<{ rows: { id: string; patient_id: string; open_cents: number }[] }>(
    `select c.id, c.patient_id, (c.patient_responsibility_cents - ${APPLIED_ON_CLAIM})::int as open_cents from claims c where c.id = ? and c.responsibility = 'patient'`,
    [input.claimId],
  )).rows[0];
  if (!claim || claim.open_cents <= 0) return undefined;
  const live = await livePlanOfPatient(trx, claim.patient_id);
  if (!live || live.new_charges !== 'join_plan') return undefined;
  const plan = (await planById(trx, live.id, true))!;
  if (plan.status !== 'active' && plan.status !== 'paused') return undefined;
  if (await trx('payment_plan_claims').where({ claim_id: claim.id }).first()) return undefined;
  if (plan.total_cents + claim.open_cents > 10_000_000) return undefined; // beyond what a plan may hold: the statement takes it

  const installments = await installmentsOf(trx, plan.id);
  const upcoming = installments.filter((i) => i.state === 'scheduled' && i.attempts === 0).map((i) => ({ sequence: i.sequence, amountCents: i.amount_cents }));
  const spread = spreadNewCharge(upcoming, claim.open_cents, plan.installment_cents);
  const appended: { sequence: number; dueDate: LocalDate; dueAtMs: number; amountCents: Cents }[] = [];
  if (spread.appended.length > 0) {
    const settings = await practicePlanSettings(trx, plan.practice_id);
    const last = installments.at(-1)!;
    let lastDue = { dueDate: last.due_date, dueAtMs: last.due_at.getTime() };
    let sequence = last.sequence;
    for (const amountCents of spread.appended) {
      sequence++;
      lastDue = nextDueAfter(lastDue, { interval: plan.interval, timeZone: settings.timeZone, firstDueDate: plan.first_due_date, sequence, startMs: plan.created_at.getTime() });
      appended.push({ sequence, ...lastDue, amountCents });
    }
    // An installment the card's authorisation would no longer cover could never be charged: the statement takes it.
    const authorisation = await trx('card_authorisations').where({ id: plan.authorisation_id }).first<{ valid_until: Date }>('valid_until');
    if (appended.at(-1)!.dueAtMs >= authorisation.valid_until.getTime()) return undefined;
  }
  for (const r of spread.raised) {
    await trx('payment_plan_installments').where({ plan_id: plan.id, sequence: r.sequence }).update({ amount_cents: r.amountCents, updated_at: trx.fn.now() });
  }
  for (const a of appended) {
    await trx('payment_plan_installments').insert({ plan_id: plan.id, sequence: a.sequence, due_date: a.dueDate, due_at: new Date(a.dueAtMs), amount_cents: a.amountCents });
  }
  await trx('payment_plans').where({ id: plan.id }).update({ total_cents: plan.total_cents + claim.open_cents, updated_at: trx.fn.now() });
  await trx('payment_plan_claims').insert({ plan_id: plan.id, claim_id: claim.id, covered_cents: claim.open_cents, joined_via: 'new_charge' });
  await writeAudit(trx, {
    practiceId: plan.practice_id, actor: input.actor, action: 'payment_plan.charge_joined', entityType: 'payment_plan', entityId: plan.id,
    before: { totalCents: plan.total_cents },
    after: {
      totalCents: plan.total_cents + claim.open_cents, claimId: claim.id, joinedCents: claim.open_cents, raised: spread.raised,
      appended: appended.map(({ sequence, dueDate, amountCents }) => ({ sequence, dueDate, amountCents })),
    },
  });
  return { planId: plan.id, workflowId: plan.workflow_id, claimId: claim.id, joinedCents: claim.open_cents };
}
