/**
 * The staff work queue, for the JSON API (api/routes/tasks.ts) and the staff pages (web/staff/routes.ts) alike: the
 * list's filter (`taskListFilter`) and the resolution's shape (`resolveBodySchema`), then list, detail, assign, and
 * resolve manual tasks (`resolveTask`).
 *
 * Resolving, exactly once:
 * - a task whose collection run waits for it (it has a collection and a workflow, and the run is open) is resolved by
 *   the run's `resolve` update. The API passes what the synchronous validator needs (the named claims' states and the
 *   payment's unapplied amount, read here); the validator applies domain/task-resolution.ts; the ledger activity
 *   re-checks everything under row locks. Two resolutions at once: the run admits one, the other is refused (409);
 * - a task no run waits for (an unpaid statement's follow-up, a claim_reversed task, or a task whose run has ended,
 *   e.g. terminated by an engineer) is resolved here, by the same ledger code and the same rules; its conditional
 *   update (`where status = 'open'`) lets exactly one resolution through.
 * A refund then goes to the EHR through the `ehrRefundRequest` workflow (outbox row written with the refund; app/refunds.ts).
 */
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { resolveBodySchema, taskListQuery as listQuery } from '../contracts/manual-tasks';
import type { Db } from '../db/connection';
import { getCollection, setCollectionStatus } from '../db/queries/collections';
import { ehrRefundRequestsOfTask } from '../db/queries/ehr-refund-requests';
import type { Staff } from '../db/queries/staff';
import { resolveTaskWithMoney } from '../db/queries/task-resolution';
import {
  auditTask, getTask, listTasks, openTaskCounts, resolutionClaims, setAssignee, taskDetail, unappliedCents,
  type QueueTask, type TaskDetail, type TaskListFilter, type TaskRow,
} from '../db/queries/tasks';
import type { ManualReason } from '../domain/application-rules';
import { creditAge, isManualReason, MANUAL_REASONS, type CreditAge } from '../domain/manual-tasks';
import { checkResolution, type ResolutionClaim, type ResolutionRequest, type ResolveAction } from '../domain/task-resolution';
import { AppError, conflict, notFound, validationFailed } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { parseBody, UUID } from '../lib/validate';
import { resolveUpdate, type ResolveInput } from '../workflows/collection-messages';
import { startRefundRequests } from './refunds';
import { refusalTypeOf, updateFailureToAppError } from './temporal-errors';

export interface WorkQueueDeps { db: Db; temporal: Client; taskQueue: string; log?: Logger }

export const canResolve = (staff: Staff) => staff.role === 'billing' || staff.role === 'admin';

// ---------------------------------------------------------------------------------------------------------------
// What callers send

// The resolution's shape and the list's query (contracts/manual-tasks.ts, with the API's description of them).
export { resolveBodySchema };

