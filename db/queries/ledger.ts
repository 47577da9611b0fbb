/**
 * The ledger (shared/domain.md, "Money and the ledger"): payments, their applications to claims, reversals of
 * applications, refunds, and the manual tasks staff work. This is the only place ledger SQL lives.
 *
 * - Append-only: ledger rows are only ever inserted; a correction is a new reversing row.
 * - Exactly once: every write is idempotent by a key PostgreSQL enforces (UNIQUE + `on conflict do nothing`), so a
 *   retried activity or a replayed request finds the row it wrote the first time. The same key with different
 *   content is a real conflict (LedgerConflict, db/errors.ts), never silently accepted.
 * - Invariants (unapplied ≥ 0, claim open balance ≥ 0) are checked under row locks, taken always in the same order
 *   (payment, then claim) so concurrent calls serialise instead of deadlocking.
 * - Every change writes an audit row in its own transaction; audit rows carry ids, amounts, statuses and reasons only.
 *
 * An application is *standing* while it has no row in application_reversals.
 * Error messages carry our ids and amounts only, never PHI.
 */
import type { Knex } from 'knex';
import { inTransaction, type Db } from '../connection';
import { LedgerConflict, LedgerRuleError, RowNotFound } from '../errors';
import type { ApplicationState, ClaimState, ManualReason, PaymentState } from '../../domain/application-rules';
import { isCents, isPaymentAmount, type Cents } from '../../domain/money';
import { isLocalDate, type LocalDate } from '../../domain/dates';
import type { PaymentMethod } from '../../domain/payments';
import { writeAudit } from './audit';

export type PaymentReason = 'copay' | 'outstanding_balance';
export type ApplicationKind = 'auto' | 'manual';
export type TaskResolution = 'applied' | 'credit' | 'refund' | 'closed';

type Trx = Knex.Transaction;

interface PaymentRow {
  id: string;
  practice_id: string;
  patient_id: string;
  collection_id: string | null;
  visit_id: string | null;
  external_id: string;
  amount_cents: number;
  method: PaymentMethod;
  reason: PaymentReason;
  paid_at: Date;
  payment_date: string;
}

interface ClaimRow {
  id: string;
  practice_id: string;
  patient_id: string;
  visit_id: string;
  responsibility: 'payer' | 'patient';
  patient_responsibility_cents: number;
}

interface ApplicationRow {
  id: string;
  payment_id: string;
  claim_id: string;
  amount_cents: number;
  kind: ApplicationKind;
  business_key: string;
}

function requireAmount(amountCents: unknown, field = 'amountCents'): asserts amountCents is Cents {
  if (!isPaymentAmount(amountCents)) throw new LedgerRuleError(`${field} must be a whole number of cents between 1 and the maximum payment`);
}

function requireText(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.trim().length === 0) throw new LedgerRuleError(`${field} must not be empty`);
}

// ---------------------------------------------------------------------------------------------------------------
// Sums and locks

const STANDING = 'not exists (select 1 from application_reversals r where r.application_id = a.id)';

/** SQL for a payment's standing applications and its refunds (`p` is the payment), and a claim's standing applications (`c`). */
export const PAYMENT_APPLIED = `(select coalesce(sum(a.amount_cents), 0) from payment_applications a where a.payment_id = p.id and ${STANDING})`;
export const PAYMENT_REFUNDED = '(select coalesce(sum(f.amount_cents), 0) from refunds f where f.payment_id = p.id)';
export const CLAIM_APPLIED = `(select coalesce(sum(a.amount_cents), 0) from payment_applications a where a.claim_id = c.id and ${STANDING})`;

/** What a payment has left and a claim has open, in one round trip (under the caller's locks). */
async function unappliedAndOpen(db: Db, paymentId: string, claimId: string): Promise<{ unapplied: Cents; open: Cents }> {
  const { rows } = await db.raw<{ rows: { unapplied: number; open: number }[] }>(
    `select p.amount_cents - ${PAYMENT_APPLIED} - ${PAYMENT_REFUNDED} as unapplied,
            greatest(0, c.patient_responsibility_cents - ${CLAIM_APPLIED}) as open
       from payments p, claims c where p.id = ? and c.id = ?`,
    [paymentId, claimId],
  );
  return rows[0]!;
}

