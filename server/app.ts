/**
 * The composition root of the HTTP server: one Express app that mounts the JSON API (api/), the staff pages and the
 * patient portal (web/), with the plumbing they share (http/: authentication, problem+json errors, body parsers,
 * security headers, request faults) and what the process adds around them (access logs, latency metrics, the Temporal
 * deadline of each request). api/ and web/ never import each other; both call the use cases in app/. Built from
 * injected deps so tests run the very same app against their own database and task queue (test/support/harness.ts);
 * server/main.ts is the process.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Client, ConnectionLike } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { Logger } from '../lib/logger';
import { resolveStatementsSettings, type StatementsSettings } from '../app/statements-settings';
import type { CollectionWindows } from '../workflows/starts/collection';
import { authenticate, requireRole } from '../http/auth';
import { createCredentialGuard, type CredentialLimits } from '../http/credential-limits';
import { jsonBody } from '../http/json-body';
import { errorHandler, notFoundHandler } from '../http/problem';
import { setIdempotencySettings } from '../api/idempotency';
import { apiTokenRoutes } from '../api/routes/api-tokens';
import { balanceCollectionRoutes } from '../api/routes/balance-collections';
import { codecRoutes, type CodecEndpointDeps } from '../api/routes/codec';
import { collectionRoutes } from '../api/routes/collections';
import { diagnosticsRoutes } from '../api/routes/diagnostics';
import { healthRoutes } from '../api/routes/health';
import { openApiRoutes } from '../api/routes/openapi';
import { patientRoutes } from '../api/routes/patients';
import { reportRoutes } from '../api/routes/staff-reports';
import { settingsRoutes } from '../api/routes/staff-settings';
import { staffDirectoryRoutes } from '../api/routes/staff-directory';
import { platformRoutes } from '../api/routes/platform';
import { remittanceRoutes } from '../api/routes/remittances';
import { statementRoutes } from '../api/routes/statements';
import { taskRoutes } from '../api/routes/tasks';
import { webhookRoutes, type WebhookSecrets } from '../api/routes/webhooks';
import { codecSessionPage } from '../web/codec/session-page';
import { platformPages } from '../web/platform/routes';
import { portalRoutes } from '../web/portal/routes';
import { cardOnFileRoutes } from '../api/routes/card-on-file';
import { paymentPlanRoutes } from '../api/routes/payment-plans';
import type { CardProcessor } from '../processor/card-processor';
import { staffPages } from '../web/staff/routes';
import { statementPrintRoutes } from '../web/staff/statement-print';
import { createApiMetrics, routeOf, type ApiMetrics } from './metrics';
import { openApiDocument, operations } from './openapi';
import { responseCheck } from './response-check';

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
  /** Prometheus registry and middleware (served by metricsApp on the internal listener); a fresh one when omitted. */
  metrics?: ApiMetrics;
  /** Statements and the patient portal (secrets, limits, reminders); development defaults for what is omitted. */
  statements?: Partial<StatementsSettings>;
  /** The deadline shared by the Temporal calls of one request (`TEMPORAL_REQUEST_TIMEOUT`); 4 s when omitted. */
  temporalRequestTimeoutMs?: number;
  /** How long a request holds its Idempotency-Key before a retry may take it over (`IDEMPOTENCY_LEASE`); 30 s when omitted. */
  idempotencyLeaseMs?: number;
  /** The platform operator's tokens (`PLATFORM_OPERATOR_TOKENS`); none when omitted (the operator routes answer 401). */
  operatorTokens?: readonly string[];
  /** The server pepper API tokens are hashed with (`API_TOKEN_PEPPER`, app/api-tokens.ts); the development one when omitted. */
  apiTokenPepper?: string;
  /** Limits on refused staff and engineer tokens (http/credential-limits.ts); the defaults for what is omitted. */
  credentialLimits?: Partial<CredentialLimits>;
  /**
   * Staff sign-in (web/staff/): the key practices' OpenID client secrets are sealed with (`IDP_SECRET_KEY`; the
   * development one when omitted) and whether the token form is offered (`STAFF_TOKEN_SIGN_IN`; yes when omitted).
   */
  staffSignIn?: { idpSecretKey?: string; tokenSignIn?: boolean };
  /**
   * For the tests: check every 2xx JSON answer against its operation's schema (server/response-check.ts). Omitted:
   * on when PAYFLOW_CHECK_RESPONSES=1 (the jest global setup sets it) and NODE_ENV is not production.
   */
  checkResponses?: boolean;
  /** Saves cards on file with the processor (issue 18: processor/); the card-setup route answers 503 without one. */
  processor?: CardProcessor;
}

export const DEFAULT_TEMPORAL_REQUEST_TIMEOUT_MS = 4000;

/**
 * Runs the rest of the request with a deadline on every Temporal call it makes: the SDK reads it from its
 * AsyncLocalStorage and sets it on each gRPC call, so a Temporal that is down or slow fails the call by then (503,
 * lib/outage.ts) instead of holding the request for ~20 s of the SDK's retries. The context survives express's body
 * parsers (raw-body keeps it) and every `await` of the handlers. A route may narrow it with its own withDeadline; an
 * AbortSignal (withAbortSignal) does not stop the SDK's retries (measured: still ~20 s), a deadline does. The connection
 * needs deadlineAwareRetryInterceptor (below) for the answer to come by the deadline rather than up to 5 s after it.
 */
