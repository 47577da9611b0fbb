/**
 * Statements for staff (shared/domain.md, path 3), over JSON (app/statements.ts): generate a patient's statement for
 * this cycle (billing), run a batch for every patient of the practice due one (billing), read statements, and read the
 * notification outbox (what the local notifier sent). Generating starts the statement's workflow, which sends it.
 * Another practice's ids answer 404; errors are problem+json. The printable statement (HTML) is a page:
 * web/staff/statement-print.ts.
 */
import { Router } from 'express';
import type { z } from 'zod';
import {
  generateStatementFor, notificationsOf, runStatementBatch, statementFor, statementsOfPractice, type StatementDeps,
} from '../../app/statements';
import { emptyBody } from '../../contracts/operation';
import {
  generatedStatementSchema, notificationsQuery, notificationsSchema, statementBatchRunningSchema, statementBatchSchema, statementDetailSchema,
  statementListQuery, statementListSchema,
} from '../../contracts/statements';
import { validationFailed } from '../../lib/errors';
import { parseBody } from '../../lib/validate';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  throw validationFailed(result.error.issues.flatMap((i) => (i.code === 'unrecognized_keys'
    ? i.keys.map((k) => ({ field: k, reason: 'unknown query parameter' }))
    : [{ field: i.path.map(String).join('.') || 'query', reason: i.message }])));
}

export function statementRoutes(deps: StatementDeps): Router {
  const router = Router();

  router.post('/v1/patients/:patientId/statements', requireRole('billing'), async (req, res) => {
    const { created, statement } = await generateStatementFor(deps, staffOf(req), req.params.patientId, req.body);
    sendJson(res, created ? 201 : 200, generatedStatementSchema, statement);
  });

  router.post('/v1/statement-batches', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    parseBody(emptyBody, req.body);
    const outcome = await runStatementBatch(deps, staff);
    if ('running' in outcome) sendJson(res, 202, statementBatchRunningSchema, outcome);
    else sendJson(res, 200, statementBatchSchema, outcome);
  });

  router.get('/v1/statements', async (req, res) => {
    sendJson(res, 200, statementListSchema, await statementsOfPractice(deps, staffOf(req), parseQuery(statementListQuery, req.query)));
  });

  router.get('/v1/statements/:statementId', async (req, res) => {
    sendJson(res, 200, statementDetailSchema, await statementFor(deps, staffOf(req), req.params.statementId));
  });

  router.get('/v1/notifications', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    sendJson(res, 200, notificationsSchema, await notificationsOf(deps, staff, parseQuery(notificationsQuery, req.query)));
  });

  return router;
}
