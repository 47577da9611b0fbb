/**
 * Prometheus metrics of the API process, served at `GET /metrics` (text exposition format) on an internal listener of
 * their own (`API_METRICS_HOST:API_METRICS_PORT`, loopback by default; server/main.ts), never on the public port: they
 * carry no PHI, but volumes, queue sizes and process details are not for the internet (issue 13). A listener rather than
 * a token: Prometheus scrapes it as any other target, and no secret has to be issued, rotated or kept out of logs.
 *   payflow_http_request_duration_seconds{method,route,status}  latency by route TEMPLATE (never a raw path: paths
 *                                                               may carry ids, and unknown paths anything at all)
 *   payflow_collections_in_flight{path,status}                  from PostgreSQL at scrape time
 *   payflow_collection_oldest_in_status_seconds{path,status}    how long the oldest in-flight one has sat there
 *   payflow_manual_tasks_open{reason}                           the staff work queue, from PostgreSQL at scrape time
 *   payflow_manual_task_oldest_open_seconds{reason}
 *   payflow_run_messages_pending                                messages to runs not yet delivered (the outbox)
 *   payflow_run_message_oldest_pending_seconds                  the oldest of them: grows while Temporal is down
 *   process_* and nodejs_*                                      prom-client's defaults
 * /metrics, /healthz and /readyz are left out of the latency histogram (probes would drown it).
 * Labels carry no PHI: route templates, status codes, collection paths and statuses, task reasons.
 * Every API replica reports the same database gauges: aggregate them with max(), not sum().
 * The worker's metrics (Temporal SDK + business counters) are on its own port (worker/telemetry.ts).
 */
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/connection';
import { inFlightCollections, openManualTasks, runMessagesBacklog } from '../db/queries/metrics';
import { safeError, type Logger } from '../lib/logger';

const UNMEASURED = new Set(['/metrics', '/healthz', '/readyz']);

/** The route template that answered (e.g. `/v1/collections/:collectionId`), or `(no route)`. */
export function routeOf(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : '(no route)';
}

export interface ApiMetrics {
  registry: Registry;
  /** Observes every request's latency when its response finishes. */
  middleware: RequestHandler;
  /** `GET /metrics`. */
  handler: RequestHandler;
}

export function createApiMetrics(deps: { db: Db; log: Logger }): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const latency = new Histogram({
    name: 'payflow_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // The database gauges are read once per scrape, whichever gauge prom-client collects first.
  type Snapshot = {
    collections: Awaited<ReturnType<typeof inFlightCollections>>;
    tasks: Awaited<ReturnType<typeof openManualTasks>>;
    outbox: Awaited<ReturnType<typeof runMessagesBacklog>>;
  };
  let pending: Promise<Snapshot | undefined> | undefined;
  const snapshot = () => {
    pending ??= Promise.all([inFlightCollections(deps.db), openManualTasks(deps.db), runMessagesBacklog(deps.db)])
      .then(([collections, tasks, outbox]) => ({ collections, tasks, outbox }))
      .catch((err: Error) => {
        deps.log.warn({ err: { name: err.name } }, 'metrics: database gauges unavailable');
        return undefined;
      })
      .finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  new Gauge({
    name: 'payflow_collections_in_flight',
    help: 'Collections still waiting (for the EHR, the payer or staff), by path and status',
    labelNames: ['path', 'status'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const c of s?.collections ?? []) this.set({ path: c.path, status: c.status }, c.count);
    },
  });
  new Gauge({
    name: 'payflow_collection_oldest_in_status_seconds',
    help: 'Seconds the oldest in-flight collection has spent in its status, by path and status',
    labelNames: ['path', 'status'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const c of s?.collections ?? []) this.set({ path: c.path, status: c.status }, Math.round(c.oldestSeconds));
    },
  });
  new Gauge({
    name: 'payflow_manual_tasks_open',
    help: 'Open manual tasks (the staff work queue), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const t of s?.tasks ?? []) this.set({ reason: t.reason }, t.count);
    },
  });
  new Gauge({
    name: 'payflow_manual_task_oldest_open_seconds',
    help: 'Age in seconds of the oldest open manual task, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const t of s?.tasks ?? []) this.set({ reason: t.reason }, Math.round(t.oldestSeconds));
    },
  });

  new Gauge({
    name: 'payflow_run_messages_pending',
    help: 'Messages to workflow runs written by the database and not yet delivered to Temporal (the outbox)',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.outbox.pending);
    },
  });
  new Gauge({
    name: 'payflow_run_message_oldest_pending_seconds',
    help: 'Age in seconds of the oldest undelivered message to a workflow run',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      if (s) this.set(Math.round(s.outbox.oldestSeconds));
    },
  });

  const middleware: RequestHandler = (req, res, next) => {
    if (UNMEASURED.has(req.path)) return next();
    const end = latency.startTimer();
    res.once('finish', () => end({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
    next();
  };

  const handler: RequestHandler = async (_req, res: Response) => {
    const body = await registry.metrics();
    res.type(registry.contentType).send(body);
  };

  return { registry, middleware, handler };
}

/** The internal listener's app: `GET /metrics` and nothing else; a failure is logged (scrubbed) and answered 500. */
export function metricsApp(metrics: ApiMetrics, log: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metrics.handler);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found: GET /metrics\n');
  });
  const failed: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    log.warn({ error: safeError(err) }, 'metrics: scrape failed');
    res.status(500).type('text/plain').send('metrics unavailable\n');
  };
  app.use(failed);
  return app;
}