export function temporalRequestDeadline(connection: Pick<ConnectionLike, 'withDeadline'>, timeoutMs: number): RequestHandler {
  return (_req, _res, next) => {
    void connection.withDeadline(Date.now() + timeoutMs, () => {
      next();
      return Promise.resolve();
    });
  };
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
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  // Latency is measured here; it is served by the internal metrics listener (server/metrics.ts), not on this port.
  const metrics = deps.metrics ?? createApiMetrics({ db: deps.db, log: deps.log });
  app.use(metrics.middleware);
  const checkResponses = deps.checkResponses ?? (process.env.PAYFLOW_CHECK_RESPONSES === '1' && process.env.NODE_ENV !== 'production');
  if (checkResponses) app.use(responseCheck(operations, deps.log));
  // One set of counters of refused tokens for staff sign-in, /v1 bearer tokens and the codec (http/credential-limits.ts),
  // kept in PostgreSQL: every API process counts against the same limits.
  const statements = resolveStatementsSettings(deps.statements);
  const credentials = createCredentialGuard(deps.credentialLimits, statements.trustedProxyHops, deps.db);
  // Before the JSON parser: the codec takes larger bodies, and answers CORS preflights itself.
  if (deps.codec) app.use('/codec', codecRoutes({ ...deps.codec, credentials, sessionPage: codecSessionPage }));
  // From here on, Temporal gets the request's deadline (measured from its arrival); Idempotency-Key gets its lease.
  app.use(temporalRequestDeadline(deps.temporal.connection, deps.temporalRequestTimeoutMs ?? DEFAULT_TEMPORAL_REQUEST_TIMEOUT_MS));
  setIdempotencySettings(app, deps.idempotencyLeaseMs === undefined ? {} : { leaseMs: deps.idempotencyLeaseMs });
  app.use(
    jsonBody({
      limit: JSON_BODY_LIMIT,
      verify: (req, _res, buf) => {
        req.rawBody = buf;
      },
    }),
  );

  // Public: probes, the API description, and webhooks (they carry their own HMAC signature).
  app.use(healthRoutes({ db: deps.db, temporal: deps.temporal, isDraining: deps.isDraining ?? (() => false) }));
  app.use(openApiRoutes(openApiDocument));
  app.use(webhookRoutes({ db: deps.db, temporal: deps.temporal, secrets: deps.webhookSecrets, reversalWatchMs: deps.windows.reversalWatchMs, taskQueue: deps.taskQueue }));
  // The patient portal: public pages, its own sessions, CSRF tokens and lock-outs.
  const statementDeps = { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, settings: statements, captureWindowMs: deps.windows.captureWindowMs };
  app.use(portalRoutes({ ...statementDeps, log: deps.log }));
  // The staff pages (work queue, billing pages): their own server-side sessions and CSRF tokens (web/staff/).
  app.use(staffPages({
    db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, windows: deps.windows, log: deps.log, apiTokenPepper: deps.apiTokenPepper, credentials,
    ...(deps.processor ? { processor: deps.processor } : {}),
    signIn: {
      idpSecretKey: deps.staffSignIn?.idpSecretKey, tokenSignIn: deps.staffSignIn?.tokenSignIn ?? true,
      redirectUri: `${statements.publicBaseUrl.replace(/\/+$/, '')}/staff/oidc/callback`,
    },
  }));

  // The platform operator's onboarding (its own tokens, not staff's: http/operator-auth.ts). First its pages (web/platform/:
  // /platform, /platform/sign-in, /platform/sign-out, /platform/onboard, a signed session cookie), which need no bearer
  // header; then the JSON routes, whose bearer check covers everything else under /platform.
  const platformDeps = { db: deps.db, idpSecretKey: deps.staffSignIn?.idpSecretKey, operatorTokens: deps.operatorTokens ?? [], credentials };
  app.use(platformPages(platformDeps));
  app.use(platformRoutes(platformDeps));

  // Everything under /v1 is for authenticated staff; another practice's ids answer 404. Its answers carry PHI (names,
  // dates of birth, ledgers), errors included: no browser or proxy may keep a copy.
  app.use('/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use('/v1', authenticate(deps, credentials));
  app.use(collectionRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, windows: deps.windows }));
  app.use(balanceCollectionRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, windows: deps.windows }));
  app.use(patientRoutes({ db: deps.db }));
  app.use(cardOnFileRoutes({ db: deps.db, processor: deps.processor }));
  app.use(paymentPlanRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue }));
  app.use(taskRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, log: deps.log }));
  app.use(reportRoutes({ db: deps.db }));
  app.use(settingsRoutes({ db: deps.db, idpSecretKey: deps.staffSignIn?.idpSecretKey }));
  app.use(staffDirectoryRoutes({ db: deps.db }));
  app.use(apiTokenRoutes({ db: deps.db, apiTokenPepper: deps.apiTokenPepper }));
  // X12 835 files: a raw body (up to 5 MB) parsed by the route itself, after the role check (api/routes/remittances.ts).
  app.use(remittanceRoutes({ db: deps.db, reversalWatchMs: deps.windows.reversalWatchMs }));
  app.use(statementRoutes(statementDeps));
  // The printable statement: a page (web/), but under /v1 with the bearer token and problem+json errors.
  app.use(statementPrintRoutes(statementDeps));
  app.use('/v1/diagnostics', requireRole('admin'));
  app.use(diagnosticsRoutes({ temporal: deps.temporal, taskQueue: deps.taskQueue }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}
