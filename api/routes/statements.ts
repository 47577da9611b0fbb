/**
 * Statements for staff (shared/domain.md, path 3), over JSON (app/statements.ts): generate a patient's statement for
 * this cycle (billing), run a batch for every patient of the practice due one (billing), read statements, and read the
 * notification outbox (what the local notifier sent). Generating starts the statement's workflow, which sends it.
 * Another practice's ids answer 404; errors are problem+json. The printable statement (HTML) is a page:
 * web/staff/statement-print.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import {
  generateStatementFor, notificationsOf, runStatementBatch, statementFor, statementsOfPractice, type StatementDeps,
} from '../../app/statements';
import { validationFailed } from '../../lib/errors';
import { parseBody } from '../../lib/validate';
import { requireRole, staffOf } from '../../http/auth';

const emptyBody = z.strictObject({});
const listQuery = z.strictObject({
  status: z.enum(['open', 'paid', 'unpaid'], { error: 'must be open, paid or unpaid' }).optional(),
  patientId: z.uuid({ error: 'must be a patient id' }).optional(),
});
const outboxQuery = z.strictObject({
  statementId: z.uuid({ error: 'must be a statement id' }).optional(),
  limit: z.coerce.number({ error: 'must be a number from 1 to 500' }).int({ error: 'must be a number from 1 to 500' })
    .min(1, { error: 'must be a number from 1 to 500' }).max(500, { error: 'must be a number from 1 to 500' }).optional(),
});

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
    res.status(created ? 201 : 200).json(statement);
  });

  router.post('/v1/statement-batches', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    parseBody(emptyBody, req.body);
    const outcome = await runStatementBatch(deps, staff);
    if ('running' in outcome) res.status(202);
    res.json(outcome);
  });

  router.get('/v1/statements', async (req, res) => {
    res.json(await statementsOfPractice(deps, staffOf(req), parseQuery(listQuery, req.query)));
  });

  router.get('/v1/statements/:statementId', async (req, res) => {
    res.json(await statementFor(deps, staffOf(req), req.params.statementId));
  });

  router.get('/v1/notifications', requireRole('billing'), async (req, res) => {
    const staff = staffOf(req);
    res.json(await notificationsOf(deps, staff, parseQuery(outboxQuery, req.query)));
  });

  return router;
}