async function unappliedOf(db: Db, payment: PaymentRow): Promise<Cents> {
  const { rows } = await db.raw<{ rows: { unapplied: number }[] }>(
    `select p.amount_cents - ${PAYMENT_APPLIED} - ${PAYMENT_REFUNDED} as unapplied from payments p where p.id = ?`,
    [payment.id],
  );
  return rows[0]!.unapplied;
}

/** Lock order everywhere: payment first, then claim. */
export async function lockPayment(trx: Trx, paymentId: string): Promise<PaymentRow> {
  const row = await trx<PaymentRow>('payments').where({ id: paymentId }).forUpdate().first();
  if (!row) throw new RowNotFound('payment');
  return row;
}

async function lockClaim(trx: Trx, claimId: string): Promise<ClaimRow> {
  const row = await trx<ClaimRow>('claims').where({ id: claimId }).forUpdate().first();
  if (!row) throw new RowNotFound('claim');
  return row;
}

// ---------------------------------------------------------------------------------------------------------------
// Payments

export interface RecordPaymentInput {
  practiceId: string;
  patientId: string;
  collectionId: string | null;
  visitId: string | null;
  /** The EHR / processor payment id. */
  externalId: string;
  amountCents: Cents;
  method: PaymentMethod;
  reason: PaymentReason;
  /** ISO instant. */
  paidAt: string;
  /** paidAt on the practice's calendar, computed by the caller (never from UTC). */
  paymentDate: LocalDate;
  actor: string;
}

