/**
 * Staff resolve a manual task, in the ledger: the money moves (manual applications or a refund, whose EHR request goes
 * into the outbox) and the task closes in one transaction, or nothing happens. The same code for the waiting run's
 * `resolveTask` activity (activities/ledger.ts) and for a task no run waits for (app/work-queue.ts).
 */
import type { Db } from '../connection';
import type { Cents } from '../../domain/money';
import { LedgerRuleError, RowNotFound } from '../errors';
import { enqueueEhrRefundRequest } from './ehr-refund-requests';
import { applyToClaim, getManualTask, paymentState, recordRefund, resolveManualTask, type TaskResolution } from './ledger';

export interface ResolveTaskInput {
  taskId: string;
  resolution: TaskResolution;
  note: string;
  actor: string;
  applications?: { claimId: string; amountCents: Cents }[];
  paymentId?: string;
  refundCents?: Cents;
}

/** Claims in id order, so every transaction locks claims in the same order (after its payment): no deadlocks. */
export const byClaimId = <T extends { claimId: string }>(items: T[]): T[] =>
  [...items].sort((a, b) => (a.claimId < b.claimId ? -1 : a.claimId > b.claimId ? 1 : 0));

function checkResolveInput(input: ResolveTaskInput): void {
  if (input.resolution === 'applied') {
    const apps = input.applications ?? [];
    if (input.paymentId === undefined) throw new LedgerRuleError('Applying a task needs the payment to apply from.');
    if (apps.length === 0) throw new LedgerRuleError('Applying a task needs at least one claim.');
    if (new Set(apps.map((a) => a.claimId)).size !== apps.length) throw new LedgerRuleError('Each claim may appear only once.');
  } else if (input.resolution === 'refund') {
    if (input.paymentId === undefined) throw new LedgerRuleError('A refund needs the payment to refund from.');
    if (input.refundCents === undefined) throw new LedgerRuleError('A refund needs refundCents.');
  }
}

/**
 * `resolved: false` when someone else resolved it first. A retry of a resolution that already committed (same
 * resolution, actor and note) answers `resolved: true` again.
 */
export async function resolveTaskWithMoney(db: Db, input: ResolveTaskInput): Promise<{ resolved: boolean }> {
  checkResolveInput(input);
  return db.transaction(async (trx) => {
    // The conditional update first: it locks the task, so a competing resolver waits here, before any money moves.
    const { resolved } = await resolveManualTask(trx, { taskId: input.taskId, resolution: input.resolution, note: input.note, actor: input.actor });
    const task = await getManualTask(trx, input.taskId);
    if (!task) throw new RowNotFound('manual task');
    // Someone resolved it already. If it was this very resolution (a retry after a commit), the money moves below
    // find their rows by business key (and a different amount is a conflict), so the answer is the same again.
    const replay = !resolved && task.resolution === input.resolution && task.resolvedBy === input.actor && task.resolutionNote === input.note;
    if (!resolved && !replay) return { resolved: false };
    if (input.resolution === 'applied' || input.resolution === 'refund') {
      const paymentId = input.paymentId!;
      if (task.paymentId !== null && task.paymentId !== paymentId) throw new LedgerRuleError(`Task ${task.taskId} is not about payment ${paymentId}.`);
      if ((await paymentState(trx, paymentId)).patientId !== task.patientId) {
        throw new LedgerRuleError(`Payment ${paymentId} is not the task's patient's.`);
      }
    }
    if (input.resolution === 'applied') {
      for (const a of byClaimId(input.applications!)) {
        await applyToClaim(trx, {
          paymentId: input.paymentId!, claimId: a.claimId, amountCents: a.amountCents, kind: 'manual',
          businessKey: `task:${input.taskId}:claim:${a.claimId}:manual`, actor: input.actor,
        });
      }
    } else if (input.resolution === 'refund') {
      const { refundId } = await recordRefund(trx, {
        paymentId: input.paymentId!, amountCents: input.refundCents!, businessKey: `task:${input.taskId}:refund`, note: input.note,
        actor: input.actor,
      });
      // The EHR is asked to return the money by the ehrRefundRequest workflow (outbox row, same transaction).
      await enqueueEhrRefundRequest(trx, { refundId, taskId: input.taskId, actor: input.actor });
    }
    return { resolved: true };
  });
}
