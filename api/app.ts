/** The Express application: JSON API, health endpoints, problem+json errors. Built from injected deps so tests
 *  run the very same app against their own database and task queue. */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { Logger } from '../lib/logger';
import { errorHandler, notFoundHandler } from './problem';
import { createApiMetrics, routeOf, type ApiMetrics } from './metrics';
import { codecRoutes, type CodecEndpointDeps } from './routes/codec';
import { authenticate, requireRole } from './auth';
import { healthRoutes } from './routes/health';
import { diagnosticsRoutes } from './routes/diagnostics';
import { balanceCollectionRoutes } from './routes/balance-collections';
import { collectionRoutes, type CollectionWindows } from './routes/collections';
import { openApiRoutes } from './routes/openapi';
import { patientRoutes } from './routes/patients';
import { portalRoutes } from './routes/portal';
import { statementRoutes } from './routes/statements';
import { resolveStatementsSettings, type StatementsSettings } from './portal/settings';
import { taskRoutes } from './routes/tasks';
import { reportRoutes } from './routes/staff-reports';
import { settingsRoutes } from './routes/staff-settings';
import { webhookRoutes, type WebhookSecrets } from './routes/webhooks';
import { staffPages } from '../web/staff/routes';

export interface AppDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  webhookSecrets: WebhookSecrets;
  windows: CollectionWindows;
  /** True once shutdown has begun: readiness turns 503 so load balancers stop sending traffic. */
  isDraining?: () => boolean;
  /** The codec endpoint (/codec/*) for the Temporal UI and CLI; not mounted when omitted. */
  codec?: CodecEndpointDeps;
  /** Prometheus registry and middleware; a fresh one per app when omitted. */
  metrics?: ApiMetrics;
  /** Statements and the patient portal (secrets, limits, reminders); development defaults for what is omitted. */
  statements?: Partial<StatementsSettings>;
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
      // Only method, route template and status: bodies, query strings, headers and raw paths may carry PHI or secrets.
      serializers: {
        req: (req: { id: string; method: string }) => ({ id: req.id, method: req.method }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // On completion: the route that answered, and what the handler knew (res.locals.logFields: workflowId, engineer).
      customProps: (req, res) => (res.headersSent ? { route: routeOf(req as express.Request), ...((res as express.Response).locals?.logFields as object) } : {}),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    }),
  );
  const metrics = deps.metrics ?? createApiMetrics({ db: deps.db, log: deps.log });
  app.use(metrics.middleware);
  app.get('/metrics', metrics.handler);
  // Before the JSON parser: the codec takes larger bodies, and answers CORS preflights itself.
  if (deps.codec) app.use('/codec', codecRoutes(deps.codec));
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
  // The patient portal: public pages, its own sessions, CSRF tokens and lock-outs.
  const statements = resolveStatementsSettings(deps.statements);
  const statementDeps = { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, settings: statements, captureWindowMs: deps.windows.captureWindowMs };
  app.use(portalRoutes({ ...statementDeps, log: deps.log }));
  // The staff pages (work queue, billing pages): their own server-side sessions and CSRF tokens (web/staff/).
  app.use(staffPages({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, windows: deps.windows, log: deps.log }));

  // Everything under /v1 is for authenticated staff; another practice's ids answer 404.
  app.use('/v1', authenticate(deps.db));
  app.use(collectionRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, windows: deps.windows }));
  app.use(balanceCollectionRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, windows: deps.windows }));
  app.use(patientRoutes({ db: deps.db }));
  app.use(taskRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, log: deps.log }));
  app.use(reportRoutes({ db: deps.db }));
  app.use(settingsRoutes({ db: deps.db }));
  app.use(statementRoutes(statementDeps));
  app.use('/v1/diagnostics', requireRole('admin'));
  app.use(diagnosticsRoutes({ temporal: deps.temporal, taskQueue: deps.taskQueue }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}
