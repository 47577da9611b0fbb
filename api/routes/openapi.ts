import { Router } from 'express';

/** GET /openapi.json: the description of the whole server (server/openapi.ts), given by the composition root. */
export function openApiRoutes(document: object): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}
