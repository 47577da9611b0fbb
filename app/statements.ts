/**
 * Statements (shared/domain.md, path 3), for the JSON API (api/routes/statements.ts), the staff's printable statement
 * and the patient portal (web/): generate a patient's statement for this cycle and start its run, which sends it;
 * run a batch for a practice; read statements, their lines as the patient sees them, and the notification outbox.
 * How each run is started is in workflows/starts/statement.ts and statement-batch.ts.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { emptyBody } from '../contracts/operation';
import type { Db } from '../db/connection';
import { currentClaimReasons } from '../db/queries/claim-reasons';
import { listOutbox } from '../db/queries/notifications';
import { patientInPractice } from '../db/queries/patients';
import { practiceSettings } from '../db/queries/practice-settings';
import type { Staff } from '../db/queries/staff';
import {
  generateStatement, getStatement, listStatements, portalStatementOf, statementCurrentBalances, statementDocument, statementPayments,
  type StatementDocument, type StatementRow, type StatementStatus,
} from '../db/queries/statements';
import { planNoteOf } from '../db/queries/payment-plans';
import { localDateOf } from '../domain/dates';
import { planNoteText } from '../domain/payment-plans';
import type { Cents } from '../domain/money';
import { owedLinesOfStored, owedLineWords, type OwedLine } from '../domain/remittance-reasons';
import { statementCycle } from '../domain/statements';
import { AppError, conflict, notFound } from '../lib/errors';
import { outageOf } from '../lib/outage';
import { parseBody, UUID } from '../lib/validate';
import { portalUrlOf } from '../activities/statement-notices';
import type { StatementsSettings } from './statements-settings';
import { statementBatchStart } from '../workflows/starts/statement-batch';
import { statementStart, type StatementRunSettings } from '../workflows/starts/statement';

export interface StatementDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  settings: StatementsSettings;
  captureWindowMs: number;
}

/** What every statement run takes from the service's settings. */
export const runSettingsOf = (s: StatementsSettings, captureWindowMs: number): StatementRunSettings => ({
  publicBaseUrl: s.publicBaseUrl, reminderIntervalMs: s.reminderIntervalMs, reminderLimit: s.reminderLimit, captureWindowMs,
});

/**
 * Starts the statement's run unless it exists: a running one is kept (USE_EXISTING), a finished one is never started
 * again (REJECT_DUPLICATE). Only open statements have a run to start.
 */
