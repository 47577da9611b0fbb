/** POST /v1/diagnostics/wiring-checks: runs the wiring-check workflow end to end and answers with its result (app/diagnostics.ts). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { runWiringCheck } from '../../app/diagnostics';

export function diagnosticsRoutes(deps: { temporal: Client; taskQueue: string }): Router {
  const router = Router();
  router.post('/v1/diagnostics/wiring-checks', async (_req, res) => {
    res.status(201).json(await runWiringCheck(deps));
  });
  return router;
}