/** Idempotent by (practice, external id). The same external id with a different amount, patient or method → LedgerConflict. */
export async function recordPayment(db: Db, input: RecordPaymentInput): Promise<{ paymentId: string; created: boolean }> {
  requireAmount(input.amountCents);
  requireText(input.externalId, 'externalId');
  if (!isLocalDate(input.paymentDate)) throw new LedgerRuleError('paymentDate must be a calendar date YYYY-MM-DD');
  if (Number.isNaN(Date.parse(input.paidAt))) throw new LedgerRuleError('paidAt must be an ISO instant');

  return inTransaction(db, async (trx) => {
    const [row] = await trx('payments')
      .insert({
        practice_id: input.practiceId, patient_id: input.patientId, collection_id: input.collectionId,
        visit_id: input.visitId, external_id: input.externalId, amount_cents: input.amountCents, method: input.method,
        reason: input.reason, paid_at: input.paidAt, payment_date: input.paymentDate,
      })
      .onConflict(['practice_id', 'external_id'])
      .ignore()
      .returning<{ id: string }[]>('id');
    if (row) {
      await writeAudit(trx, {
        practiceId: input.practiceId, actor: input.actor, action: 'payment.recorded', entityType: 'payment', entityId: row.id,
        before: null,
        after: {
          paymentId: row.id, collectionId: input.collectionId, visitId: input.visitId, amountCents: input.amountCents,
          method: input.method, reason: input.reason,
        },
      });
      return { paymentId: row.id, created: true };
    }
    const existing = await trx<PaymentRow>('payments')
      .where({ practice_id: input.practiceId, external_id: input.externalId })
      .first();
    if (!existing) throw new Error('payment insert was skipped but no payment holds its external id');
    if (existing.amount_cents !== input.amountCents || existing.patient_id !== input.patientId || existing.method !== input.method) {
      throw new LedgerConflict(
        `This external payment id is already recorded as payment ${existing.id} with a different amount, patient or method.`,
      );
    }
    return { paymentId: existing.id, created: false };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Applications

export interface ApplyToClaimInput {
  paymentId: string;
  claimId: string;
  amountCents: Cents;
  kind: ApplicationKind;
  /** e.g. payment:{id}:claim:{id}:auto:r1 */
  businessKey: string;
  actor: string;
}

async function existingApplication(db: Db, input: ApplyToClaimInput): Promise<{ applicationId: string; created: false } | undefined> {
  const row = await db('payment_applications').where({ business_key: input.businessKey }).first<ApplicationRow | undefined>();
  if (!row) return undefined;
  if (row.payment_id !== input.paymentId || row.claim_id !== input.claimId || row.amount_cents !== input.amountCents || row.kind !== input.kind) {
    throw new LedgerConflict(`Business key already used by application ${row.id} with a different payment, claim, amount or kind.`);
  }
  return { applicationId: row.id, created: false };
}

/**
 * Applies money of a payment to a claim, exactly once per business key. Refuses (LedgerRuleError, nothing written)
 * more than the payment has unapplied or the claim has open, a payer-held claim, and another patient's claim.
 */
export async function applyToClaim(db: Db, input: ApplyToClaimInput): Promise<{ applicationId: string; created: boolean }> {
  requireAmount(input.amountCents);
  requireText(input.businessKey, 'businessKey');

  return inTransaction(db, async (trx) => {
    const replay = await existingApplication(trx, input);
    if (replay) return replay;

    const payment = await lockPayment(trx, input.paymentId);
    const claim = await lockClaim(trx, input.claimId);
    // A concurrent call with the same key may have committed while we waited for the locks.
    const raced = await existingApplication(trx, input);
    if (raced) return raced;

    if (claim.responsibility !== 'patient') throw new LedgerRuleError(`Claim ${claim.id} is still held by a payer.`);
    if (claim.patient_id !== payment.patient_id) {
      throw new LedgerRuleError(`Claim ${claim.id} and payment ${payment.id} belong to different patients.`);
    }
    const { unapplied, open } = await unappliedAndOpen(trx, payment.id, claim.id);
    if (input.amountCents > unapplied) {
      throw new LedgerRuleError(`Payment ${payment.id} has ${unapplied} cents unapplied; cannot apply ${input.amountCents}.`);
    }
    if (input.amountCents > open) {
      throw new LedgerRuleError(`Claim ${claim.id} has an open patient balance of ${open} cents; cannot apply ${input.amountCents}.`);
    }

    const [row] = await trx('payment_applications')
      .insert({
        payment_id: payment.id, claim_id: claim.id, amount_cents: input.amountCents, kind: input.kind,
        business_key: input.businessKey, created_by: input.actor,
      })
      .onConflict('business_key')
      .ignore()
      .returning<{ id: string }[]>('id');
    if (!row) {
      const existing = await existingApplication(trx, input);
      if (!existing) throw new Error('application insert was skipped but no application holds its business key');
      return existing;
    }
    await writeAudit(trx, {
      practiceId: payment.practice_id, actor: input.actor, action: 'application.created', entityType: 'payment_application',
      entityId: row.id,
      before: { paymentUnappliedCents: unapplied, claimOpenCents: open },
      after: {
        applicationId: row.id, paymentId: payment.id, claimId: claim.id, amountCents: input.amountCents, kind: input.kind,
        status: 'standing', paymentUnappliedCents: unapplied - input.amountCents, claimOpenCents: open - input.amountCents,
      },
    });
    return { applicationId: row.id, created: true };
  });
}

/** Reverses an application by a new row; idempotent (one reversal per application). */
export async function reverseApplication(
  db: Db,
  input: { applicationId: string; businessKey: string; reason: string; actor: string },
): Promise<{ reversalId: string; created: boolean }> {
  requireText(input.businessKey, 'businessKey');
  requireText(input.reason, 'reason');

  return inTransaction(db, async (trx) => {
    const app = await trx('payment_applications as a')
      .join('payments as p', 'p.id', 'a.payment_id')
      .where('a.id', input.applicationId)
      .first<(ApplicationRow & { practice_id: string }) | undefined>('a.id', 'a.payment_id', 'a.claim_id', 'a.amount_cents', 'a.kind', 'p.practice_id');
    if (!app) throw new RowNotFound('application');

    const [row] = await trx('application_reversals')
      .insert({ application_id: app.id, business_key: input.businessKey, reason: input.reason, created_by: input.actor })
      .onConflict()
      .ignore()
      .returning<{ id: string }[]>('id');
    if (!row) {
      const existing = await trx('application_reversals').where({ application_id: app.id }).first<{ id: string } | undefined>('id');
      if (!existing) throw new LedgerConflict(`Business key already used by the reversal of another application than ${app.id}.`);
      return { reversalId: existing.id, created: false };
    }
    await writeAudit(trx, {
      practiceId: app.practice_id, actor: input.actor, action: 'application.reversed', entityType: 'payment_application',
      entityId: app.id,
      before: { applicationId: app.id, paymentId: app.payment_id, claimId: app.claim_id, amountCents: app.amount_cents, kind: app.kind, status: 'standing' },
      after: {
        applicationId: app.id, paymentId: app.payment_id, claimId: app.claim_id, amountCents: app.amount_cents, kind: app.kind,
        status: 'reversed', reversalId: row.id, reason: input.reason,
      },
    });
    return { reversalId: row.id, created: true };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Refunds

export interface RecordRefundInput {
  paymentId: string;
  amountCents: Cents;
  businessKey: string;
  note: string;
  actor: string;
}

async function existingRefund(db: Db, input: RecordRefundInput): Promise<{ refundId: string; created: false } | undefined> {
  const row = await db('refunds').where({ business_key: input.businessKey }).first<{ id: string; payment_id: string; amount_cents: number } | undefined>();
  if (!row) return undefined;
  if (row.payment_id !== input.paymentId || row.amount_cents !== input.amountCents) {
    throw new LedgerConflict(`Business key already used by refund ${row.id} with a different payment or amount.`);
  }
  return { refundId: row.id, created: false };
}

/** Refunds unapplied money of a payment, exactly once per business key; never more than is unapplied. */
export async function recordRefund(db: Db, input: RecordRefundInput): Promise<{ refundId: string; created: boolean }> {
  requireAmount(input.amountCents);
  requireText(input.businessKey, 'businessKey');
  requireText(input.note, 'note');

  return inTransaction(db, async (trx) => {
    const replay = await existingRefund(trx, input);
    if (replay) return replay;
    const payment = await lockPayment(trx, input.paymentId);
    const raced = await existingRefund(trx, input);
    if (raced) return raced;

    const unapplied = await unappliedOf(trx, payment);
    if (input.amountCents > unapplied) {
      throw new LedgerRuleError(`Payment ${payment.id} has ${unapplied} cents unapplied; cannot refund ${input.amountCents}.`);
    }
    const [row] = await trx('refunds')
      .insert({ payment_id: payment.id, amount_cents: input.amountCents, business_key: input.businessKey, note: input.note, created_by: input.actor })
      .onConflict('business_key')
      .ignore()
      .returning<{ id: string }[]>('id');
    if (!row) {
      const existing = await existingRefund(trx, input);
      if (!existing) throw new Error('refund insert was skipped but no refund holds its business key');
      return existing;
    }
    // The note is free text a person wrote: it stays out of the audit row (it may name the patient).
    await writeAudit(trx, {
      practiceId: payment.practice_id, actor: input.actor, action: 'refund.recorded', entityType: 'refund', entityId: row.id,
      before: { paymentId: payment.id, paymentUnappliedCents: unapplied },
      after: { refundId: row.id, paymentId: payment.id, amountCents: input.amountCents, paymentUnappliedCents: unapplied - input.amountCents },
    });
    return { refundId: row.id, created: true };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Manual tasks (not a ledger table: a task is resolved by updating it, exactly once)

export interface OpenManualTaskInput {
  practiceId: string;
  patientId: string;
  paymentId?: string | null;
  visitId?: string | null;
  claimId?: string | null;
  statementId?: string | null;
  collectionId?: string | null;
  workflowId?: string | null;
  reason: ManualReason;
  /** The money left for staff to place; recorded in the audit row only. */
  amountCents: Cents;
  businessKey: string;
  actor: string;
}

/** Opens a task for staff, exactly once per business key. */
export async function openManualTask(db: Db, input: OpenManualTaskInput): Promise<{ taskId: string; created: boolean }> {
  requireText(input.businessKey, 'businessKey');
  if (!isCents(input.amountCents) || input.amountCents < 0) throw new LedgerRuleError('amountCents must be a whole, non-negative number of cents');

  return inTransaction(db, async (trx) => {
    const [row] = await trx('manual_tasks')
      .insert({
        practice_id: input.practiceId, patient_id: input.patientId, payment_id: input.paymentId ?? null,
        visit_id: input.visitId ?? null, claim_id: input.claimId ?? null, statement_id: input.statementId ?? null,
        collection_id: input.collectionId ?? null, workflow_id: input.workflowId ?? null, reason: input.reason,
        business_key: input.businessKey,
      })
      .onConflict('business_key')
      .ignore()
      .returning<{ id: string }[]>('id');
    if (!row) {
      const existing = await trx('manual_tasks')
        .where({ business_key: input.businessKey })
        .first<{ id: string; reason: string; patient_id: string } | undefined>('id', 'reason', 'patient_id');
      if (!existing) throw new Error('task insert was skipped but no task holds its business key');
      if (existing.reason !== input.reason || existing.patient_id !== input.patientId) {
        throw new LedgerConflict(`Business key already used by task ${existing.id} with a different reason or patient.`);
      }
      return { taskId: existing.id, created: false };
    }
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'task.opened', entityType: 'manual_task', entityId: row.id,
      before: null,
      after: {
        taskId: row.id, status: 'open', reason: input.reason, amountCents: input.amountCents, paymentId: input.paymentId ?? null,
        claimId: input.claimId ?? null, visitId: input.visitId ?? null, collectionId: input.collectionId ?? null,
        statementId: input.statementId ?? null,
      },
    });
    return { taskId: row.id, created: true };
  });
}

/**
 * Resolves an open task. Conditional (`where status = 'open'`): when two people resolve at once, exactly one gets
 * `resolved: true`; the other gets `resolved: false` (the caller answers 409). Unknown task → RowNotFound.
 */
export async function resolveManualTask(
  db: Db,
  input: { taskId: string; resolution: TaskResolution; note: string; actor: string },
): Promise<{ resolved: boolean }> {
  requireText(input.note, 'note');

  return inTransaction(db, async (trx) => {
    const [row] = await trx('manual_tasks')
      .where({ id: input.taskId, status: 'open' })
      .update({
        status: 'resolved', resolution: input.resolution, resolution_note: input.note, resolved_by: input.actor,
        resolved_at: trx.fn.now(),
      })
      .returning<{ id: string; practice_id: string; reason: string }[]>(['id', 'practice_id', 'reason']);
    if (!row) {
      const exists = await trx('manual_tasks').where({ id: input.taskId }).first<{ id: string } | undefined>('id');
      if (!exists) throw new RowNotFound('manual task');
      return { resolved: false };
    }
    // The note is free text: it stays out of the audit row.
    await writeAudit(trx, {
      practiceId: row.practice_id, actor: input.actor, action: 'task.resolved', entityType: 'manual_task', entityId: row.id,
      before: { taskId: row.id, status: 'open', reason: row.reason },
      after: { taskId: row.id, status: 'resolved', reason: row.reason, resolution: input.resolution },
    });
    return { resolved: true };
  });
}

export interface ManualTask {
  taskId: string;
  practiceId: string;
  patientId: string;
  paymentId: string | null;
  visitId: string | null;
  claimId: string | null;
  collectionId: string | null;
  reason: ManualReason;
  status: 'open' | 'resolved';
  resolution: TaskResolution | null;
  resolutionNote: string | null;
  resolvedBy: string | null;
}

export async function getManualTask(db: Db, taskId: string): Promise<ManualTask | undefined> {
  const r = await db('manual_tasks').where({ id: taskId }).first<Record<string, unknown> | undefined>();
  if (!r) return undefined;
  return {
    taskId: r.id as string, practiceId: r.practice_id as string, patientId: r.patient_id as string,
    paymentId: r.payment_id as string | null, visitId: r.visit_id as string | null, claimId: r.claim_id as string | null,
    collectionId: r.collection_id as string | null, reason: r.reason as ManualReason, status: r.status as 'open' | 'resolved',
    resolution: r.resolution as TaskResolution | null, resolutionNote: r.resolution_note as string | null,
    resolvedBy: r.resolved_by as string | null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// State for the application rules (domain/application-rules.ts)

export async function paymentState(db: Db, paymentId: string): Promise<PaymentState> {
  const { rows } = await db.raw<{ rows: (PaymentRow & { applied: number; refunded: number })[] }>(
    `select p.*, ${PAYMENT_APPLIED} as applied, ${PAYMENT_REFUNDED} as refunded from payments p where p.id = ?`,
    [paymentId],
  );
  const p = rows[0];
  if (!p) throw new RowNotFound('payment');
  const state: PaymentState = {
    paymentId: p.id, patientId: p.patient_id, reason: p.reason, amountCents: p.amount_cents,
    appliedCents: p.applied, refundedCents: p.refunded, paymentDate: p.payment_date,
  };
  if (p.visit_id !== null) state.visitId = p.visit_id;
  return state;
}

type ClaimStateRow = ClaimRow & { date_of_service: string; applied: number };
const CLAIM_STATE_COLUMNS = `c.id, c.visit_id, c.patient_id, c.responsibility, c.patient_responsibility_cents, v.date_of_service, ${CLAIM_APPLIED} as applied`;
const claimStateOf = (c: ClaimStateRow): ClaimState => ({
  claimId: c.id, visitId: c.visit_id, patientId: c.patient_id, responsibility: c.responsibility,
  dateOfService: c.date_of_service, patientResponsibilityCents: c.patient_responsibility_cents, appliedCents: c.applied,
});

export async function claimState(db: Db, claimId: string): Promise<ClaimState> {
  const { rows } = await db.raw<{ rows: ClaimStateRow[] }>(
    `select ${CLAIM_STATE_COLUMNS} from claims c join visits v on v.id = c.visit_id where c.id = ?`,
    [claimId],
  );
  if (!rows[0]) throw new RowNotFound('claim');
  return claimStateOf(rows[0]);
}

/**
 * The claim of a visit (the newest, should the clearinghouse ever send two) with how many of its automatic
 * applications were reversed (each reversal starts a new round) and its version (the clearinghouse's, which only
 * grows: a change found by re-reading is keyed by it); null before the claim exists. One round trip.
 */
export async function visitClaimState(db: Db, visitId: string): Promise<{ claim: ClaimState; autoReversals: number; version: number } | null> {
  const { rows } = await db.raw<{ rows: (ClaimStateRow & { auto_reversals: number; source_version: number })[] }>(
    `select ${CLAIM_STATE_COLUMNS}, c.source_version,
            (select count(*) from application_reversals r join payment_applications a on a.id = r.application_id
              where a.claim_id = c.id and a.kind = 'auto') as auto_reversals
       from claims c join visits v on v.id = c.visit_id
      where c.visit_id = ?
      order by c.created_at desc, c.id desc
      limit 1`,
    [visitId],
  );
  return rows[0] ? { claim: claimStateOf(rows[0]), autoReversals: rows[0].auto_reversals, version: rows[0].source_version } : null;
}

/** ApplicationState of the rules, plus the paying payment and, once reversed, the reversal's reason. */
export interface ClaimApplication extends ApplicationState {
  paymentId: string;
  reversalReason: string | null;
  businessKey: string;
}

/** Every application on a claim, standing or reversed, oldest first. */
export async function claimApplications(db: Db, claimId: string): Promise<ClaimApplication[]> {
  const rows = await db('payment_applications as a')
    .leftJoin('application_reversals as r', 'r.application_id', 'a.id')
    .where('a.claim_id', claimId)
    .orderBy([{ column: 'a.created_at' }, { column: 'a.id' }])
    .select<(ApplicationRow & { reversal_id: string | null; reversal_reason: string | null })[]>(
      'a.id', 'a.payment_id', 'a.claim_id', 'a.amount_cents', 'a.kind', 'a.business_key', 'r.id as reversal_id', 'r.reason as reversal_reason',
    );
  return rows.map((r) => ({
    applicationId: r.id, paymentId: r.payment_id, claimId: r.claim_id, kind: r.kind, reversed: r.reversal_id !== null,
    amountCents: r.amount_cents, reversalReason: r.reversal_reason, businessKey: r.business_key,
  }));
}

/** Whose claim it is: practice, patient, visit. */
export async function claimParties(db: Db, claimId: string): Promise<{ practiceId: string; patientId: string; visitId: string }> {
  const row = await db('claims')
    .where({ id: claimId })
    .first<{ practice_id: string; patient_id: string; visit_id: string } | undefined>('practice_id', 'patient_id', 'visit_id');
  if (!row) throw new RowNotFound('claim');
  return { practiceId: row.practice_id, patientId: row.patient_id, visitId: row.visit_id };
}

// ---------------------------------------------------------------------------------------------------------------
// The patient's ledger, for the API

export interface LedgerApplicationEntry {
  applicationId: string;
  claimId: string;
  kind: ApplicationKind;
  amountCents: Cents;
  reversed: boolean;
  createdAt: string;
  reversedAt: string | null;
  reversalReason: string | null;
}

export interface LedgerRefundEntry {
  refundId: string;
  amountCents: Cents;
  note: string;
  createdAt: string;
}

export interface LedgerPaymentEntry {
  paymentId: string;
  collectionId: string | null;
  visitId: string | null;
  externalId: string;
  amountCents: Cents;
  method: PaymentMethod;
  reason: PaymentReason;
  paidAt: string;
  paymentDate: LocalDate;
  /** Standing applications only. */
  appliedCents: Cents;
  refundedCents: Cents;
  unappliedCents: Cents;
  applications: LedgerApplicationEntry[];
  refunds: LedgerRefundEntry[];
}

/** The patient's payments (by paid_at), each with its applications (reversed ones flagged) and refunds. */
export async function patientLedger(db: Db, patientId: string): Promise<LedgerPaymentEntry[]> {
  const payments = await db<PaymentRow>('payments')
    .where({ patient_id: patientId })
    .orderBy([{ column: 'paid_at' }, { column: 'created_at' }, { column: 'id' }]);
  if (payments.length === 0) return [];
  const ids = payments.map((p) => p.id);
  // Applications written in one transaction share created_at: within it, oldest date of service first.
  const apps = await db('payment_applications as a')
    .leftJoin('application_reversals as r', 'r.application_id', 'a.id')
    .join('claims as c', 'c.id', 'a.claim_id')
    .join('visits as v', 'v.id', 'c.visit_id')
    .whereIn('a.payment_id', ids)
    .orderBy([{ column: 'a.created_at' }, { column: 'v.date_of_service' }, { column: 'a.id' }])
    .select<(ApplicationRow & { created_at: Date; reversed_at: Date | null; reversal_reason: string | null })[]>(
      'a.id', 'a.payment_id', 'a.claim_id', 'a.amount_cents', 'a.kind', 'a.created_at', 'r.created_at as reversed_at', 'r.reason as reversal_reason',
    );
  const refunds = await db('refunds')
    .whereIn('payment_id', ids)
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select<{ id: string; payment_id: string; amount_cents: number; note: string; created_at: Date }[]>('id', 'payment_id', 'amount_cents', 'note', 'created_at');

  return payments.map((p) => {
    const applications: LedgerApplicationEntry[] = apps.filter((a) => a.payment_id === p.id).map((a) => ({
      applicationId: a.id, claimId: a.claim_id, kind: a.kind, amountCents: a.amount_cents, reversed: a.reversed_at !== null,
      createdAt: a.created_at.toISOString(), reversedAt: a.reversed_at?.toISOString() ?? null, reversalReason: a.reversal_reason,
    }));
    const refundEntries: LedgerRefundEntry[] = refunds.filter((f) => f.payment_id === p.id).map((f) => ({
      refundId: f.id, amountCents: f.amount_cents, note: f.note, createdAt: f.created_at.toISOString(),
    }));
    const appliedCents = applications.filter((a) => !a.reversed).reduce((s, a) => s + a.amountCents, 0);
    const refundedCents = refundEntries.reduce((s, f) => s + f.amountCents, 0);
    return {
      paymentId: p.id, collectionId: p.collection_id, visitId: p.visit_id, externalId: p.external_id, amountCents: p.amount_cents,
      method: p.method, reason: p.reason, paidAt: p.paid_at.toISOString(), paymentDate: p.payment_date,
      appliedCents, refundedCents, unappliedCents: p.amount_cents - appliedCents - refundedCents,
      applications, refunds: refundEntries,
    };
  });
}
