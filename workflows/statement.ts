/**
 * A billing statement (domain.md, path 3), one run per statement, workflow id `statement-<statementId>`:
 * send the statement (email and mail at once; a text only between 08:00 and 21:00 practice time, else at the next
 * 08:00) → durably wait for payments → a reminder every `reminderIntervalMs` up to `reminderLimit` → ends paid, or
 * unpaid after the last reminder's interval with a `statement_unpaid` task for staff follow-up.
 *
 * Payments: the portal registers each payment it sends to the practice's payment page (registerPayment); the
 * processor's capture arrives through our webhook as the `capture` update, accepted only for this statement's
 * registered collections. Each capture is recorded and applied by the outstanding-balance rule, the statement's claims
 * first; a partial payment keeps the rest due and the reminders going. Money left over becomes a `credit_remaining`
 * task, which staff resolve through this run (`resolve` update). A payment not captured within `captureWindowMs`
 * expires. The run ends once the statement is closed, no registered payment is still pending, and its tasks are
 * resolved.
 *
 * No PHI in ids, search attributes, details or errors: ids, amounts and channel names only. The patient's contact
 * details stay in the activities.
 */
import {
  allHandlersFinished, condition, patched, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NotificationChannel, NotificationKind } from '../domain/notices';
import { formatCents, isPaymentAmount, type Cents } from '../domain/money';
import { nextTextTime } from '../domain/quiet-hours';
import { checkResolution } from '../domain/task-resolution';
import { captureUpdate, resolveUpdate, type CaptureInput, type ResolveInput, type ResolveResult } from './collection-messages';
import {
  registerPaymentUpdate, statementStatusQuery, type RegisterPaymentInput, type StatementRunStatus, type StatementView,
} from './statement-messages';
import { PayflowManualReason, PayflowStatus } from './search-attributes';
import { rejectUpdate } from './update-refusals';
import { PAYMENT_RECEIPT_PATCH } from './collection-state';

export interface StatementInput {
  statementId: string;
  practiceId: string;
  patientId: string;
  /** The statement's total when generated: what may be paid before the run has read the statement. */
  totalCents: Cents;
  /** Base of the portal and print links in the messages, e.g. https://pay.example.com. */
  publicBaseUrl: string;
  reminderIntervalMs: number;
  reminderLimit: number;
  /** How long a registered payment waits for its capture before it expires. */
  captureWindowMs: number;
}

export interface StatementOutcome {
  status: 'paid' | 'unpaid';
  paidCents: Cents;
  dueCents: Cents;
  remindersSent: number;
  unpaidTaskId?: string;
}


const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '1 minute', nonRetryableErrorTypes: ['LedgerRuleError', 'LedgerConflict'] },
});

interface Payment {
  collectionId: string;
  amountCents: Cents;
  expiresAt: number;
  state: 'pending' | 'captured' | 'recorded' | 'expired';
  capture?: CaptureInput;
}

interface OpenTask { taskId: string; amountCents: Cents; paymentId: string }

