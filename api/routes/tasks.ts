/**
 * The staff work queue over JSON (the logic is in app/work-queue.ts and app/refunds.ts, shared with the staff pages):
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
import { idempotency } from '../idempotency';
import {
  assignTask, getTaskView, listQueue, resolveTask, taskListFilter, type ResolveBody, type WorkQueueDeps,
} from '../../app/work-queue';
import { resendRefundRequests } from '../../app/refunds';
import {
  assignResultSchema, refundRequestResultSchema, resolveBodySchema, resolveResultSchema, taskPageSchema, taskViewSchema,
} from '../../contracts/manual-tasks';
import { emptyBody } from '../../contracts/operation';
import { notFound } from '../../lib/errors';
import { parseBody, UUID } from '../../lib/validate';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';

const taskIdOf = (value: unknown): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound('task');
  return value.toLowerCase();
};

export function taskRoutes(deps: WorkQueueDeps): Router {
  const router = Router();

  router.get('/v1/manual-tasks', async (req, res) => {
    const staff = staffOf(req);
    sendJson(res, 200, taskPageSchema, await listQueue(deps, staff, taskListFilter(req.query, staff.id)));
  });

  router.get('/v1/manual-tasks/:taskId', async (req, res) => {
    sendJson(res, 200, taskViewSchema, await getTaskView(deps, staffOf(req), taskIdOf(req.params.taskId)));
  });

  router.post('/v1/manual-tasks/:taskId/assign', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const taskId = taskIdOf(req.params.taskId);
    parseBody(emptyBody, req.body);
    sendJson(res, 200, assignResultSchema, await assignTask(deps, staff, taskId, 'me'));
  });

  router.post('/v1/manual-tasks/:taskId/unassign', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    const taskId = taskIdOf(req.params.taskId);
    parseBody(emptyBody, req.body);
    sendJson(res, 200, assignResultSchema, await assignTask(deps, staff, taskId, null));
  });

  router.post('/v1/manual-tasks/:taskId/resolve', requireRole('billing'), idempotency(deps.db), async (req, res) => {
    const staff = staffOf(req);
    const taskId = taskIdOf(req.params.taskId);
    const body = parseBody(resolveBodySchema, req.body) as ResolveBody;
    sendJson(res, 200, resolveResultSchema, await resolveTask(deps, staff, taskId, body));
  });

  router.post('/v1/manual-tasks/:taskId/refund-request', requireRole('billing'), async (req, res) => {
    sendJson(res, 200, refundRequestResultSchema, await resendRefundRequests(deps, staffOf(req), taskIdOf(req.params.taskId)));
  });

  return router;
}
