/**
 * Statements (shared/domain.md, "Statements and the patient portal"): generating one for a patient (lines from the
 * patient-owned claims, threshold, at most one per cycle, never a second while one is open), what is still due on
 * it, the progress its workflow records, and its payments (collections with path 'statement').
 *
 * Statement rows and lines are written once; only the progress columns (sent, reminders, status, closed) change, each
 * change audited. Audit rows carry ids, amounts, statuses and counts only: never names, dates of birth or account ids.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../connection';
import { statementWorkflowId } from '../../domain/workflow-ids';
import { localDateOf, type LocalDate } from '../../domain/dates';
import type { Cents } from '../../domain/money';
import {
  exceedsThreshold, statementCycle, statementDueCents, statementLines, type StatementClaimInput, type StatementDraft,
} from '../../domain/statements';
import { RowNotFound } from '../errors';
import { writeAudit } from './audit';
import type { CollectionRow } from './collections';

/** One workflow per statement; every payment of the statement is delivered to it. */

export type StatementStatus = 'open' | 'paid' | 'unpaid';

export interface StatementRow {
  id: string;
  practice_id: string;
  patient_id: string;
  cycle: string;
  total_cents: Cents;
  status: StatementStatus;
  statement_date: LocalDate;
  workflow_id: string;
  sent_at: Date | null;
  reminders_sent: number;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface StatementLineRow {
  id: string;
  claim_id: string;
  claim_line_id: string | null;
  date_of_service: LocalDate;
  procedure_code: string;
  description: string | null;
  charge_cents: Cents;
  insurance_paid_cents: Cents;
  patient_paid_cents: Cents;
  adjustment_cents: Cents;
  balance_cents: Cents;
}

/** Standing (not reversed) applications on claim `c`. */
const APPLIED_ON_CLAIM = `coalesce((select sum(a.amount_cents) from payment_applications a
  where a.claim_id = c.id and not exists (select 1 from application_reversals r where r.application_id = a.id)), 0)`;

/**
 * Claim `c` is in a live (active or paused) payment plan (migration 024): its installments collect it, so a new
 * statement leaves it out (docs/card-on-file-and-plans.md "Payment plans").
 */
const CLAIM_IN_LIVE_PLAN = `exists (select 1 from payment_plan_claims pc join payment_plans pp on pp.id = pc.plan_id
  where pc.claim_id = c.id and pp.status in ('active', 'paused'))`;

// ---------------------------------------------------------------------------------------------------------------
// Generating

/**
 * The patient's patient-owned claims with their lines and standing applications (the statement's source).
 * `outsidePlans`: only the claims no live payment plan covers (a new statement).
 */
export async function statementSourceClaims(db: Db, patientId: string, opts: { outsidePlans?: boolean } = {}): Promise<StatementClaimInput[]> {
  const { rows: claims } = await db.raw<{ rows: { id: string; patient_responsibility_cents: number; date_of_service: string; applied_cents: number }[] }>(
    `select c.id, c.patient_responsibility_cents, v.date_of_service, ${APPLIED_ON_CLAIM} as applied_cents
       from claims c join visits v on v.id = c.visit_id
      where c.patient_id = ? and c.responsibility = 'patient'${opts.outsidePlans ? ` and not ${CLAIM_IN_LIVE_PLAN}` : ''}
      order by v.date_of_service, c.id`,
    [patientId],
  );
  if (claims.length === 0) return [];
  const lines = await db('claim_lines')
    .whereIn('claim_id', claims.map((c) => c.id))
    .orderBy([{ column: 'claim_id' }, { column: 'line_number' }])
    .select<{ id: string; claim_id: string; line_number: number; procedure_code: string; description: string | null; charge_cents: number; insurer_paid_cents: number; adjustment_cents: number; patient_responsibility_cents: number }[]>();
  return claims.map((c) => ({
    claimId: c.id, dateOfService: c.date_of_service, responsibility: 'patient', patientResponsibilityCents: c.patient_responsibility_cents,
    appliedCents: c.applied_cents,
    lines: lines.filter((l) => l.claim_id === c.id).map((l) => ({
      claimLineId: l.id, lineNumber: l.line_number, procedureCode: l.procedure_code, description: l.description,
      chargeCents: l.charge_cents, insurerPaidCents: l.insurer_paid_cents, adjustmentCents: l.adjustment_cents,
      patientResponsibilityCents: l.patient_responsibility_cents,
    })),
  }));
}

export type GenerateOutcome =
  | { kind: 'created'; statement: StatementRow }
  /** The patient already has an open statement (any cycle): it is still being collected. */
  | { kind: 'open'; statement: StatementRow }
  /** A statement of this cycle exists (paid or unpaid): at most one per cycle. */
  | { kind: 'cycle_taken'; statement: StatementRow }
  | { kind: 'below_threshold'; totalCents: Cents; thresholdCents: Cents }
  /** Everything the patient owes is in their live payment plan: its installments collect it, no statement. */
  | { kind: 'in_payment_plan'; planId: string }
  | { kind: 'not_found' };

/**
 * Generates the patient's statement for the current cycle (the practice-local month of `now`), unless one is open,
 * this cycle already has one, or the balance does not exceed the practice's threshold. Serialised per patient (a
 * row lock), and UNIQUE(patient_id, cycle) backs it up.
 */
export async function generateStatement(
  db: Db,
  input: { patientId: string; practiceId?: string; now: Date; actor: string },
): Promise<GenerateOutcome> {
  return db.transaction(async (trx) => {
    const q = trx('patients as p')
      .join('practices as pr', 'pr.id', 'p.practice_id')
      .where('p.id', input.patientId)
      .forUpdate('p')
      .first<{ id: string; practice_id: string; time_zone: string; statement_threshold_cents: number } | undefined>('p.id', 'p.practice_id', 'pr.time_zone', 'pr.statement_threshold_cents');
    if (input.practiceId) void q.andWhere('p.practice_id', input.practiceId);
    const patient = await q;
    if (!patient) return { kind: 'not_found' };

    const open = await trx('statements').where({ patient_id: patient.id, status: 'open' }).orderBy('created_at', 'desc').first<StatementRow | undefined>();
    if (open) return { kind: 'open', statement: open };
    const statementDate = localDateOf(input.now, patient.time_zone);
    const cycle = statementCycle(statementDate);
    const taken = await trx('statements').where({ patient_id: patient.id, cycle }).first<StatementRow | undefined>();
    if (taken) return { kind: 'cycle_taken', statement: taken };

    // Claims in a live payment plan are collected by its installments: the statement bills the rest only.
    const draft = statementLines(await statementSourceClaims(trx, patient.id, { outsidePlans: true }));
    if (draft.totalCents === 0) {
      const { rows: [inPlan] } = await trx.raw<{ rows: { plan_id: string }[] }>(
        `select pc.plan_id from claims c join payment_plan_claims pc on pc.claim_id = c.id join payment_plans pp on pp.id = pc.plan_id
          where c.patient_id = ? and c.responsibility = 'patient' and pp.status in ('active', 'paused') and c.patient_responsibility_cents > ${APPLIED_ON_CLAIM}
          limit 1`, [patient.id],
      );
      if (inPlan) return { kind: 'in_payment_plan', planId: inPlan.plan_id };
    }
    if (!exceedsThreshold(draft.totalCents, patient.statement_threshold_cents)) {
      return { kind: 'below_threshold', totalCents: draft.totalCents, thresholdCents: patient.statement_threshold_cents };
    }
    const statement = await insertStatement(trx, { practiceId: patient.practice_id, patientId: patient.id, cycle, statementDate, draft });
    await writeAudit(trx, {
      practiceId: patient.practice_id, actor: input.actor, action: 'statement.created', entityType: 'statement', entityId: statement.id,
      before: null,
      after: { statementId: statement.id, cycle, totalCents: draft.totalCents, lines: draft.lines.length, status: 'open' },
    });
    return { kind: 'created', statement };
  });
}

async function insertStatement(
  trx: Knex.Transaction,
  s: { practiceId: string; patientId: string; cycle: string; statementDate: LocalDate; draft: StatementDraft },
): Promise<StatementRow> {
  const id = randomUUID();
  const [row] = await trx('statements')
    .insert({
      id, practice_id: s.practiceId, patient_id: s.patientId, cycle: s.cycle, total_cents: s.draft.totalCents, status: 'open',
      statement_date: s.statementDate, workflow_id: statementWorkflowId(id),
    })
    .returning<StatementRow[]>('*');
  await trx('statement_lines').insert(s.draft.lines.map((l) => ({
    statement_id: id, claim_id: l.claimId, claim_line_id: l.claimLineId, date_of_service: l.dateOfService,
    procedure_code: l.procedureCode, description: l.description, charge_cents: l.chargeCents,
    insurance_paid_cents: l.insurancePaidCents, patient_paid_cents: l.patientPaidCents, adjustment_cents: l.adjustmentCents,
    balance_cents: l.balanceCents,
  })));
  return row!;
}

/** Patients with a patient-owned open balance and no open statement: the candidates of a statement batch. */
export async function statementCandidates(db: Db, practiceId?: string): Promise<string[]> {
  const { rows } = await db.raw<{ rows: { patient_id: string }[] }>(
    `select distinct c.patient_id from claims c
      where c.responsibility = 'patient' ${practiceId ? 'and c.practice_id = :practiceId' : ''}
        and c.patient_responsibility_cents > ${APPLIED_ON_CLAIM}
        and not ${CLAIM_IN_LIVE_PLAN}
        and not exists (select 1 from statements s where s.patient_id = c.patient_id and s.status = 'open')
      order by c.patient_id`,
    practiceId ? { practiceId } : {},
  );
  return rows.map((r) => r.patient_id);
}

/** Open statements whose workflow has not sent them yet (a batch starts their workflows). */
export async function unsentOpenStatements(db: Db, practiceId?: string): Promise<StatementRow[]> {
  const q = db('statements').where({ status: 'open' }).whereNull('sent_at').orderBy([{ column: 'created_at' }, { column: 'id' }]);
  if (practiceId) void q.andWhere({ practice_id: practiceId });
  return q.select<StatementRow[]>();
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

export async function getStatement(db: Db, id: string, practiceId?: string): Promise<StatementRow | undefined> {
  const q = db('statements').where({ id });
  if (practiceId) void q.andWhere({ practice_id: practiceId });
  return q.first<StatementRow | undefined>();
}

export async function statementLinesOf(db: Db, statementId: string): Promise<StatementLineRow[]> {
  return db('statement_lines as l')
    .leftJoin('claim_lines as cl', 'cl.id', 'l.claim_line_id')
    .where('l.statement_id', statementId)
    .orderBy([{ column: 'l.date_of_service' }, { column: 'l.claim_id' }, { column: 'cl.line_number' }, { column: 'l.id' }])
    .select<StatementLineRow[]>(
      'l.id', 'l.claim_id', 'l.claim_line_id', 'l.date_of_service', 'l.procedure_code', 'l.description', 'l.charge_cents',
      'l.insurance_paid_cents', 'l.patient_paid_cents', 'l.adjustment_cents', 'l.balance_cents',
    );
}

/** The statement's claims, oldest date of service first: the claims its payments name. */
export async function statementClaimOrder(db: Db, statementId: string): Promise<string[]> {
  const rows = await db('statement_lines')
    .where({ statement_id: statementId })
    .groupBy('claim_id')
    .orderByRaw('min(date_of_service), claim_id')
    .select<{ claim_id: string }[]>('claim_id');
  return rows.map((r) => r.claim_id);
}

export interface StatementDue { totalCents: Cents; paidCents: Cents; openCents: Cents; dueCents: Cents }

/**
 * Each line's balance now, by claim line (`claim_line_id`): the statement's claims as they stand, shared out over their
 * lines as when it was generated (domain statementLines). A line of a claim a payer took back, or paid in full, owes 0
 * now; one whose claim came back owes again. Lines without a claim line id are keyed by claim (`<claimId>:`).
 */
export async function statementCurrentBalances(db: Db, statement: Pick<StatementRow, 'id' | 'patient_id'>): Promise<Map<string, Cents>> {
  const claimIds = new Set(await statementClaimOrder(db, statement.id));
  const current = statementLines((await statementSourceClaims(db, statement.patient_id)).filter((c) => claimIds.has(c.claimId)));
  return new Map(current.lines.map((l) => [`${l.claimId}:${l.claimLineId ?? ''}`, l.balanceCents]));
}

/**
 * What is still due: total − paid through the statement (refunded money is not paid), never more than its claims still
 * have open for the patient, so it follows the claims both ways: down while a payer holds one again, up when it returns.
 */
export async function statementDue(db: Db, statementId: string): Promise<StatementDue> {
  const { rows } = await db.raw<{ rows: { total_cents: number; paid_cents: number; open_cents: number }[] }>(
    `select s.total_cents,
            coalesce((select sum(p.amount_cents) from payments p join collections k on k.id = p.collection_id
                       where k.statement_id = s.id), 0)
              - coalesce((select sum(f.amount_cents) from refunds f join payments p on p.id = f.payment_id
                           join collections k on k.id = p.collection_id where k.statement_id = s.id), 0) as paid_cents,
            coalesce((select sum(greatest(0, c.patient_responsibility_cents - ${APPLIED_ON_CLAIM}))::bigint from claims c
                       where c.responsibility = 'patient'
                         and c.id in (select l.claim_id from statement_lines l where l.statement_id = s.id)), 0) as open_cents
       from statements s where s.id = ?`,
    [statementId],
  );
  const row = rows[0];
  if (!row) throw new RowNotFound('statement');
  const s = { totalCents: row.total_cents, paidCents: row.paid_cents, openCents: row.open_cents };
  return { ...s, dueCents: statementDueCents(s) };
}

export interface StatementContext {
  statementId: string;
  practiceId: string;
  patientId: string;
  timeZone: string;
  status: StatementStatus;
  totalCents: Cents;
  /** Which contact details are on file (whether, not what: no PHI leaves here). */
  hasEmail: boolean;
  hasPhone: boolean;
}

export async function statementContext(db: Db, statementId: string): Promise<StatementContext> {
  const row = await db('statements as s')
    .join('patients as p', 'p.id', 's.patient_id')
    .join('practices as pr', 'pr.id', 's.practice_id')
    .where('s.id', statementId)
    .first<{ id: string; practice_id: string; patient_id: string; time_zone: string; status: StatementStatus; total_cents: number; email: string | null; phone: string | null } | undefined>(
      's.id', 's.practice_id', 's.patient_id', 'pr.time_zone', 's.status', 's.total_cents', 'p.email', 'p.phone',
    );
  if (!row) throw new RowNotFound('statement');
  return {
    statementId: row.id, practiceId: row.practice_id, patientId: row.patient_id, timeZone: row.time_zone, status: row.status,
    totalCents: row.total_cents, hasEmail: !!row.email, hasPhone: !!row.phone,
  };
}

/** Everything a statement page or message shows. PHI: for the print page and the notifier only. */
export interface StatementDocument {
  statement: StatementRow;
  lines: StatementLineRow[];
  due: StatementDue;
  patient: { firstName: string; lastName: string; accountId: string; email: string | null; phone: string | null };
  practice: { name: string; externalId: string; timeZone: string; paymentPageUrl: string };
}

export async function statementDocument(db: Db, statementId: string, practiceId?: string): Promise<StatementDocument | undefined> {
  const statement = await getStatement(db, statementId, practiceId);
  if (!statement) return undefined;
  const people = await db('patients as p')
    .join('practices as pr', 'pr.id', 'p.practice_id')
    .where('p.id', statement.patient_id)
    .first<{ first_name: string; last_name: string; account_id: string; email: string | null; phone: string | null; name: string; external_id: string; time_zone: string; payment_page_url: string }>(
      'p.first_name', 'p.last_name', 'p.account_id', 'p.email', 'p.phone', 'pr.name', 'pr.external_id', 'pr.time_zone', 'pr.payment_page_url',
    );
  return {
    statement,
    lines: await statementLinesOf(db, statementId),
    due: await statementDue(db, statementId),
    patient: { firstName: people.first_name, lastName: people.last_name, accountId: people.account_id, email: people.email, phone: people.phone },
    practice: { name: people.name, externalId: people.external_id, timeZone: people.time_zone, paymentPageUrl: people.payment_page_url },
  };
}

/** A practice's statements, newest first (staff; account ids included: staff may see them). */
export async function listStatements(db: Db, practiceId: string, filter: { status?: StatementStatus; patientId?: string } = {}) {
  const q = db('statements as s')
    .join('patients as p', 'p.id', 's.patient_id')
    .where('s.practice_id', practiceId)
    .orderBy([{ column: 's.created_at', order: 'desc' }, { column: 's.id' }])
    .limit(500)
    .select<(StatementRow & { patient_external_id: string; account_id: string })[]>('s.*', 'p.external_id as patient_external_id', 'p.account_id');
  if (filter.status) void q.andWhere('s.status', filter.status);
  if (filter.patientId) void q.andWhere('s.patient_id', filter.patientId);
  return q;
}

/** The statement a patient sees in the portal: the newest open one, else the newest one. */
export async function portalStatementOf(db: Db, patientId: string): Promise<StatementRow | undefined> {
  return db('statements')
    .where({ patient_id: patientId })
    .orderByRaw("(status = 'open') desc, created_at desc, id")
    .first<StatementRow | undefined>();
}

// ---------------------------------------------------------------------------------------------------------------
// Progress (written by the statement workflow's activities)

export async function markStatementSent(db: Db, statementId: string, actor: string): Promise<{ changed: boolean }> {
  return db.transaction(async (trx) => {
    const [row] = await trx('statements').where({ id: statementId }).whereNull('sent_at')
      .update({ sent_at: trx.fn.now(), updated_at: trx.fn.now() })
      .returning<{ id: string; practice_id: string }[]>(['id', 'practice_id']);
    if (!row) return { changed: false };
    await writeAudit(trx, { practiceId: row.practice_id, actor, action: 'statement.sent', entityType: 'statement', entityId: row.id, before: { sent: false }, after: { sent: true } });
    return { changed: true };
  });
}

export async function recordStatementReminder(db: Db, statementId: string, sequence: number, actor: string): Promise<{ changed: boolean }> {
  return db.transaction(async (trx) => {
    const [row] = await trx('statements').where({ id: statementId }).andWhere('reminders_sent', '<', sequence)
      .update({ reminders_sent: sequence, updated_at: trx.fn.now() })
      .returning<{ id: string; practice_id: string }[]>(['id', 'practice_id']);
    if (!row) return { changed: false };
    await writeAudit(trx, {
      practiceId: row.practice_id, actor, action: 'statement.reminder_sent', entityType: 'statement', entityId: row.id,
      before: { remindersSent: sequence - 1 }, after: { remindersSent: sequence },
    });
    return { changed: true };
  });
}

/** Closes an open statement as paid or unpaid (conditional: the first close wins; a retry changes nothing). */
export async function closeStatementRow(
  trx: Db,
  input: { statementId: string; status: 'paid' | 'unpaid'; dueCents: Cents; actor: string },
): Promise<{ changed: boolean; row: StatementRow }> {
  const [row] = await trx('statements').where({ id: input.statementId, status: 'open' })
    .update({ status: input.status, closed_at: trx.fn.now(), updated_at: trx.fn.now() })
    .returning<StatementRow[]>('*');
  if (row) {
    await writeAudit(trx, {
      practiceId: row.practice_id, actor: input.actor, action: 'statement.closed', entityType: 'statement', entityId: row.id,
      before: { status: 'open' }, after: { status: input.status, dueCents: input.dueCents },
    });
    return { changed: true, row };
  }
  const existing = await getStatement(trx, input.statementId);
  if (!existing) throw new RowNotFound('statement');
  return { changed: false, row: existing };
}

// ---------------------------------------------------------------------------------------------------------------
// Statement payments (collections with path 'statement')

export type StatementCollectionRow = CollectionRow & { statement_id: string };

/** A payment of the statement, as the portal starts it: its workflow is the statement's. */
export async function createStatementCollection(
  db: Db,
  c: { statement: StatementRow; amountCents: Cents; createdBy: string },
): Promise<StatementCollectionRow> {
  return db.transaction(async (trx) => {
    const [row] = await trx('collections')
      .insert({
        id: randomUUID(), practice_id: c.statement.practice_id, patient_id: c.statement.patient_id, visit_id: null, path: 'statement',
        workflow_id: c.statement.workflow_id, requested_amount_cents: c.amountCents, created_by: c.createdBy,
        statement_id: c.statement.id,
      })
      .returning<StatementCollectionRow[]>('*');
    await writeAudit(trx, {
      practiceId: c.statement.practice_id, actor: c.createdBy, action: 'collection.created', entityType: 'collection', entityId: row!.id,
      before: null, after: { collectionId: row!.id, path: 'statement', statementId: c.statement.id, amountCents: c.amountCents, status: row!.status },
    });
    return row!;
  });
}

export interface StatementPaymentEntry {
  collectionId: string;
  status: string;
  requestedAmountCents: Cents;
  createdAt: Date;
  payment: { paymentId: string; externalPaymentId: string; amountCents: Cents; paidAt: Date; paymentDate: LocalDate } | null;
}

export async function statementPayments(db: Db, statementId: string): Promise<StatementPaymentEntry[]> {
  const rows = await db('collections as k')
    .leftJoin('payments as p', 'p.collection_id', 'k.id')
    .where('k.statement_id', statementId)
    .orderBy([{ column: 'k.created_at' }, { column: 'k.id' }])
    .select<{ id: string; status: string; requested_amount_cents: number; created_at: Date; payment_id: string | null; external_id: string | null; amount_cents: number | null; paid_at: Date | null; payment_date: string | null }[]>(
      'k.id', 'k.status', 'k.requested_amount_cents', 'k.created_at', 'p.id as payment_id', 'p.external_id', 'p.amount_cents', 'p.paid_at', 'p.payment_date',
    );
  return rows.map((r) => ({
    collectionId: r.id, status: r.status, requestedAmountCents: r.requested_amount_cents, createdAt: r.created_at,
    payment: r.payment_id
      ? { paymentId: r.payment_id, externalPaymentId: r.external_id!, amountCents: r.amount_cents!, paidAt: r.paid_at!, paymentDate: r.payment_date! }
      : null,
  }));
}

/** A statement collection with its statement and practice, for the receipt page. */
export async function statementCollection(db: Db, collectionId: string) {
  return db('collections as k')
    .join('statements as s', 's.id', 'k.statement_id')
    .join('practices as pr', 'pr.id', 'k.practice_id')
    .leftJoin('payments as p', 'p.collection_id', 'k.id')
    .where('k.id', collectionId)
    .andWhere('k.path', 'statement')
    .first<{
      id: string; status: string; patient_id: string; statement_id: string; requested_amount_cents: number; practice_name: string;
      time_zone: string; payment_id: string | null; external_id: string | null; amount_cents: number | null; paid_at: Date | null;
    } | undefined>(
      'k.id', 'k.status', 'k.patient_id', 'k.statement_id', 'k.requested_amount_cents', 'pr.name as practice_name', 'pr.time_zone',
      'p.id as payment_id', 'p.external_id', 'p.amount_cents', 'p.paid_at',
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Applying a statement payment

/**
 * What an earlier attempt at applying a statement payment wrote: its automatic applications (in the order written)
 * and its `credit_remaining` task, or undefined when it wrote nothing (the activity's retry reads this first).
 */
export async function statementApplicationWritten(trx: Knex.Transaction, input: { paymentId: string; taskBusinessKey: string }) {
  const applications = await trx('payment_applications').where({ payment_id: input.paymentId, kind: 'auto' })
    .orderBy([{ column: 'created_at' }, { column: 'id' }]).select<{ claim_id: string; amount_cents: number }[]>('claim_id', 'amount_cents');
  const task = await trx('manual_tasks').where({ business_key: input.taskBusinessKey }).first<{ id: string } | undefined>('id');
  if (applications.length === 0 && !task) return undefined;
  return { applications: applications.map((a) => ({ claimId: a.claim_id, amountCents: a.amount_cents })), taskId: task?.id };
}

/** The practice a statement belongs to. */
export async function statementPracticeId(db: Db, statementId: string): Promise<string> {
  const row = await db('statements').where({ id: statementId }).first<{ practice_id: string } | undefined>('practice_id');
  if (!row) throw new RowNotFound('statement');
  return row.practice_id;
}

/**
 * Locks the patient's patient-owned claims (in id order, the ledger's lock order after the payment) and returns their
 * state as the application rules need it, read after the locks so it is current.
 */
export async function lockPatientClaimStates(trx: Knex.Transaction, patientId: string) {
  await trx.raw(`select c.id from claims c where c.patient_id = ? and c.responsibility = 'patient' order by c.id for update`, [patientId]);
  const { rows } = await trx.raw<{ rows: { id: string; visit_id: string; patient_id: string; date_of_service: string; patient_responsibility_cents: number; applied_cents: number }[] }>(
    `select c.id, c.visit_id, c.patient_id, v.date_of_service, c.patient_responsibility_cents, ${APPLIED_ON_CLAIM} as applied_cents
       from claims c join visits v on v.id = c.visit_id
      where c.patient_id = ? and c.responsibility = 'patient'
      order by c.id`,
    [patientId],
  );
  return rows.map((r) => ({
    claimId: r.id, visitId: r.visit_id, patientId: r.patient_id, responsibility: 'patient' as const, dateOfService: r.date_of_service,
    patientResponsibilityCents: r.patient_responsibility_cents, appliedCents: r.applied_cents,
  }));
}