export async function billingStatement(input: StatementInput): Promise<StatementOutcome> {
  const { workflowId } = workflowInfo();
  const payments = new Map<string, Payment>();
  const openTasks = new Map<string, OpenTask>();
  const resolving = new Set<string>();
  let events = 0; // bumped by every message that gives the main loop work
  let closed: 'paid' | 'unpaid' | undefined;
  let unpaidTaskId: string | undefined;
  let remindersSent = 0;
  let nextReminderAt = 0; // set once the statement is sent
  const deferredTexts: { kind: NotificationKind; sequence: number; at: number }[] = [];
  let status: StatementRunStatus = 'sending';
  let dueCents = input.totalCents;
  let paidCents = 0;

  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const view = (): StatementView => ({
    status, dueCents, paidCents, remindersSent, nextReminderAt: closed || nextReminderAt === 0 ? undefined : iso(nextReminderAt),
    deferredTextAt: closed ? undefined : iso(deferredTexts[0]?.at),
    payments: [...payments.values()].map((p) => ({ collectionId: p.collectionId, amountCents: p.amountCents, state: p.state })),
    openTaskIds: [...openTasks.keys()], unpaidTaskId,
  });
  setHandler(statementStatusQuery, view);

  setHandler(
    registerPaymentUpdate,
    (r: RegisterPaymentInput) => {
      if (!payments.has(r.collectionId)) {
        payments.set(r.collectionId, { collectionId: r.collectionId, amountCents: r.amountCents, expiresAt: Date.now() + input.captureWindowMs, state: 'pending' });
        events++;
      }
      return { registered: true as const, collectionId: r.collectionId };
    },
    {
      validator: (r: RegisterPaymentInput) => {
        const known = payments.get(r.collectionId);
        if (known) {
          if (known.amountCents !== r.amountCents) rejectUpdate('Conflict', 'This payment is already registered with another amount.');
          return; // the same registration again
        }
        if (closed) rejectUpdate('Conflict', `This statement is closed (${closed}); it takes no more payments.`);
        if (!isPaymentAmount(r.amountCents)) rejectUpdate('Invalid', 'amountCents must be a positive whole number of cents');
        // The amount is checked by the portal against what is due now (its claims' current balances and the refunds,
        // read from PostgreSQL under the statement's lock). This run's figures are only as fresh as its last capture or
        // reminder and know nothing of refunds (a reversed claim coming back, a refunded payment raise what is due), so
        // it does not second-guess them; money beyond what the claims can take still becomes a credit task.
      },
    },
  );

  setHandler(
    captureUpdate,
    (c: CaptureInput) => {
      const p = payments.get(c.collectionId)!;
      if (!p.capture) {
        p.capture = c;
        p.state = 'captured';
        events++;
      }
      return { accepted: true as const, externalPaymentId: p.capture.externalPaymentId };
    },
    {
      validator: (c: CaptureInput) => {
        const p = payments.get(c.collectionId);
        if (!p) rejectUpdate('Conflict', 'This capture is for a collection that is not a payment of this statement.');
        if (!isPaymentAmount(c.amountCents)) rejectUpdate('Invalid', 'amountCents must be a positive whole number of cents');
        if (p.capture) {
          if (p.capture.externalPaymentId !== c.externalPaymentId) rejectUpdate('Conflict', 'Another payment was already captured for this collection.');
          return; // the same capture again: accepted, nothing changes
        }
        if (p.state === 'expired') rejectUpdate('Conflict', 'This payment expired before it was captured; its collection is closed.');
      },
    },
  );

  setHandler(
    resolveUpdate,
    async (r: ResolveInput): Promise<ResolveResult> => {
      const task = openTasks.get(r.taskId)!;
      resolving.add(r.taskId);
      try {
        const outcome = await acts.resolveTask({
          taskId: r.taskId, resolution: r.action === 'apply' ? 'applied' : r.action, note: r.note, actor: r.actor,
          applications: r.applications, paymentId: task.paymentId, refundCents: r.refundCents,
        });
        if (!outcome.resolved) rejectUpdate('Conflict', 'This task was already resolved by someone else.');
      } finally {
        resolving.delete(r.taskId);
      }
      openTasks.delete(r.taskId);
      events++;
      return { resolved: true, taskId: r.taskId };
    },
    {
      validator: (r: ResolveInput) => {
        const task = openTasks.get(r.taskId);
        if (!task) rejectUpdate('TaskNotHeld', 'This task is not open on this statement.');
        if (resolving.has(r.taskId)) rejectUpdate('Conflict', 'This task is already being resolved by someone else.');
        // The same rules as every resolution (domain/task-resolution.ts), with the claim states the app read.
        const leftCents = r.unappliedCents === undefined ? task.amountCents : Math.min(task.amountCents, r.unappliedCents);
        const problem = checkResolution(r, { leftCents, claims: r.claims ?? [] });
        if (problem) rejectUpdate('Invalid', problem.message);
      },
    },
  );

  /** Status everywhere engineers look: search attribute and current details (the statement row has its own). */
  function setStatus(next: StatementRunStatus, details: string): void {
    if (next !== status) upsertSearchAttributes([{ key: PayflowStatus, value: next }]);
    status = next;
    setCurrentDetails(details);
  }

  function describeWait(): string {
    if (closed) {
      const pending = [...payments.values()].filter((p) => p.state === 'pending').length;
      const waits = [pending > 0 ? `${pending} payment${pending === 1 ? '' : 's'} still pending` : '', openTasks.size > 0 ? `${openTasks.size} task${openTasks.size === 1 ? '' : 's'} for staff` : ''].filter(Boolean);
      return `statement ${closed}${waits.length > 0 ? `; waiting for ${waits.join(' and ')}` : ''}`;
    }
    const parts = [`waiting for payment of ${formatCents(dueCents)}`];
    parts.push(remindersSent < input.reminderLimit
      ? `reminder ${remindersSent + 1} of ${input.reminderLimit} at ${iso(nextReminderAt)}`
      : `unpaid at ${iso(nextReminderAt)} unless paid`);
    if (deferredTexts.length > 0) parts.push(`a text held for the quiet hours until ${iso(deferredTexts[0]!.at)}`);
    return parts.join('; ');
  }

  // ── the run ──
  const ctx = await acts.loadStatementContext({ statementId: input.statementId });
  dueCents = ctx.due.dueCents;
  if (ctx.status !== 'open') {
    // Closed before its run began (e.g. a second run of a finished statement): nothing to send.
    closed = ctx.status;
    setStatus(ctx.status, `statement already ${ctx.status}`);
    await condition(allHandlersFinished);
    return { status: ctx.status, paidCents, dueCents, remindersSent };
  }

  /** Sends on every channel now, except a text in the quiet hours: that one waits for the next 08:00. */
  async function sendRound(kind: NotificationKind, sequence: number): Promise<void> {
    const now: NotificationChannel[] = ctx.channels.filter((c) => c !== 'text');
    if (ctx.channels.includes('text')) {
      const at = nextTextTime(new Date(Date.now()), ctx.timeZone).getTime();
      if (at <= Date.now()) now.push('text');
      else deferredTexts.push({ kind, sequence, at });
    }
    if (now.length > 0) await acts.sendStatementNotices({ statementId: input.statementId, kind, sequence, channels: now, publicBaseUrl: input.publicBaseUrl });
  }

  async function sendDeferredTexts(): Promise<void> {
    while (deferredTexts.length > 0 && deferredTexts[0]!.at <= Date.now()) {
      const t = deferredTexts.shift()!;
      await acts.sendStatementNotices({ statementId: input.statementId, kind: t.kind, sequence: t.sequence, channels: ['text'], publicBaseUrl: input.publicBaseUrl });
    }
  }

  async function refreshDue(): Promise<void> {
    dueCents = (await acts.loadStatementDue({ statementId: input.statementId })).dueCents;
  }

  async function close(outcome: 'paid' | 'unpaid'): Promise<void> {
    const result = await acts.closeStatement({ statementId: input.statementId, status: outcome, workflowId });
    closed = result.status === 'open' ? outcome : result.status;
    dueCents = result.dueCents;
    if (result.taskId) {
      unpaidTaskId = result.taskId;
      upsertSearchAttributes([{ key: PayflowManualReason, value: 'statement_unpaid' }]);
    }
    deferredTexts.length = 0; // nothing more goes out about a closed statement
    setStatus(closed, describeWait());
  }

  /** Records and applies every capture not yet recorded, in the order the payments were registered. */
  async function recordCaptures(): Promise<boolean> {
    let any = false;
    for (const p of payments.values()) {
      if (p.state !== 'captured' || !p.capture) continue;
      const c = p.capture;
      const payment = await acts.recordCapturedPayment({
        collectionId: p.collectionId, externalPaymentId: c.externalPaymentId, amountCents: c.amountCents, method: c.method, paidAt: c.paidAt,
      });
      const applied = await acts.applyStatementPayment({ statementId: input.statementId, collectionId: p.collectionId, paymentId: payment.paymentId, workflowId });
      if (applied.task) {
        openTasks.set(applied.task.taskId, { taskId: applied.task.taskId, amountCents: applied.task.amountCents, paymentId: payment.paymentId });
        upsertSearchAttributes([{ key: PayflowManualReason, value: applied.task.reason }]);
      }
      await acts.setCollectionStatus({ collectionId: p.collectionId, status: applied.task ? 'needs_attention' : 'applied' });
      // A receipt by the patient's channel, once per payment (runs started before the patch replay without it).
      if (patched(PAYMENT_RECEIPT_PATCH)) await acts.sendPaymentReceipt({ paymentId: payment.paymentId, publicBaseUrl: input.publicBaseUrl });
      p.state = 'recorded';
      paidCents += c.amountCents;
      any = true;
    }
    return any;
  }

  async function expirePayments(): Promise<void> {
    for (const p of payments.values()) {
      if (p.state !== 'pending' || p.expiresAt > Date.now()) continue;
      p.state = 'expired'; // from here the capture validator refuses it
      await acts.setCollectionStatus({ collectionId: p.collectionId, status: 'expired' });
    }
  }

  // 1. Send the statement.
  setStatus('sending', 'sending the statement');
  await sendRound('statement', 0);
  await acts.markStatementSent({ statementId: input.statementId });
  nextReminderAt = Date.now() + input.reminderIntervalMs;
  setStatus('awaiting_payment', describeWait());

  // 2. Wait for payments; remind on schedule; close paid or unpaid; then let pending payments and tasks settle.
  for (;;) {
    const seen = events;
    if (await recordCaptures()) {
      await refreshDue();
      if (!closed && dueCents === 0) await close('paid');
    }
    await expirePayments();
    if (!closed) {
      await sendDeferredTexts();
      if (Date.now() >= nextReminderAt) {
        await refreshDue();
        if (dueCents === 0) await close('paid');
        else if (remindersSent >= input.reminderLimit) await close('unpaid');
        else {
          remindersSent++;
          await sendRound('reminder', remindersSent);
          await acts.recordStatementReminder({ statementId: input.statementId, sequence: remindersSent });
          nextReminderAt += input.reminderIntervalMs;
        }
      }
    }
    const unsettled = [...payments.values()].filter((p) => p.state === 'pending' || p.state === 'captured');
    if (closed && unsettled.length === 0 && openTasks.size === 0) break;
    setStatus(closed ?? 'awaiting_payment', describeWait());

    const deadlines = [
      ...(closed ? [] : [nextReminderAt, ...deferredTexts.map((t) => t.at)]),
      ...unsettled.filter((p) => p.state === 'pending').map((p) => p.expiresAt),
    ];
    if (events !== seen) continue; // a message arrived while we worked: look again before sleeping
    if (deadlines.length === 0) {
      await condition(() => events !== seen);
      continue;
    }
    const wait = Math.min(...deadlines) - Date.now();
    if (wait > 0) await condition(() => events !== seen, wait);
  }

  await condition(allHandlersFinished);
  return { status: closed, paidCents, dueCents, remindersSent, ...(unpaidTaskId ? { unpaidTaskId } : {}) };
}
