/**
 * API tokens for systems (admin only): POST /v1/api-tokens (the secret in that answer only), GET /v1/api-tokens,
 * POST /v1/api-tokens/{tokenId}/revoke (app/api-tokens.ts). With Idempotency-Key, the creation's answer is not stored:
 * it holds the secret, which is kept nowhere but in the caller's hands. A retry with the key gets 409 naming the token
 * it created (never a second token, never the secret again).
 */
import { Router } from 'express';
import { apiTokensFor, createApiToken, revokeApiToken, type TokenDeps } from '../../app/api-tokens';
import { apiTokenListSchema, apiTokenSchema, createdApiTokenSchema } from '../../contracts/api-tokens';
import { emptyBody } from '../../contracts/operation';
import { requireRole, staffOf } from '../../http/auth';
import { problemOf } from '../../http/problem';
import { sendJson } from '../../http/send-json';
import { AppError } from '../../lib/errors';
import { parseBody } from '../../lib/validate';
import { idempotency, replayInstead } from '../idempotency';

export function apiTokenRoutes(deps: TokenDeps): Router {
  const router = Router();
  router.use('/v1/api-tokens', requireRole('admin'));

  router.post('/v1/api-tokens', idempotency(deps.db), async (req, res) => {
    const created = await createApiToken(deps, staffOf(req), req.body);
    replayInstead(res, {
      status: 409,
      body: problemOf(new AppError(409, 'api-token-already-created', 'API token already created',
        `This Idempotency-Key already created API token ${created.id} (${created.prefix}…). Its secret was shown once and is not stored; `
        + 'if that answer was lost, revoke the token and create another.'), req.path),
    });
    sendJson(res, 201, createdApiTokenSchema, created);
  });

  router.get('/v1/api-tokens', async (req, res) => {
    sendJson(res, 200, apiTokenListSchema, { apiTokens: await apiTokensFor(deps, staffOf(req)) });
  });

  router.post('/v1/api-tokens/:tokenId/revoke', async (req, res) => {
    parseBody(emptyBody, req.body);
    sendJson(res, 200, apiTokenSchema, await revokeApiToken(deps, staffOf(req), req.params.tokenId));
  });

  return router;
}
