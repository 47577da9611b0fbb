/**
 * Refunds staff decided on (a task resolved as `refund`): each goes to the EHR through its own `ehrRefundRequest` run
 * (workflows/starts/ehr-refund.ts), started right after the resolution that wrote the refund and its outbox row
 * (app/work-queue.ts), and again from the task's *send again* button when Temporal was unreachable then.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { ehrRefundRequestsOfTask } from '../db/queries/ehr-refund-requests';
import type { Staff } from '../db/queries/staff';
import { getTask } from '../db/queries/tasks';
import { notFound } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { ehrRefundStart } from '../workflows/starts/ehr-refund';

export interface RefundDeps { db: Db; temporal: Client; taskQueue: string; log?: Logger }

/** Starts (or finds) the delivery of each refund to the EHR. False when Temporal could not be reached (retry later). */
export async function startRefundRequests(deps: Omit<RefundDeps, 'db'>, refundIds: string[]): Promise<boolean> {
  let ok = true;
  for (const refundId of refundIds) {
    try {
      const start = ehrRefundStart(refundId, deps.taskQueue);
      await deps.temporal.workflow.start(start.workflow, start.options);
    } catch (err) {
      // Already completed (sent), or Temporal unreachable: the outbox row stays pending and can be sent again.
      if ((err as Error)?.name !== 'WorkflowExecutionAlreadyStartedError') {
        ok = false;
        deps.log?.warn({ refundId, error: (err as Error)?.name }, 'EHR refund request not started');
      }
    }
  }
  return ok;
}

/** Sends a task's pending refund requests to the EHR again (e.g. after an outage when the resolution was made). */
export async function resendRefundRequests(deps: RefundDeps, staff: Staff, taskId: string): Promise<{ taskId: string; pending: string[]; started: boolean }> {
  const task = await getTask(deps.db, taskId, staff.practiceId);
  if (!task) throw notFound('task');
  const pending = (await ehrRefundRequestsOfTask(deps.db, task.id)).filter((r) => r.status === 'pending').map((r) => r.refundId);
  return { taskId: task.id, pending, started: await startRefundRequests(deps, pending) };
}
