/**
 * Makes sure every collection left `starting` has its run. Collect Now writes the collection row, then starts its
 * workflow; a process killed in between, or Temporal down at that moment (the caller got 503), leaves a row without a
 * run. A retry with the same Idempotency-Key starts it; when nobody retries, this does, after `afterMs`, with the same
 * start options (workflows/starts/collection.ts). A run that exists already is left alone (USE_EXISTING); one that closed
 * while its row still says `starting` (an engineer terminated it) is not started again: it is logged for a person.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { collectionStart, type CollectionWindows } from '../workflows/starts/collection';
import type { Db } from '../db/connection';
import { markStartChecked, startingCollectionsToCheck } from '../db/queries/collections';
import { safeError, type Logger } from '../lib/logger';

export interface StartingReconcilerOptions {
  db: Db;
  client: Client;
  taskQueue: string;
  windows: CollectionWindows;
  log: Logger;
  /** How old a `starting` row must be before it is checked (and how often it is checked again). */
  afterMs: number;
}

const BATCH = 50;

/** One sweep: returns how many collections it checked. */
export async function reconcileStartingCollections(o: StartingReconcilerOptions): Promise<number> {
  let checked = 0;
  for (const row of await startingCollectionsToCheck(o.db, o.afterMs, BATCH)) {
    const { workflow, options } = collectionStart(row, o.windows, row.time_zone, o.taskQueue);
    try {
      await o.client.withDeadline(Date.now() + 5000, () => o.client.workflow.start(workflow, { ...options, workflowIdReusePolicy: 'REJECT_DUPLICATE' }));
      o.log.info({ collectionId: row.id, workflowId: row.workflow_id }, 'made sure a collection left starting has its run');
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // Temporal down: the next sweep tries again
      o.log.error({ collectionId: row.id, workflowId: row.workflow_id }, 'collection still starting but its run has closed: check it in the Temporal UI');
    }
    await markStartChecked(o.db, row.id);
    checked++;
  }
  return checked;
}

/** Sweeps every `intervalMs` until stopped. */
export function startStartingReconciler(o: StartingReconcilerOptions & { intervalMs?: number }): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const sweep = () => {
    running ??= reconcileStartingCollections(o)
      .catch((err: unknown) => o.log.warn({ error: safeError(err) }, 'starting-collections sweep failed; will retry'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(sweep, o.intervalMs ?? Math.max(1000, Math.min(o.afterMs, 30_000)));
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
