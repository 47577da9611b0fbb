/**
 * The outbox relay (docs/decisions.md, "Reliability"): delivers the messages that database changes left for workflow
 * runs (`run_messages`, db/queries/run-messages.ts) to Temporal, until each is delivered or its run is gone.
 *
 * It runs beside the worker (worker/main.ts): a message is only useful to a run that a worker can advance. It wakes on
 * PostgreSQL NOTIFY (sent when the enqueuing transaction commits) and polls as a fallback, so it survives lost
 * notifications and its own restarts, Temporal's and PostgreSQL's. Several relays (one per worker) share the work
 * (SKIP LOCKED). Delivery is at least once; receivers deduplicate by event id.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../db/connection';
import {
  claimDueRunMessages, listenForRunMessages, markRunMessageDelivered, markRunMessageFailed, type RunMessage,
} from '../db/queries/run-messages';
import { safeError, type Logger } from '../lib/logger';
import { cardChargeStopSignal, type CardChargeInput } from '../workflows/card-on-file-charge';
import { responsibilityChangedSignal, type ResponsibilityChange } from '../workflows/collection-messages';
import { planChangedSignal, type PlanChanged } from '../workflows/payment-plan';
import { cardChargeStart } from '../workflows/starts/card-charge';
import { creditNoticeStart } from '../workflows/starts/credit-notice';
import { notificationFallbackStart } from '../workflows/starts/notification-fallback';
import { paymentPlanStart } from '../workflows/starts/payment-plan';
import type { CreditNoticeInput } from '../workflows/credit-notice';

/**
 * Starts a run by its start options (they say whether a running one is kept, `USE_EXISTING`, and whether a finished one
 * may run again); a run its reuse policy refuses to start again is delivered, not an error: it already did its work.
 */
async function startRun<W extends Workflow>(client: Client, start: { workflow: W; options: WorkflowStartOptions<W> }): Promise<void> {
  await client.workflow.start(start.workflow, start.options).catch((err: unknown) => {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  });
}

/** How each message kind reaches its run. A message name the relay does not know is an error kept in the outbox. */
const deliverers: Record<string, (client: Client, m: RunMessage, taskQueue: string) => Promise<void>> = {
  responsibilityChanged: (client, m) => client.workflow.getHandle(m.workflow_id).signal(responsibilityChangedSignal, m.payload as ResponsibilityChange),
  // A claim moved to a patient with a card on file: its charge run starts (or the one already waiting is kept).
  startCardCharge: (client, m, taskQueue) => startRun(client, cardChargeStart(m.payload as CardChargeInput, taskQueue)),
  // Credits went onto a new balance: the patient is told (once per claim version: a finished notice is not started again).
  startCreditNotice: (client, m, taskQueue) => startRun(client, creditNoticeStart(m.payload as CreditNoticeInput, taskQueue)),
  // A payment plan was written: its run starts (kept if the API started it already; a finished plan is not run again).
  startPaymentPlan: (client, m, taskQueue) => startRun(client, paymentPlanStart(m.payload as Parameters<typeof paymentPlanStart>[0], taskQueue)),
  // A text or email reported failed (its webhook's transaction): its postal fallback runs once (workflows/notification-fallback.ts).
  startNotificationFallback: (client, m, taskQueue) => startRun(client, notificationFallbackStart((m.payload as { notificationId: string }).notificationId, taskQueue)),
  // The patient objected (the notice's link): the waiting charge run wakes and finds the objection in the database. (A
  // revocation sends nothing: the charge re-reads the authorisation under its lock and makes no charge.)
  stopCardCharge: (client, m) => client.workflow.getHandle(m.workflow_id).signal(cardChargeStopSignal),
  // A new charge joined the patient's payment plan (join_plan): its run reads the plan again before the next charge.
  planChanged: (client, m) => client.workflow.getHandle(m.workflow_id).signal(planChangedSignal, m.payload as PlanChanged),
};

