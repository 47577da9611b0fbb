/** Liveness (process up) and readiness (PostgreSQL and Temporal reachable; not draining). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { ping, type Db } from '../../db/connection';
import { livenessSchema, readinessSchema } from '../../contracts/health';
import { sendProblem } from '../../http/problem';
import { sendJson } from '../../http/send-json';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function check(fn: () => Promise<unknown>): Promise<'ok' | 'unreachable'> {
  try {
    await withTimeout(fn(), CHECK_TIMEOUT_MS);
    return 'ok';
  } catch {
    return 'unreachable';
  }
}

export function healthRoutes(deps: { db: Db; temporal: Client; isDraining: () => boolean }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    sendJson(res, 200, livenessSchema, { status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const [postgres, temporal] = await Promise.all([
      check(() => ping(deps.db)),
      // Aborted (not just timed out on our side) so the SDK stops retrying the call once we have given up on it.
      check(() => deps.temporal.connection.withAbortSignal(AbortSignal.timeout(CHECK_TIMEOUT_MS), () => deps.temporal.connection.workflowService.getSystemInfo({}))),
    ]);
    const checks = { postgres, temporal, draining: deps.isDraining() };
    if (postgres === 'ok' && temporal === 'ok' && !checks.draining) {
      sendJson(res, 200, readinessSchema, { status: 'ready', checks });
      return;
    }
    sendProblem(res, { type: '/problems/not-ready', title: 'Not ready', status: 503, detail: 'A dependency is unreachable or the process is shutting down.', instance: req.path, checks });
  });
  return router;
}
