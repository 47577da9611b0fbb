/**
 * The staff work queue over JSON (the logic is in ../work-queue.ts, shared with the staff pages):
 *   GET  /v1/manual-tasks                          list: filters (also by patient, claim, collection), oldest first, keyset
 *                                                  pages, counts by reason (any staff role)
 *   GET  /v1/manual-tasks/{taskId}                 the payment, the visit, the patient's open patient-owned claims (any staff role)
 *   POST /v1/manual-tasks/{taskId}/assign          to me (billing)
 *   POST /v1/manual-tasks/{taskId}/unassign        (billing)
 *   POST /v1/manual-tasks/{taskId}/resolve         apply | credit | refund | close, always with a note (billing)
 *   POST /v1/manual-tasks/{taskId}/refund-request  send a refund's pending EHR request again (billing)
 * Another practice's task answers 404; admin may do everything.
 */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import type { TaskListFilter } from '../../db/queries/tasks';
import { MAX_PAYMENT_CENTS } from '../../domain/money';
import { MAX_APPLICATIONS, MAX_NOTE_LENGTH } from '../../domain/task-resolution';
import { notFound, validationFailed } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { requireRole, staffOf } from '../auth';
import { parseBody, UUID } from '../validate';
import {
  assignTask, decodeCursor, getTaskView, listQueue, MANUAL_REASONS, resendRefundRequests, resolveTask, type ResolveBody,
} from '../work-queue';

const cents = z.number({ error: 'must be a number of cents' }).int({ error: 'must be a whole number of cents' })
  .min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS, { error: `must be at most ${MAX_PAYMENT_CENTS} cents` });
const note = z.string({ error: 'a note is required' }).trim().min(1, { error: 'a note is required' }).max(MAX_NOTE_LENGTH, { error: `must be at most ${MAX_NOTE_LENGTH} characters` });
export const resolveBodySchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('apply'),
    applications: z.array(z.strictObject({ claimId: z.uuid({ error: 'must be a claim id' }).transform((s) => s.toLowerCase()), amountCents: cents }))
      .min(1, { error: 'choose at least one claim' }).max(MAX_APPLICATIONS),
    note,
  }),
  z.strictObject({ action: z.literal('credit'), note }),
  z.strictObject({ action: z.literal('refund'), refundCents: cents, note }),
  z.strictObject({ action: z.literal('close'), note }),
], { error: 'action must be apply, credit, refund or close' });

const ageDays = z.coerce.number({ error: 'must be a whole number of days' }).int({ error: 'must be a whole number of days' }).min(0).max(36500);
const listQuery = z.strictObject({
  status: z.enum(['open', 'resolved', 'all'], { error: 'must be open, resolved or all' }).default('open'),
  reason: z.union([z.string(), z.array(z.string())]).optional(),
  assignee: z.string().optional(),
  minAgeDays: ageDays.optional(),
  maxAgeDays: ageDays.optional(),
  limit: z.coerce.number({ error: 'must be 1-100' }).int({ error: 'must be 1-100' }).min(1, { error: 'must be 1-100' }).max(100, { error: 'must be 1-100' }).default(25),
  cursor: z.string().max(200).optional(),
  patientId: z.uuid({ error: 'must be a patient id' }).transform((v) => v.toLowerCase()).optional(),
  claimId: z.uuid({ error: 'must be a claim id' }).transform((v) => v.toLowerCase()).optional(),
  collectionId: z.uuid({ error: 'must be a collection id' }).transform((v) => v.toLowerCase()).optional(),
});

/** Query parameters → the list filter (reasons as `reason=a,b` or repeated; assignee `me`, `none` or a staff id). */
export function taskListFilter(query: unknown, staffId: string): TaskListFilter {
  const q = parseBody(listQuery, query);
  const reasons = (Array.isArray(q.reason) ? q.reason : q.reason ? [q.reason] : []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
  const unknown = reasons.filter((r) => !(MANUAL_REASONS as string[]).includes(r));
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

const taskIdOf = (value: unknown): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound('task');
  return value.toLowerCase();
};

export function taskRoutes(deps: { db: Db; temporal: Client; taskQueue: string; log?: Logger }): Router {
  const router = Router();

  router.get('/v1/manual-tasks', async (req, res) => {
    const staff = staffOf(req);
    res.json(await listQueue(deps, staff, taskListFilter(req.query, staff.id)));
  });

  router.get('/v1/manual-tasks/:taskId', async (req, res) => {
    res.json(await getTaskView(deps, staffOf(req), taskIdOf(req.params.taskId)));
  });

  router.post('/v1/manual-tasks/:taskId/assign', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const taskId = taskIdOf(req.params.taskId);
    parseBody(z.strictObject({}), req.body);
    res.json(await assignTask(deps, staff, taskId, 'me'));
  });

  router.post('/v1/manual-tasks/:taskId/unassign', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const taskId = taskIdOf(req.params.taskId);
    parseBody(z.strictObject({}), req.body);
    res.json(await assignTask(deps, staff, taskId, null));
  });

  router.post('/v1/manual-tasks/:taskId/resolve', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const taskId = taskIdOf(req.params.taskId);
    const body = parseBody(resolveBodySchema, req.body) as ResolveBody;
    res.json(await resolveTask(deps, staff, taskId, body));
  });

  router.post('/v1/manual-tasks/:taskId/refund-request', requireRole('billing'), async (req, res) => {
    res.json(await resendRefundRequests(deps, staffOf(req), taskIdOf(req.params.taskId)));
  });

  return router;
}