export async function ensureStatementRun(deps: Pick<StatementDeps, 'temporal' | 'taskQueue' | 'settings' | 'captureWindowMs'>, statement: StatementRow): Promise<void> {
  if (statement.status !== 'open') return;
  const start = statementStart(
    { statementId: statement.id, practiceId: statement.practice_id, patientId: statement.patient_id, totalCents: statement.total_cents },
    runSettingsOf(deps.settings, deps.captureWindowMs), deps.taskQueue,
  );
  try {
    await deps.temporal.workflow.start(start.workflow, start.options);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

export function statementSummary(s: StatementRow) {
  return {
    statementId: s.id, patientId: s.patient_id, cycle: s.cycle, statementDate: s.statement_date, status: s.status,
    totalCents: s.total_cents, workflowId: s.workflow_id, sentAt: s.sent_at, remindersSent: s.reminders_sent, closedAt: s.closed_at,
    createdAt: s.created_at,
  };
}

/** Why the patient owes each of the statement's claims today, in the payer's words (db/queries/claim-reasons.ts), by claim. */
export async function statementReasons(db: Db, doc: StatementDocument): Promise<Map<string, OwedLine[]>> {
  const stored = await currentClaimReasons(db, doc.statement.practice_id, [...new Set(doc.lines.map((l) => l.claim_id))]);
  return new Map([...stored].map(([claimId, adjustments]) => [claimId, owedLinesOfStored(adjustments)] as const).filter(([, lines]) => lines.length > 0));
}

/**
 * Each line's reasons: a claim's go under its LAST line on the statement (its lines are consecutive), the others get
 * none. An 835's adjustments explain the claim (its service lines need not match ours one for one), and once per
 * claim they add up to what the payer said the patient owes, never counted twice.
 */
function reasonsPerLine(doc: StatementDocument, reasons: Map<string, OwedLine[]>): (OwedLine[] | undefined)[] {
  return doc.lines.map((l, i) => (doc.lines[i + 1]?.claim_id === l.claim_id ? undefined : reasons.get(l.claim_id)));
}

/**
 * The statement's lines as the patient sees them: as printed, with what each owes today (statementCurrentBalances),
 * and why (statementReasons) under the last line of each claim.
 */
export function portalLines(doc: StatementDocument, current: Map<string, Cents>, reasons: Map<string, OwedLine[]>) {
  const why = reasonsPerLine(doc, reasons);
  return doc.lines.map((l, i) => ({
    dateOfService: l.date_of_service, procedureCode: l.procedure_code, description: l.description, chargeCents: l.charge_cents,
    insurancePaidCents: l.insurance_paid_cents, adjustmentCents: l.adjustment_cents, patientPaidCents: l.patient_paid_cents,
    balanceCents: l.balance_cents, currentBalanceCents: current.get(`${l.claim_id}:${l.claim_line_id ?? ''}`) ?? 0,
    ...(why[i] ? { whyYouOwe: why[i] } : {}),
  }));
}

async function statementDetail(db: Db, doc: StatementDocument) {
  const now = await statementCurrentBalances(db, doc.statement);
  const why = reasonsPerLine(doc, await statementReasons(db, doc));
  return {
    ...statementSummary(doc.statement),
    accountId: doc.patient.accountId,
    dueCents: doc.due.dueCents,
    paidCents: doc.due.paidCents,
    lines: doc.lines.map((l, i) => ({
      claimId: l.claim_id, dateOfService: l.date_of_service, procedureCode: l.procedure_code, description: l.description,
      chargeCents: l.charge_cents, insurancePaidCents: l.insurance_paid_cents, adjustmentCents: l.adjustment_cents,
      patientPaidCents: l.patient_paid_cents, balanceCents: l.balance_cents,
      // What the line owes today: it follows payer reversals and the claim's return, both ways.
      currentBalanceCents: now.get(`${l.claim_id}:${l.claim_line_id ?? ''}`) ?? 0,
      // Why the patient owes the claim (its last line only, see reasonsPerLine); absent when the payer said nothing.
      ...(why[i] ? { whyYouOwe: why[i].map((w) => ({ code: w.code, amountCents: w.amountCents, words: owedLineWords(w) })) } : {}),
    })),
    payments: await statementPayments(db, doc.statement.id),
    printUrl: `/v1/statements/${doc.statement.id}/print`,
  };
}

const uuidOr404 = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
  return value;
};

/**
 * Generates the patient's statement for this cycle (over the practice's threshold, one per cycle) and starts its run.
 * `created` false: the patient's open statement of this cycle, as it is.
 */
export async function generateStatementFor(deps: StatementDeps, staff: Staff, patientId: unknown, rawBody: unknown) {
  const { db } = deps;
  const patient = await patientInPractice(db, uuidOr404(patientId, 'patient'), staff.practiceId);
  if (!patient) throw notFound('patient');
  parseBody(emptyBody, rawBody);
  const outcome = await generateStatement(db, { patientId: patient.id, practiceId: staff.practiceId, now: new Date(), actor: `staff:${staff.id}` });
  switch (outcome.kind) {
    case 'not_found':
      throw notFound('patient');
    case 'below_threshold':
      throw new AppError(422, 'below-threshold', 'Below the statement threshold',
        `The patient's balance of ${outcome.totalCents} cents does not exceed the practice's statement threshold of ${outcome.thresholdCents} cents.`);
    case 'in_payment_plan':
      throw new AppError(422, 'in-payment-plan', 'In a payment plan',
        `Everything this patient owes is in their payment plan (${outcome.planId}); its installments collect it, so no statement is sent.`);
    case 'cycle_taken':
      throw conflict(`This patient already had a statement this cycle (${outcome.statement.cycle}); the next one can go out next cycle.`);
    case 'open':
    case 'created': {
      await ensureStatementRun(deps, outcome.statement);
      const doc = (await statementDocument(db, outcome.statement.id, staff.practiceId))!;
      return { created: outcome.kind === 'created', statement: { ...(await statementDetail(db, doc)), existing: outcome.kind === 'open' } };
    }
  }
}

/** How long the batch waits for its run before answering `running` (within TEMPORAL_REQUEST_TIMEOUT). */
const BATCH_ANSWER_WAIT_MS = 3000;

export type StatementBatchOutcome =
  | { cycle: string; workflowId: string; created: string[]; started: string[] }
  | { cycle: string; workflowId: string; running: true };

/**
 * A statement for every patient of the staff's practice due one this cycle: the batch's run (one per practice and cycle
 * at a time; a later run of the same cycle generates nothing new). A large practice's batch outlasts an HTTP answer:
 * after a few seconds it is answered as running; it goes on.
 */
export async function runStatementBatch(deps: StatementDeps, staff: Staff): Promise<StatementBatchOutcome> {
  const { timeZone } = await practiceSettings(deps.db, staff.practiceId);
  const cycle = statementCycle(localDateOf(new Date(), timeZone));
  const start = statementBatchStart(staff.practiceId, cycle, runSettingsOf(deps.settings, deps.captureWindowMs), deps.taskQueue);
  const workflowId = start.options.workflowId;
  const handle = await deps.temporal.workflow.start(start.workflow, start.options);
  try {
    const result = await deps.temporal.withDeadline(Date.now() + BATCH_ANSWER_WAIT_MS, () => handle.result());
    return { cycle, workflowId, created: result.created, started: result.started };
  } catch (err) {
    if (outageOf(err) !== 'temporal') throw err;
    return { cycle, workflowId, running: true };
  }
}

export async function statementsOfPractice(deps: Pick<StatementDeps, 'db'>, staff: Staff, filter: { status?: StatementStatus; patientId?: string }) {
  const rows = await listStatements(deps.db, staff.practiceId, filter);
  return { statements: rows.map((r) => ({ ...statementSummary(r), patientExternalId: r.patient_external_id, accountId: r.account_id })) };
}

export async function statementFor(deps: Pick<StatementDeps, 'db'>, staff: Staff, statementId: unknown) {
  const doc = await statementDocument(deps.db, uuidOr404(statementId, 'statement'), staff.practiceId);
  if (!doc) throw notFound('statement');
  return statementDetail(deps.db, doc);
}

/** The printed statement's content: the printable page (web/'s printableStatementPage) and the PDF (mail/statement-pdf.ts). */
export interface PrintableStatement {
  practiceName: string; patientName: string; accountId: string; statementDate: string; lines: ReturnType<typeof portalLines>;
  totalCents: Cents; paidCents: Cents; dueCents: Cents; portalUrl: string;
  /** The line about the patient's live payment plan, whose claims the statement leaves out (planNoteText). */
  planNote?: string;
}

/** The statement's line about the patient's live payment plan, if any (read now: the plan is charged apart from the statement). */
export async function planNoteFor(db: Db, statement: StatementRow): Promise<string | undefined> {
  const note = await planNoteOf(db, statement);
  return note && planNoteText(note);
}

/** The statement as printed (page, PDF, letter): its lines as they stand today, why, the totals and the plan's line. */
export async function printableOf(db: Db, doc: StatementDocument, portalUrl: string): Promise<PrintableStatement> {
  const planNote = await planNoteFor(db, doc.statement);
  return {
    practiceName: doc.practice.name, patientName: `${doc.patient.firstName} ${doc.patient.lastName}`, accountId: doc.patient.accountId,
    statementDate: doc.statement.statement_date,
    lines: portalLines(doc, await statementCurrentBalances(db, doc.statement), await statementReasons(db, doc)), totalCents: doc.due.totalCents,
    paidCents: doc.due.paidCents, dueCents: doc.due.dueCents, portalUrl, ...(planNote ? { planNote } : {}),
  };
}

const printable = (deps: Pick<StatementDeps, 'db' | 'settings'>, doc: StatementDocument) => printableOf(deps.db, doc, portalUrlOf(deps.settings.publicBaseUrl));

/** A statement of the staff's practice, to print. */
export async function printableStatementFor(deps: Pick<StatementDeps, 'db' | 'settings'>, staff: Staff, statementId: unknown): Promise<PrintableStatement> {
  const doc = await statementDocument(deps.db, uuidOr404(statementId, 'statement'), staff.practiceId);
  if (!doc) throw notFound('statement');
  return printable(deps, doc);
}

/** The signed-in patient's current statement, to print; undefined when there is none. */
export async function printablePortalStatement(deps: Pick<StatementDeps, 'db' | 'settings'>, patientId: string): Promise<PrintableStatement | undefined> {
  const statement = await portalStatementOf(deps.db, patientId);
  const doc = statement && (await statementDocument(deps.db, statement.id));
  return doc ? printable(deps, doc) : undefined;
}

/** The messages sent (statements, reminders, receipts), per channel, with their delivery state; optionally one statement's. */
export async function notificationsOf(deps: Pick<StatementDeps, 'db'>, staff: Staff, q: { statementId?: string; limit?: number }) {
  if (q.statementId && !(await getStatement(deps.db, q.statementId, staff.practiceId))) throw notFound('statement');
  const rows = await listOutbox(deps.db, staff.practiceId, q);
  return {
    notifications: rows.map((r) => ({
      id: r.id, statementId: r.statement_id, patientId: r.patient_id, channel: r.channel, kind: r.kind, sequence: r.sequence,
      recipient: r.recipient, subject: r.subject, body: r.body, createdAt: r.created_at, paymentId: r.payment_id,
      delivery: { state: r.state, attempts: r.attempts, lastError: r.last_error, sentAt: r.sent_at, fallbackOf: r.fallback_of, fallbackId: r.fallback_id },
    })),
  };
}