export interface OutboxRelayOptions {
  db: Db;
  /** For LISTEN (a dedicated connection); without it the relay only polls. */
  databaseUrl?: string;
  client: Client;
  /** Where runs the relay starts are scheduled (a card-on-file charge). */
  taskQueue: string;
  log: Logger;
  /** Fallback poll (and retry granularity). */
  pollIntervalMs?: number;
  /** How long a claimed message is ours before another relay may take it (our process may die mid-delivery). */
  leaseMs?: number;
  /** Each Temporal call's deadline: an outage must not hold the batch. */
  callTimeoutMs?: number;
}

export interface OutboxRelay {
  /** Resolves once the running pass has finished and the listener is closed. */
  stop(): Promise<void>;
  /** Delivers what is due now (tests, and the NOTIFY handler). */
  drain(): Promise<void>;
}

const BATCH = 50;
/** Backoff after a failed attempt: 1 s, 2 s, 4 s … at most a minute. */
export const retryDelayMs = (attempts: number) => Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));

export function startOutboxRelay(o: OutboxRelayOptions): OutboxRelay {
  const pollMs = o.pollIntervalMs ?? 1000;
  const leaseMs = o.leaseMs ?? 30_000;
  const callTimeoutMs = o.callTimeoutMs ?? 5000;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let listener: { close(): Promise<void> } | undefined;
  let reconnect: NodeJS.Timeout | undefined;

  async function deliver(m: RunMessage): Promise<void> {
    const send = deliverers[m.message];
    try {
      if (!send) throw new TypeError(`unknown message ${m.message}`);
      await o.client.withDeadline(Date.now() + callTimeoutMs, () => send(o.client, m, o.taskQueue));
      await markRunMessageDelivered(o.db, m.id, 'delivered');
    } catch (err) {
      // The run has finished: it needs no news (the database holds the truth for whoever reads it next).
      if (err instanceof WorkflowNotFoundError) return markRunMessageDelivered(o.db, m.id, 'run_closed');
      const error = safeError(err);
      o.log.warn({ messageId: m.id, workflowId: m.workflow_id, attempts: m.attempts, error }, 'run message not delivered; will retry');
      await markRunMessageFailed(o.db, m.id, error.type ?? 'Error', retryDelayMs(m.attempts));
    }
  }

  async function pass(): Promise<void> {
    for (;;) {
      const due = await claimDueRunMessages(o.db, BATCH, leaseMs);
      // One run's messages in order; different runs' at once.
      const byRun = new Map<string, RunMessage[]>();
      for (const m of due) byRun.set(m.workflow_id, [...(byRun.get(m.workflow_id) ?? []), m]);
      await Promise.all([...byRun.values()].map(async (messages) => {
        for (const m of messages) await deliver(m);
      }));
      if (due.length < BATCH || stopped) return;
    }
  }

  /** One pass at a time; a wake-up during a pass runs one more pass after it. */
  function drain(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (err) {
          // PostgreSQL unreachable: the next poll tries again.
          o.log.warn({ error: safeError(err) }, 'outbox relay pass failed');
        }
      } while (again && !stopped);
    })().finally(() => (running = undefined));
    return running;
  }

  async function listen(): Promise<void> {
    if (!o.databaseUrl || stopped) return;
    try {
      listener = await listenForRunMessages(o.databaseUrl, () => void drain(), () => {
        const lost = listener;
        listener = undefined;
        void lost?.close();
        scheduleReconnect();
      });
    } catch {
      scheduleReconnect();
    }
  }
  function scheduleReconnect() {
    if (stopped || reconnect) return;
    reconnect = setTimeout(() => {
      reconnect = undefined;
      void listen().then(() => drain());
    }, 2000);
  }

  const poll = setInterval(() => void drain(), pollMs);
  void listen().then(() => drain());

  return {
    drain,
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(reconnect);
      await running;
      await listener?.close();
    },
  };
}
