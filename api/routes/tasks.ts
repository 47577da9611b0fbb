/** Minimal manual-task resolution (the staff work queue comes later): the resolution goes to the waiting workflow
 *  as an update whose validator refuses what the rules forbid; two resolutions at once → one wins, one gets 409. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { getCollection } from '../../db/queries/collections';
import { getTask } from '../../db/queries/tasks';
import { MAX_PAYMENT_CENTS } from '../../domain/money';
import { conflict, notFound } from '../../lib/errors';
import { resolveUpdate } from '../../workflows/collection-messages';
import { requireRole, staffOf } from '../auth';
import { updateFailureToAppError } from '../temporal-errors';
import { parseBody, UUID } from '../validate';

const cents = z.number().int({ error: 'must be a whole number of cents' }).min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS);
const resolveBody = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('apply'),
    applications: z.array(z.strictObject({ claimId: z.uuid({ error: 'must be a claim id' }), amountCents: cents })).min(1).max(50),
    note: z.string().trim().min(1, { error: 'a note is required' }).max(2000),
  }),
  z.strictObject({ action: z.literal('credit'), note: z.string().trim().min(1, { error: 'a note is required' }).max(2000) }),
  z.strictObject({ action: z.literal('refund'), refundCents: cents, note: z.string().trim().min(1, { error: 'a note is required' }).max(2000) }),
], { error: 'action must be apply, credit or refund' });

export function taskRoutes(deps: { db: Db; temporal: Client }): Router {
  const router = Router();
  router.post('/v1/manual-tasks/:taskId/resolve', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const taskId = req.params.taskId;
    const task = typeof taskId === 'string' && UUID.test(taskId) ? await getTask(deps.db, taskId, staff.practiceId) : undefined;
    if (!task) throw notFound('task');
    const body = parseBody(resolveBody, req.body);
    if (task.status !== 'open') throw conflict('This task was already resolved.');
    const collection = task.collection_id ? await getCollection(deps.db, task.collection_id) : undefined;
    if (!collection) throw conflict('This task has no collection waiting for it; resolve it in the work queue.');
    const result = await deps.temporal.workflow.getHandle(collection.workflow_id)
      .executeUpdate(resolveUpdate, { args: [{ taskId: task.id, ...body, actor: `staff:${staff.id}` }] })
      .catch((err: unknown) => {
        throw updateFailureToAppError(err, 'task');
      });
    res.json(result);
  });
  return router;
}
