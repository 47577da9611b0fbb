/**
 * What runs beside the worker and keeps runs in step with the database (docs/decisions.md, "Reliability"): the outbox
 * relay (messages that database changes left for runs) and the reconciler of collections left `starting`.
 * Started by worker/main.ts and by the test harness's worker.
 */
import type { Client } from '@temporalio/client';
import type { CollectionWindows } from '../workflows/starts/collection';
import type { Db } from '../db/connection';
import type { Logger } from '../lib/logger';
import { startOutboxRelay, type OutboxRelay } from './outbox-relay';
import { startStartingReconciler } from './starting-reconciler';

export interface WorkerLoopsOptions {
  db: Db;
  /** For the relay's LISTEN connection; polling only without it. */
  databaseUrl?: string;
  client: Client;
  taskQueue: string;
  windows: CollectionWindows;
  log: Logger;
  /** RECONCILE_STARTING_AFTER. */
  reconcileStartingAfterMs: number;
  /** OUTBOX_POLL_INTERVAL. */
  outboxPollIntervalMs?: number;
}

export interface WorkerLoops {
  relay: OutboxRelay;
  stop(): Promise<void>;
}

export function startWorkerLoops(o: WorkerLoopsOptions): WorkerLoops {
  const relay = startOutboxRelay({ db: o.db, databaseUrl: o.databaseUrl, client: o.client, taskQueue: o.taskQueue, log: o.log, pollIntervalMs: o.outboxPollIntervalMs });
  const reconciler = startStartingReconciler({ db: o.db, client: o.client, taskQueue: o.taskQueue, windows: o.windows, log: o.log, afterMs: o.reconcileStartingAfterMs });
  return {
    relay,
    async stop() {
      await Promise.all([relay.stop(), reconciler.stop()]);
    },
  };
}
