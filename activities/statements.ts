/**
 * Activities of the statement path: generating statements (batch), sending a statement or reminder through the
 * notifier, recording the workflow's progress on the statement row, applying a statement payment by the
 * outstanding-balance rule (the statement's claims first, oldest first), and closing the statement (paid, or unpaid
 * with a `statement_unpaid` task). Each is idempotent by a business key PostgreSQL enforces. Thrown messages and
 * returned values carry ids, amounts and channel names only: never PHI.
 */
import type { Db } from '../db/connection';
import { applyToClaim, lockPayment, openManualTask, paymentState } from '../db/queries/ledger';
import {
  closeStatementRow, generateStatement, lockPatientClaimStates, markStatementSent, recordStatementReminder, statementApplicationWritten,
  statementCandidates, statementClaimOrder, statementContext, statementPracticeId, statementDocument, statementDue, unsentOpenStatements, type StatementDue,
} from '../db/queries/statements';
import { decideOutstandingBalance, type ManualReason } from '../domain/application-rules';
import type { Cents } from '../domain/money';
import { notFound } from '../lib/errors';
import type { NotificationChannel, NotificationKind } from '../domain/notices';
import type { Notifier } from '../lib/notifier';
import { renderNotice } from './statement-notices';
import { preferredChannelOf } from '../db/queries/notifications';
import { statementChannels } from '../domain/receipt-channel';

const SYSTEM_ACTOR = 'system:workflow';
/** A statement payment is applied once: the first (and only) round of its business keys. */
const ROUND = 1;

export interface StatementRunContext {
  practiceId: string;
  patientId: string;
  timeZone: string;
  status: 'open' | 'paid' | 'unpaid';
  /** The channels the statement goes by: the preferred one when on file; else mail always, email and text when on file. */
  channels: NotificationChannel[];
  due: StatementDue;
}

export interface ApplyStatementPaymentResult {
  appliedCents: Cents;
  applications: { claimId: string; amountCents: Cents }[];
  task?: { taskId: string; reason: ManualReason; amountCents: Cents; paymentId: string };
}

export interface StatementToStart { statementId: string; practiceId: string; patientId: string; totalCents: Cents }

