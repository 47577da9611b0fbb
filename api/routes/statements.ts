/**
 * Statements for staff (shared/domain.md, path 3): generate a patient's statement for this cycle (billing), run a
 * batch for every patient of the practice due one (billing), read statements and their printable page, and read the
 * notification outbox (what the local notifier sent). Generating starts the statement's workflow, which sends it.
 * Another practice's ids answer 404; errors are problem+json.
 */
import { Router, type Response } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { listOutbox } from '../../db/queries/notifications';
import { patientInPractice } from '../../db/queries/patients';
import {
  generateStatement, getStatement, listStatements, statementCurrentBalances, statementDocument, statementPayments, type StatementDocument,
  type StatementRow,
} from '../../db/queries/statements';
import { localDateOf } from '../../domain/dates';
import { statementCycle } from '../../domain/statements';
import type { Cents } from '../../domain/money';
import { AppError, conflict, notFound, validationFailed } from '../../lib/errors';
import { outageOf } from '../../lib/outage';
import { statementBatch } from '../../workflows/statement-batch';
import { PayflowPath, PayflowPracticeId } from '../../workflows/search-attributes';
import { requireRole, staffOf } from '../auth';
import { portalUrlOf } from '../../activities/statement-notices';
import { printableStatementPage } from '../portal/pages';
import { ensureStatementRun, runSettingsOf } from '../portal/statement-runs';
import { helmetOptions } from '../portal/headers';
import type { StatementsSettings } from '../portal/settings';
import { parseBody, UUID } from '../validate';

export interface StatementRouteDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  settings: StatementsSettings;
  captureWindowMs: number;
}

const emptyBody = z.strictObject({});
const listQuery = z.strictObject({
  status: z.enum(['open', 'paid', 'unpaid'], { error: 'must be open, paid or unpaid' }).optional(),
  patientId: z.uuid({ error: 'must be a patient id' }).optional(),
});
const outboxQuery = z.strictObject({
  statementId: z.uuid({ error: 'must be a statement id' }).optional(),
  limit: z.coerce.number({ error: 'must be a number from 1 to 500' }).int({ error: 'must be a number from 1 to 500' })
    .min(1, { error: 'must be a number from 1 to 500' }).max(500, { error: 'must be a number from 1 to 500' }).optional(),
});

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  throw validationFailed(result.error.issues.flatMap((i) => (i.code === 'unrecognized_keys'
    ? i.keys.map((k) => ({ field: k, reason: 'unknown query parameter' }))
    : [{ field: i.path.map(String).join('.') || 'query', reason: i.message }])));
}

export function statementSummary(s: StatementRow) {
  return {
    statementId: s.id, patientId: s.patient_id, cycle: s.cycle, statementDate: s.statement_date, status: s.status,
    totalCents: s.total_cents, workflowId: s.workflow_id, sentAt: s.sent_at, remindersSent: s.reminders_sent, closedAt: s.closed_at,
    createdAt: s.created_at,
  };
}

async function statementDetail(db: Db, doc: StatementDocument) {
  const now = await statementCurrentBalances(db, doc.statement);
  return {
    ...statementSummary(doc.statement),
    accountId: doc.patient.accountId,
    dueCents: doc.due.dueCents,
    paidCents: doc.due.paidCents,
    lines: doc.lines.map((l) => ({
      claimId: l.claim_id, dateOfService: l.date_of_service, procedureCode: l.procedure_code, description: l.description,
      chargeCents: l.charge_cents, insurancePaidCents: l.insurance_paid_cents, adjustmentCents: l.adjustment_cents,
      patientPaidCents: l.patient_paid_cents, balanceCents: l.balance_cents,
      // What the line owes today: it follows payer reversals and the claim's return, both ways.
      currentBalanceCents: now.get(`${l.claim_id}:${l.claim_line_id ?? ''}`) ?? 0,
    })),
    payments: await statementPayments(db, doc.statement.id),
    printUrl: `/v1/statements/${doc.statement.id}/print`,
  };
}

/** How long the batch endpoint waits for the batch before answering 202 (within TEMPORAL_REQUEST_TIMEOUT). */
const BATCH_ANSWER_WAIT_MS = 3000;

