/** The API process: the HTTP server of server/app.ts (JSON API, staff pages, portal). On SIGTERM/SIGINT: readiness
 *  turns 503, the server stops accepting, in-flight requests finish (up to SHUTDOWN_GRACE_SECONDS), then connections to
 *  PostgreSQL and Temporal close. */
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { dataConverterFor, payloadCodecFor } from '../lib/codec';
import { setupTracing } from '../lib/tracing';
import { loadServiceConfig } from '../lib/config';
import { createLogger, installProcessGuards, safeError, scrubMessage } from '../lib/logger';
import { deadlineAwareRetryInterceptor, temporalConnectionOptions } from '../lib/temporal';
import { createDb } from '../db/connection';
import { collectionWindowsOf } from '../workflows/starts/collection';
import { createApp } from './app';
import { createApiMetrics, metricsApp } from './metrics';
import { statementsSettingsFromConfig } from '../app/statements-settings';
import { createCardProcessor } from '../processor';

/** The API's deadline for one card-processor call (see where the processor is built). */
const API_PROCESSOR_CALL_MS = 2000;

async function main() {
  const config = loadServiceConfig();
  const log = createLogger(config.LOG_LEVEL, 'payflow-api');
  // Whatever no code caught is logged through the PHI-safe logger, never printed raw; a stray rejection does not end the process.
  installProcessGuards(log);
  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX);
  // The SDK's retries stop at a request's deadline (TEMPORAL_REQUEST_TIMEOUT) instead of sleeping past it.
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), interceptors: [deadlineAwareRetryInterceptor()] });
  const tracing = setupTracing({ serviceName: 'payflow-api', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const codec = payloadCodecFor(config);
  const temporal = new Client({
    connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(codec),
    interceptors: tracing.enabled ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined,
  });

  let draining = false;
  const metrics = createApiMetrics({ db, log });
  const app = createApp({
    db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, log, isDraining: () => draining, metrics,
    webhookSecrets: { ehr: config.EHR_WEBHOOK_SECRETS, clearinghouse: config.CLEARINGHOUSE_WEBHOOK_SECRETS, sms: config.SMS_WEBHOOK_SECRETS, email: config.EMAIL_WEBHOOK_SECRETS },
    windows: collectionWindowsOf(config),
    // A page or API request that calls the processor must answer within 5 s (an outage: 503 + Retry-After): at most two
    // calls of 2 s each (a setup creates the customer, then the setup), whatever the worker's longer PROCESSOR_TIMEOUT.
    processor: createCardProcessor({ ...config, PROCESSOR_TIMEOUT: Math.min(config.PROCESSOR_TIMEOUT, API_PROCESSOR_CALL_MS) }),
    statements: statementsSettingsFromConfig(config),
    temporalRequestTimeoutMs: config.TEMPORAL_REQUEST_TIMEOUT, idempotencyLeaseMs: config.IDEMPOTENCY_LEASE, apiTokenPepper: config.API_TOKEN_PEPPER,
    operatorTokens: config.PLATFORM_OPERATOR_TOKENS,
    staffSignIn: { idpSecretKey: config.IDP_SECRET_KEY, tokenSignIn: config.STAFF_TOKEN_SIGN_IN ?? config.NODE_ENV !== 'production' },
    codec: { codec, engineerTokens: config.CODEC_ENGINEER_TOKENS, uiOrigins: config.TEMPORAL_UI_ORIGIN, secureCookies: config.NODE_ENV === 'production' },
  });
  const server = app.listen(config.PORT, () => log.info({ port: config.PORT }, 'api listening'));
  // Metrics on the internal listener only (server/metrics.ts). Its port taken (another API on this host): serve the API
  // without metrics rather than not at all.
  const metricsServer = metricsApp(metrics, log).listen(config.API_METRICS_PORT, config.API_METRICS_HOST, () =>
    log.info({ metricsHost: config.API_METRICS_HOST, metricsPort: config.API_METRICS_PORT }, 'api metrics listening'));
  metricsServer.on('error', (err) => log.error({ error: safeError(err), metricsPort: config.API_METRICS_PORT }, 'api metrics endpoint not started'));

  const shutdown = (signal: string) => {
    if (draining) return;
    draining = true;
    log.info({ signal }, 'api shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.warn('grace period over: closing remaining connections');
      server.closeAllConnections();
    }, config.SHUTDOWN_GRACE_SECONDS * 1000);
    metricsServer.close();
    server.close(() => {
      clearTimeout(force);
      void Promise.allSettled([db.destroy(), connection.close(), tracing.shutdown()]).then(() => {
        log.info('api stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: Error) => {
  // Scrubbed: a driver's message may quote what it was given.
  process.stderr.write(`api failed to start: ${scrubMessage(String(err?.message ?? err))}\n`);
  process.exit(1);
});