export function createStatementActivities(deps: { db: Db; notifier: Notifier }) {
  const { db, notifier } = deps;
  const taskKey = (collectionId: string, reason: ManualReason) => `collection:${collectionId}:task:${reason}:r${ROUND}`;

  return {
    async loadStatementContext(input: { statementId: string }): Promise<StatementRunContext> {
      const ctx = await statementContext(db, input.statementId);
      // No preference: email and text when on file, mail always; a preferred channel on file: that one (domain/receipt-channel.ts).
      const channels = statementChannels({
        preferredChannel: await preferredChannelOf(db, ctx.patientId), email: ctx.hasEmail ? 'on file' : null, phone: ctx.hasPhone ? 'on file' : null,
      });
      return { practiceId: ctx.practiceId, patientId: ctx.patientId, timeZone: ctx.timeZone, status: ctx.status, channels, due: await statementDue(db, input.statementId) };
    },

    async loadStatementDue(input: { statementId: string }): Promise<StatementDue> {
      return statementDue(db, input.statementId);
    },

    /** Sends the statement (sequence 0) or reminder n on each channel, once per business key. */
    async sendStatementNotices(input: { statementId: string; kind: NotificationKind; sequence: number; channels: NotificationChannel[]; publicBaseUrl: string }): Promise<{ sent: NotificationChannel[] }> {
      const doc = await statementDocument(db, input.statementId);
      if (!doc) throw notFound('statement');
      const sent: NotificationChannel[] = [];
      for (const channel of input.channels) {
        const notice = renderNotice(doc, { channel, kind: input.kind, sequence: input.sequence, publicBaseUrl: input.publicBaseUrl });
        if (!notice) continue;
        await notifier.send({
          channel, kind: input.kind, sequence: input.sequence, practiceId: doc.statement.practice_id, patientId: doc.statement.patient_id,
          statementId: doc.statement.id, ...notice, businessKey: `statement:${doc.statement.id}:${input.kind}:${input.sequence}:${channel}`, publicBaseUrl: input.publicBaseUrl,
        });
        sent.push(channel);
      }
      return { sent };
    },

    async markStatementSent(input: { statementId: string }): Promise<{ changed: boolean }> {
      return markStatementSent(db, input.statementId, SYSTEM_ACTOR);
    },

    async recordStatementReminder(input: { statementId: string; sequence: number }): Promise<{ changed: boolean }> {
      return recordStatementReminder(db, input.statementId, input.sequence, SYSTEM_ACTOR);
    },

    /**
     * Applies a recorded statement payment by the outstanding-balance rule: the statement's claims first (oldest date
     * of service first), then the patient's other patient-owned claims oldest first; what is left becomes a
     * `credit_remaining` task. The decision is made under the payment's and the claims' row locks, and the
     * applications and the task are written in the same transaction: two payments racing for one statement serialise
     * here, and no claim receives more than its open balance. A retry after a commit returns what was written.
     */
    async applyStatementPayment(input: { statementId: string; collectionId: string; paymentId: string; workflowId: string }): Promise<ApplyStatementPaymentResult> {
      return db.transaction(async (trx) => {
        const written = async (): Promise<ApplyStatementPaymentResult | undefined> => {
          const found = await statementApplicationWritten(trx, { paymentId: input.paymentId, taskBusinessKey: taskKey(input.collectionId, 'credit_remaining') });
          if (!found) return undefined;
          const payment = await paymentState(trx, input.paymentId);
          const left = payment.amountCents - payment.appliedCents - payment.refundedCents;
          return {
            appliedCents: found.applications.reduce((s, a) => s + a.amountCents, 0),
            applications: found.applications,
            ...(found.taskId ? { task: { taskId: found.taskId, reason: 'credit_remaining' as const, amountCents: left, paymentId: input.paymentId } } : {}),
          };
        };
        const replay = await written();
        if (replay) return replay;

        await lockPayment(trx, input.paymentId);
        const again = await written(); // a concurrent attempt may have committed while we waited for the lock
        if (again) return again;
        const payment = await paymentState(trx, input.paymentId);
        const named = await statementClaimOrder(trx, input.statementId);
        const claims = await lockPatientClaimStates(trx, payment.patientId);
        const decision = decideOutstandingBalance(payment, claims, named, ROUND);

        // In the decision's order (statement claims oldest first): the ledger lists them in this order too.
        for (const a of decision.applications) {
          await applyToClaim(trx, { paymentId: a.paymentId, claimId: a.claimId, amountCents: a.amountCents, kind: 'auto', businessKey: a.businessKey, actor: SYSTEM_ACTOR });
        }
        const result: ApplyStatementPaymentResult = {
          appliedCents: decision.applications.reduce((s, a) => s + a.amountCents, 0),
          applications: decision.applications.map((a) => ({ claimId: a.claimId, amountCents: a.amountCents })),
        };
        if (decision.task) {
          const { taskId } = await openManualTask(trx, {
            practiceId: await statementPracticeId(trx, input.statementId), patientId: payment.patientId, paymentId: input.paymentId, statementId: input.statementId,
            collectionId: input.collectionId, workflowId: input.workflowId, reason: decision.task.reason, amountCents: decision.task.amountCents,
            businessKey: taskKey(input.collectionId, decision.task.reason), actor: SYSTEM_ACTOR,
          });
          result.task = { taskId, reason: decision.task.reason, amountCents: decision.task.amountCents, paymentId: input.paymentId };
        }
        return result;
      });
    },

    /** Closes the statement: paid, or unpaid with a `statement_unpaid` task for staff follow-up (once). */
    async closeStatement(input: { statementId: string; status: 'paid' | 'unpaid'; workflowId: string }): Promise<{ status: 'open' | 'paid' | 'unpaid'; dueCents: Cents; taskId?: string }> {
      return db.transaction(async (trx) => {
        const due = await statementDue(trx, input.statementId);
        const { row } = await closeStatementRow(trx, { statementId: input.statementId, status: input.status, dueCents: due.dueCents, actor: SYSTEM_ACTOR });
        if (row.status !== 'unpaid') return { status: row.status, dueCents: due.dueCents };
        const { taskId } = await openManualTask(trx, {
          practiceId: row.practice_id, patientId: row.patient_id, statementId: row.id, workflowId: input.workflowId, reason: 'statement_unpaid',
          amountCents: due.dueCents, businessKey: `statement:${row.id}:task:statement_unpaid`, actor: SYSTEM_ACTOR,
        });
        return { status: row.status, dueCents: due.dueCents, taskId };
      });
    },

    /**
     * A statement batch: generates the current cycle's statement for every patient due one (of one practice, or of
     * all), then lists the open statements not sent yet, whose workflows the batch starts. Idempotent per cycle.
     */
    async generateDueStatements(input: { practiceId?: string }): Promise<{ created: string[]; toStart: StatementToStart[] }> {
      const created: string[] = [];
      for (const patientId of await statementCandidates(db, input.practiceId)) {
        const outcome = await generateStatement(db, { patientId, now: new Date(), actor: 'system:statement-batch' });
        if (outcome.kind === 'created') created.push(outcome.statement.id);
      }
      const toStart = (await unsentOpenStatements(db, input.practiceId)).map((s) => ({
        statementId: s.id, practiceId: s.practice_id, patientId: s.patient_id, totalCents: s.total_cents,
      }));
      return { created, toStart };
    },
  };
}

export type StatementActivities = ReturnType<typeof createStatementActivities>;