export function statementRoutes(deps: StatementRouteDeps): Router {
  const router = Router();
  const { db } = deps;
  const runSettings = () => runSettingsOf(deps.settings, deps.captureWindowMs);
  const uuidOr404 = (value: unknown, what: string): string => {
    if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
    return value;
  };

  router.post('/v1/patients/:patientId/statements', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const patient = await patientInPractice(db, uuidOr404(req.params.patientId, 'patient'), staff.practiceId);
    if (!patient) throw notFound('patient');
    parseBody(emptyBody, req.body);
    const outcome = await generateStatement(db, { patientId: patient.id, practiceId: staff.practiceId, now: new Date(), actor: `staff:${staff.id}` });
    switch (outcome.kind) {
      case 'not_found':
        throw notFound('patient');
      case 'below_threshold':
        throw new AppError(422, 'below-threshold', 'Below the statement threshold',
          `The patient's balance of ${outcome.totalCents} cents does not exceed the practice's statement threshold of ${outcome.thresholdCents} cents.`);
      case 'cycle_taken':
        throw conflict(`This patient already had a statement this cycle (${outcome.statement.cycle}); the next one can go out next cycle.`);
      case 'open':
      case 'created': {
        await ensureStatementRun(deps.temporal, deps.taskQueue, outcome.statement, runSettings());
        const doc = (await statementDocument(db, outcome.statement.id, staff.practiceId))!;
        res.status(outcome.kind === 'created' ? 201 : 200).json({ ...(await statementDetail(db, doc)), existing: outcome.kind === 'open' });
      }
    }
  });

  router.post('/v1/statement-batches', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    parseBody(emptyBody, req.body);
    const practice = await db('practices').where({ id: staff.practiceId }).first<{ time_zone: string }>('time_zone');
    const cycle = statementCycle(localDateOf(new Date(), practice.time_zone));
    const workflowId = `statement-batch-${staff.practiceId}-${cycle}`;
    // One batch per practice and cycle at a time (USE_EXISTING); a later run of the same cycle generates nothing new.
    const handle = await deps.temporal.workflow.start(statementBatch, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [{ practiceId: staff.practiceId, settings: runSettings() }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: PayflowPath, value: 'statement-batch' }, { key: PayflowPracticeId, value: staff.practiceId }],
      staticSummary: `Statement batch ${cycle} for practice ${staff.practiceId}`,
    });
    // A large practice's batch outlasts an HTTP answer: after a few seconds it is answered as running (202); it goes on.
    try {
      const result = await deps.temporal.withDeadline(Date.now() + BATCH_ANSWER_WAIT_MS, () => handle.result());
      res.json({ cycle, workflowId, created: result.created, started: result.started });
    } catch (err) {
      if (outageOf(err) !== 'temporal') throw err;
      res.status(202).json({ cycle, workflowId, running: true });
    }
  });

  router.get('/v1/statements', async (req, res) => {
    const staff = staffOf(req);
    const filter = parseQuery(listQuery, req.query);
    const rows = await listStatements(db, staff.practiceId, filter);
    res.json({ statements: rows.map((r) => ({ ...statementSummary(r), patientExternalId: r.patient_external_id, accountId: r.account_id })) });
  });

  router.get('/v1/statements/:statementId', async (req, res) => {
    const staff = staffOf(req);
    const doc = await statementDocument(db, uuidOr404(req.params.statementId, 'statement'), staff.practiceId);
    if (!doc) throw notFound('statement');
    res.json(await statementDetail(db, doc));
  });

  const pageHeaders = helmet(helmetOptions);
  router.get('/v1/statements/:statementId/print', pageHeaders, async (req, res: Response) => {
    const staff = staffOf(req);
    const doc = await statementDocument(db, uuidOr404(req.params.statementId, 'statement'), staff.practiceId);
    if (!doc) throw notFound('statement');
    res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(printableStatementPage({
      practiceName: doc.practice.name, patientName: `${doc.patient.firstName} ${doc.patient.lastName}`, accountId: doc.patient.accountId,
      statementDate: doc.statement.statement_date, lines: portalLines(doc, await statementCurrentBalances(db, doc.statement)), totalCents: doc.due.totalCents,
      paidCents: doc.due.paidCents, dueCents: doc.due.dueCents, portalUrl: portalUrlOf(deps.settings.publicBaseUrl),
    }));
  });

  router.get('/v1/notifications', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const q = parseQuery(outboxQuery, req.query);
    if (q.statementId && !(await getStatement(db, q.statementId, staff.practiceId))) throw notFound('statement');
    const rows = await listOutbox(db, staff.practiceId, q);
    res.json({
      notifications: rows.map((r) => ({
        id: r.id, statementId: r.statement_id, patientId: r.patient_id, channel: r.channel, kind: r.kind, sequence: r.sequence,
        recipient: r.recipient, subject: r.subject, body: r.body, createdAt: r.created_at,
      })),
    });
  });

  return router;
}

/** The statement's lines as the patient sees them: as printed, with what each owes today (statementCurrentBalances). */
export function portalLines(doc: StatementDocument, current: Map<string, Cents>) {
  return doc.lines.map((l) => ({
    dateOfService: l.date_of_service, procedureCode: l.procedure_code, description: l.description, chargeCents: l.charge_cents,
    insurancePaidCents: l.insurance_paid_cents, adjustmentCents: l.adjustment_cents, patientPaidCents: l.patient_paid_cents,
    balanceCents: l.balance_cents, currentBalanceCents: current.get(`${l.claim_id}:${l.claim_line_id ?? ''}`) ?? 0,
  }));
}
