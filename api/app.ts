/** The Express application: JSON API, health endpoints, problem+json errors. Built from injected deps so tests
 *  run the very same app against their own database and task queue. */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { Logger } from '../lib/logger';
import { errorHandler, notFoundHandler } from './problem';
import { authenticate, requireRole } from './auth';
import { healthRoutes } from './routes/health';
import { diagnosticsRoutes } from './routes/diagnostics';
import { collectionRoutes, type CollectionWindows } from './routes/collections';
import { openApiRoutes } from './routes/openapi';
import { patientRoutes } from './routes/patients';
import { taskRoutes } from './routes/tasks';
import { webhookRoutes, type WebhookSecrets } from './routes/webhooks';

export interface AppDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  webhookSecrets: WebhookSecrets;
  windows: CollectionWindows;
  /** True once shutdown has begun: readiness turns 503 so load balancers stop sending traffic. */
  isDraining?: () => boolean;
}

export const JSON_BODY_LIMIT = '64kb';
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

declare module 'http' {
  interface IncomingMessage {
    /** Raw request body, kept for webhook signature verification. */
    rawBody?: Buffer;
  }
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Only method, path and status: bodies, query strings and headers may carry PHI or secrets.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(
    express.json({
      limit: JSON_BODY_LIMIT,
      type: ['application/json', 'application/*+json'],
      verify: (req, _res, buf) => {
        req.rawBody = buf;
      },
    }),
  );

  // Public: probes, the API description, and webhooks (they carry their own HMAC signature).
  app.use(healthRoutes({ db: deps.db, temporal: deps.temporal, isDraining: deps.isDraining ?? (() => false) }));
  app.use(openApiRoutes());
  app.use(webhookRoutes({ db: deps.db, temporal: deps.temporal, secrets: deps.webhookSecrets }));

  // Everything under /v1 is for authenticated staff; another practice's ids answer 404.
  app.use('/v1', authenticate(deps.db));
  app.use(collectionRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, windows: deps.windows }));
  app.use(patientRoutes({ db: deps.db }));
  app.use(taskRoutes({ db: deps.db, temporal: deps.temporal }));
  app.use('/v1/diagnostics', requireRole('admin'));
  app.use(diagnosticsRoutes({ temporal: deps.temporal, taskQueue: deps.taskQueue }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}
