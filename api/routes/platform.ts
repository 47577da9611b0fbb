/** The platform operator's routes: GET/POST /platform/practices (app/practices.ts), behind the operator's token. */
import { Router } from 'express';
import type { Db } from '../../db/connection';
import { onboardPractice, practicesOfPlatform } from '../../app/practices';
import { newPracticeSchema, onboardedSchema, practiceListSchema } from '../../contracts/platform';
import { parseBody } from '../../lib/validate';
import { authenticateOperator, operatorOf } from '../../http/operator-auth';
import type { CredentialGuard } from '../../http/credential-limits';
import { sendJson } from '../../http/send-json';

export function platformRoutes(deps: { db: Db; idpSecretKey?: string; operatorTokens: readonly string[]; credentials?: CredentialGuard }): Router {
  const router = Router();
  router.use('/platform', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  }, authenticateOperator(deps.operatorTokens, deps.credentials));
  router.get('/platform/practices', async (_req, res) => {
    sendJson(res, 200, practiceListSchema, { practices: await practicesOfPlatform(deps) });
  });
  router.post('/platform/practices', async (req, res) => {
    const body = parseBody(newPracticeSchema, req.body);
    sendJson(res, 201, onboardedSchema, await onboardPractice(deps, operatorOf(req), body));
  });
  return router;
}
