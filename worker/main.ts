/** Worker process: registers the workflows and activities on our task queue. Stops gracefully on SIGTERM/SIGINT
 *  (the SDK stops polling, lets in-flight activities finish within SHUTDOWN_GRACE_SECONDS, then exits). */
import { createCardProcessor } from '../processor';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { dataConverterFor, payloadCodecFor } from '../lib/codec';
import { loadServiceConfig } from '../lib/config';
import { setupTracing } from '../lib/tracing';
import { sdkLogger } from './logging';
import { CAPTURE_TO_APPLICATION_BUCKETS, createBusinessMetrics } from './telemetry';
import { createLogger, installProcessGuards, safeError, scrubMessage } from '../lib/logger';
import { deadlineAwareRetryInterceptor, temporalConnectionOptions } from '../lib/temporal';
import { createDb } from '../db/connection';
import { createWorker } from './create-worker';
import { createHttpEhrAdapter } from '../ehr/http-adapter';
import { startWorkerLoops } from './loops';
import { collectionWindowsOf } from '../workflows/starts/collection';
import { notifierFromConfig } from './notifier';

async function main() {
  const config = loadServiceConfig();
  const log = createLogger(config.LOG_LEVEL, 'payflow-worker');
  // Whatever no code caught is logged through the PHI-safe logger, never printed raw; a stray rejection does not end the process.
  installProcessGuards(log);
  // Once per process: the SDK's logs through our logger, its metrics (and ours) on a Prometheus endpoint.
  const logger = sdkLogger(log, config.LOG_LEVEL === 'trace' || config.LOG_LEVEL === 'debug' ? config.LOG_LEVEL : 'info');
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        metrics: {
          prometheus: {
            // Loopback unless told otherwise (WORKER_METRICS_HOST): metrics are for the operators' network only.
            bindAddress: `${config.WORKER_METRICS_HOST.includes(':') ? `[${config.WORKER_METRICS_HOST}]` : config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}`,
            countersTotalSuffix: true,
            useSecondsForDurations: true,
            histogramBucketOverrides: { payflow_capture_to_application_seconds: CAPTURE_TO_APPLICATION_BUCKETS },
          },
        },
      },
    });
  } catch (err) {
    // The port is taken (another worker on this host): work without a metrics endpoint rather than not at all.
    log.error({ error: safeError(err), metricsPort: config.WORKER_METRICS_PORT }, 'worker metrics endpoint not started');
    Runtime.install({ logger });
  }
  const tracing = setupTracing({ serviceName: 'payflow-worker', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX);
  const dataConverter = dataConverterFor(payloadCodecFor(config));
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const worker = await createWorker({
    connection,
    db,
    ehr: createHttpEhrAdapter({ baseUrl: config.EHR_BASE_URL }),
    reversalWatchMs: config.COPAY_REVERSAL_WATCH,
    notifier: notifierFromConfig(db, config, log),
    publicBaseUrl: config.PUBLIC_BASE_URL,
    processor: createCardProcessor(config),
    linkSecret: config.PAY_LINK_SECRET,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    shutdownGraceSeconds: config.SHUTDOWN_GRACE_SECONDS,
    dataConverter,
    tracing,
    metrics: createBusinessMetrics(Runtime.instance().metricMeter),
    tuning: {
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      stickyQueueScheduleToStartTimeout: config.WORKER_STICKY_QUEUE_TIMEOUT,
      ...(config.WORKER_MAX_CONCURRENT_ACTIVITIES ? { maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES } : {}),
      ...(config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ? { maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS } : {}),
    },
  });
  // The outbox relay and the starting-collections reconciler run beside the worker, with a client of their own.
  const clientConnection = await Connection.connect({ ...temporalConnectionOptions(config), interceptors: [deadlineAwareRetryInterceptor()] });
  const loops = startWorkerLoops({
    db, databaseUrl: config.DATABASE_URL, log, taskQueue: config.TEMPORAL_TASK_QUEUE,
    client: new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter }),
    windows: collectionWindowsOf(config),
    reconcileStartingAfterMs: config.RECONCILE_STARTING_AFTER,
    outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL,
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, metricsHost: config.WORKER_METRICS_HOST, metricsPort: config.WORKER_METRICS_PORT, tracing: tracing.enabled }, 'worker started');
  try {
    await worker.run();
  } finally {
    await loops.stop();
    await clientConnection.close();
    await connection.close();
    await db.destroy();
    await tracing.shutdown();
    log.info('worker stopped');
  }
}

main().catch((err: Error) => {
  // Scrubbed: a driver's message may quote what it was given.
  process.stderr.write(`worker failed: ${scrubMessage(String(err?.message ?? err))}\n`);
  process.exit(1);
});
