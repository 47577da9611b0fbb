/** POST /v1/diagnostics/wiring-checks: runs the wiring-check workflow end to end and answers with its result (app/diagnostics.ts). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { runWiringCheck } from '../../app/diagnostics';
import { wiringCheckSchema } from '../../contracts/diagnostics';
import { sendJson } from '../../http/send-json';

export function diagnosticsRoutes(deps: { temporal: Client; taskQueue: string }): Router {
  const router = Router();
  router.post('/v1/diagnostics/wiring-checks', async (_req, res) => {
    sendJson(res, 201, wiringCheckSchema, await runWiringCheck(deps));
  });
  return router;
}