/** Query parameters → the list filter (reasons as `reason=a,b` or repeated; assignee `me`, `none` or a staff id). */
export function taskListFilter(query: unknown, staffId: string): TaskListFilter {
  const q = parseBody(listQuery, query);
  const reasons = (Array.isArray(q.reason) ? q.reason : q.reason ? [q.reason] : []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
  const unknown = reasons.filter((r) => !isManualReason(r));
  if (unknown.length > 0) throw validationFailed([{ field: 'reason', reason: `must be among ${MANUAL_REASONS.join(', ')}` }]);
  let assignee: string | null | undefined;
  if (q.assignee === 'me') assignee = staffId;
  else if (q.assignee === 'none') assignee = null;
  else if (q.assignee !== undefined && q.assignee !== '' && q.assignee !== 'any') {
    if (!UUID.test(q.assignee)) throw validationFailed([{ field: 'assignee', reason: 'must be me, none, any or a staff id' }]);
    assignee = q.assignee.toLowerCase();
  }
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && !after) throw validationFailed([{ field: 'cursor', reason: 'is not a cursor of this list' }]);
  if (q.minAgeDays !== undefined && q.maxAgeDays !== undefined && q.minAgeDays > q.maxAgeDays) {
    throw validationFailed([{ field: 'maxAgeDays', reason: 'must be at least minAgeDays' }]);
  }
  return {
    status: q.status, reasons: reasons as TaskListFilter['reasons'], limit: q.limit,
    ...(assignee !== undefined ? { assignee } : {}),
    ...(q.minAgeDays !== undefined ? { minAgeDays: q.minAgeDays } : {}),
    ...(q.maxAgeDays !== undefined ? { maxAgeDays: q.maxAgeDays } : {}),
    ...(after ? { after } : {}),
    ...(q.patientId ? { patientId: q.patientId } : {}),
    ...(q.claimId ? { claimId: q.claimId } : {}),
    ...(q.collectionId ? { collectionId: q.collectionId } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// List

export type QueueItem = Omit<QueueTask, 'cursor' | 'credit'> & { credit: CreditAge | null };

export interface QueuePage {
  tasks: QueueItem[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Open tasks of the practice per reason (all reasons, zeros included), whatever the filters. */
  countsByReason: Record<ManualReason, number>;
  openTotal: number;
}

export const encodeCursor = (c: { createdAt: string; id: string }) => Buffer.from(JSON.stringify([c.createdAt, c.id]), 'utf8').toString('base64url');

/**
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ` naming an instant that exists (years 1-9999): the shape alone lets `2026-13-45T99:…`
 * or 29 February 2026 through to PostgreSQL, which refuses them (a 500 before issue 13). Date.parse rolls nothing over
 * for this format; printing the parsed instant back must give the same text.
 */
export function isInstant(text: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/.exec(text);
  if (!m || text.startsWith('0000')) return false;
  const ms = Date.parse(`${m[1]}Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString() === `${m[1]}Z`;
}

/** The position a cursor names, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'string' || !isInstant(createdAt)) return undefined;
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

const queueItem = ({ cursor: _cursor, credit, ...t }: QueueTask): QueueItem => ({ ...t, credit: credit ? creditAge(credit.paymentDate, credit.ageDays) : null });

export async function listQueue(deps: WorkQueueDeps, staff: Staff, filter: TaskListFilter): Promise<QueuePage> {
  const [{ tasks, hasMore }, counts] = await Promise.all([listTasks(deps.db, staff.practiceId, filter), openTaskCounts(deps.db, staff.practiceId)]);
  const countsByReason = Object.fromEntries(MANUAL_REASONS.map((r) => [r, counts[r] ?? 0])) as Record<ManualReason, number>;
  const last = tasks[tasks.length - 1];
  return {
    tasks: tasks.map(queueItem),
    nextCursor: hasMore && last ? encodeCursor(last.cursor) : null,
    countsByReason,
    openTotal: Object.values(countsByReason).reduce((s, n) => s + n, 0),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Detail

export type ResolveRoute = { via: 'workflow'; workflowId: string } | { via: 'direct'; why: 'no_workflow' | 'run_ended' };

/** Who resolves this task: its waiting run (update), or the API itself. */
async function routeOf(deps: WorkQueueDeps, task: Pick<TaskRow, 'workflow_id' | 'collection_id'>): Promise<ResolveRoute> {
  if (!task.workflow_id || !task.collection_id) return { via: 'direct', why: 'no_workflow' };
  try {
    const description = await deps.temporal.workflow.getHandle(task.workflow_id).describe();
    return description.status.name === 'RUNNING' ? { via: 'workflow', workflowId: task.workflow_id } : { via: 'direct', why: 'run_ended' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { via: 'direct', why: 'run_ended' };
    throw err;
  }
}

export type TaskView = Omit<TaskDetail, 'task'> & {
  task: Omit<TaskDetail['task'], 'cursor' | 'credit'> & { credit: CreditAge | null };
  /** How a resolution will be carried out. */
  resolvesThrough: 'workflow' | 'direct';
  /** What the caller may do now. */
  allowedActions: ResolveAction[];
  canAssign: boolean;
};

/** The actions the rules allow for the money left, for a caller who may resolve. */
export const actionsFor = (leftCents: number): ResolveAction[] => (leftCents > 0 ? ['apply', 'credit', 'refund'] : ['close']);

export async function getTaskView(deps: WorkQueueDeps, staff: Staff, taskId: string): Promise<TaskView> {
  const detail = await taskDetail(deps.db, taskId, staff.practiceId);
  if (!detail) throw notFound('task');
  const { cursor: _cursor, credit, ...task } = detail.task;
  const open = task.status === 'open';
  const route = open ? await routeOf(deps, { workflow_id: task.workflowId, collection_id: task.collectionId }) : undefined;
  const left = detail.payment?.unappliedCents ?? 0;
  return {
    ...detail,
    task: { ...task, credit: credit ? creditAge(credit.paymentDate, credit.ageDays) : null },
    resolvesThrough: route?.via ?? (task.workflowId && task.collectionId ? 'workflow' : 'direct'),
    allowedActions: open && canResolve(staff) ? actionsFor(left) : [],
    canAssign: open && canResolve(staff),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Assign

export async function assignTask(deps: WorkQueueDeps, staff: Staff, taskId: string, to: 'me' | null): Promise<{ taskId: string; assignee: string | null; changed: boolean }> {
  const result = await setAssignee(deps.db, { taskId, practiceId: staff.practiceId, assignee: to === 'me' ? staff.id : null, actor: `staff:${staff.id}` });
  return { taskId, ...result };
}

// ---------------------------------------------------------------------------------------------------------------
// Resolve

export interface ResolveBody extends ResolutionRequest { action: ResolveAction }

export interface ResolveOutcome {
  resolved: true;
  taskId: string;
  /** Refunds only: the refunds whose EHR request was started. */
  refund?: { refundIds: string[]; ehrRequest: 'started' | 'pending' };
}

const RESOLUTION_OF: Record<ResolveAction, 'applied' | 'credit' | 'refund' | 'closed'> = { apply: 'applied', credit: 'credit', refund: 'refund', close: 'closed' };
const RESOLUTION_WORDS: Record<string, string> = { applied: 'applied to claims', credit: 'kept as credit', refund: 'refunded', closed: 'closed' };

const fingerprint = (staff: Staff, body: ResolveBody) =>
  createHash('sha256').update(JSON.stringify([staff.id, body.action, body.applications ?? [], body.refundCents ?? null, body.note])).digest('hex').slice(0, 32);

function formatWhen(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(at);
}

/** The 409 a person understands: who resolved it, when and how; or that someone is resolving it right now. */
async function resolvedConflict(db: Db, taskId: string, practiceId: string): Promise<AppError> {
  const detail = await taskDetail(db, taskId, practiceId);
  if (detail && detail.task.status === 'resolved' && detail.task.resolvedBy && detail.task.resolvedAt) {
    const how = RESOLUTION_WORDS[detail.task.resolution ?? ''] ?? detail.task.resolution ?? 'resolved';
    return conflict(`${detail.task.resolvedBy.name} already resolved this task (${how}) at ${formatWhen(new Date(detail.task.resolvedAt), detail.task.timeZone)}. Your resolution was not applied; nothing was changed.`);
  }
  return conflict('Someone else is resolving this task right now. Your resolution was not applied; nothing was changed. Reload the task in a moment to see what they did.');
}

/** A retry of a resolution this person already made (double submit): the same answer again. */
const sameResolution = (task: TaskRow, staff: Staff, body: ResolveBody) =>
  task.status === 'resolved' && task.resolved_by === `staff:${staff.id}` && task.resolution === RESOLUTION_OF[body.action] && task.resolution_note === body.note;

export async function resolveTask(deps: WorkQueueDeps, staff: Staff, taskId: string, body: ResolveBody): Promise<ResolveOutcome> {
  const task = await getTask(deps.db, taskId, staff.practiceId);
  if (!task) throw notFound('task');
  if (task.status !== 'open') {
    if (sameResolution(task, staff, body)) return finishResolution(deps, staff, task, body);
    throw await resolvedConflict(deps.db, task.id, staff.practiceId);
  }
  const actor = `staff:${staff.id}`;
  const claims: ResolutionClaim[] = body.action === 'apply' ? await resolutionClaims(deps.db, task, (body.applications ?? []).map((a) => a.claimId)) : [];
  const left = task.payment_id ? await unappliedCents(deps.db, task.payment_id) : 0;

  const route = await routeOf(deps, task);
  const action = body.action;
  if (route.via === 'workflow' && action === 'close') {
    const problem = checkResolution(body, { leftCents: left, claims });
    const message = problem?.message ?? 'A collection is waiting for a decision about this money: apply it, keep it as credit, or refund it.';
    throw new AppError(422, 'rule-violation', 'Not allowed', message, [{ field: problem?.field ?? 'action', reason: message }]);
  }
  if (route.via === 'workflow' && action !== 'close') {
    const input: ResolveInput = {
      taskId: task.id, action, note: body.note, actor, claims, unappliedCents: left,
      ...(body.action === 'apply' ? { applications: body.applications } : {}), ...(body.action === 'refund' ? { refundCents: body.refundCents } : {}),
    };
    try {
      // The same person sending the same resolution twice (a double click) is one update: Temporal deduplicates by id.
      await deps.temporal.workflow.getHandle(route.workflowId).executeUpdate(resolveUpdate, { updateId: `resolve-${task.id}-${fingerprint(staff, body)}`, args: [input] });
    } catch (err) {
      // The run does not hold this task (e.g. a task it did not open): no one waits for it, resolve it here.
      if (refusalTypeOf(err) === 'TaskNotHeld' && (await getTask(deps.db, task.id, staff.practiceId))?.status === 'open') {
        return resolveDirectly(deps, staff, task, body, { claims, left, why: 'no_workflow' });
      }
      const mapped = updateFailureToAppError(err, 'task');
      if (mapped instanceof AppError && mapped.status === 409) {
        const fresh = await getTask(deps.db, task.id, staff.practiceId);
        if (fresh && sameResolution(fresh, staff, body)) return finishResolution(deps, staff, fresh, body);
        throw await resolvedConflict(deps.db, task.id, staff.practiceId);
      }
      if (mapped instanceof AppError && mapped.status === 422) {
        const problem = checkResolution(body, { leftCents: left, claims });
        throw new AppError(422, 'rule-violation', 'Not allowed', mapped.message, problem && problem.message === mapped.message ? [{ field: problem.field, reason: problem.message }] : undefined);
      }
      throw mapped;
    }
    return finishResolution(deps, staff, task, body);
  }
  return resolveDirectly(deps, staff, task, body, { claims, left, why: route.via === 'direct' ? route.why : 'no_workflow' });
}

async function resolveDirectly(
  deps: WorkQueueDeps, staff: Staff, task: TaskRow, body: ResolveBody, ctx: { claims: ResolutionClaim[]; left: number; why: 'no_workflow' | 'run_ended' },
): Promise<ResolveOutcome> {
  const problem = checkResolution(body, { leftCents: ctx.left, claims: ctx.claims });
  if (problem) throw new AppError(422, 'rule-violation', 'Not allowed', problem.message, [{ field: problem.field, reason: problem.message }]);
  const actor = `staff:${staff.id}`;
  const outcome = await resolveTaskWithMoney(deps.db, {
    taskId: task.id, resolution: RESOLUTION_OF[body.action], note: body.note, actor,
    ...(body.action === 'apply' ? { applications: body.applications } : {}),
    ...(body.action === 'refund' ? { refundCents: body.refundCents } : {}),
    ...(task.payment_id ? { paymentId: task.payment_id } : {}),
  });
  if (!outcome.resolved) {
    const fresh = await getTask(deps.db, task.id, staff.practiceId);
    if (fresh && sameResolution(fresh, staff, body)) return finishResolution(deps, staff, fresh, body);
    throw await resolvedConflict(deps.db, task.id, staff.practiceId);
  }
  await auditTask(deps.db, {
    practiceId: staff.practiceId, taskId: task.id, actor, action: 'task.resolved_without_workflow',
    before: { taskId: task.id, status: 'open', workflowId: task.workflow_id }, after: { taskId: task.id, status: 'resolved', why: ctx.why },
  });
  // A collection whose run ended while it waited for staff: its projection says what staff did.
  if (task.collection_id) {
    const row = await getCollection(deps.db, task.collection_id);
    if (row?.status === 'needs_attention') await setCollectionStatus(deps.db, { collectionId: task.collection_id, status: 'resolved', actor });
  }
  return finishResolution(deps, staff, task, body);
}

/** After a resolution: a refund's EHR request is started (durably, by its own workflow). */
async function finishResolution(deps: WorkQueueDeps, _staff: Staff, task: TaskRow, body: ResolveBody): Promise<ResolveOutcome> {
  const result: ResolveOutcome = { resolved: true, taskId: task.id };
  if (body.action !== 'refund') return result;
  const requests = await ehrRefundRequestsOfTask(deps.db, task.id);
  const started = await startRefundRequests(deps, requests.filter((r) => r.status === 'pending').map((r) => r.refundId));
  return { ...result, refund: { refundIds: requests.map((r) => r.refundId), ehrRequest: started ? 'started' : 'pending' } };
}
