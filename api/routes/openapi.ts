import { Router } from 'express';
import type { z } from 'zod';
import { openApiDocumentSchema } from '../../contracts/health';
import { sendJson } from '../../http/send-json';

/** GET /openapi.json: the description of the whole server (server/openapi.ts), given by the composition root. */
export function openApiRoutes(document: z.input<typeof openApiDocumentSchema>): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    sendJson(res, 200, openApiDocumentSchema, document);
  });
  return router;
}
