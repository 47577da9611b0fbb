/** POST /v1/diagnostics/wiring-checks: runs the wiring-check workflow end to end and answers with its result. */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { wiringCheck, wiringCheckWorkflowId } from '../../workflows/wiring-check';

export function diagnosticsRoutes(deps: { temporal: Client; taskQueue: string }): Router {
  const router = Router();
  router.post('/v1/diagnostics/wiring-checks', async (_req, res) => {
    const workflowId = wiringCheckWorkflowId(randomUUID());
    const result = await deps.temporal.workflow.execute(wiringCheck, {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ requestedBy: 'api' }],
      workflowExecutionTimeout: '1 minute',
    });
    res.status(201).json(result);
  });
  return router;
}
