/** Worker process: registers the workflows and activities on our task queue. Stops gracefully on SIGTERM/SIGINT
 *  (the SDK stops polling, lets in-flight activities finish within SHUTDOWN_GRACE_SECONDS, then exits). */
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { loadServiceConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { temporalConnectionOptions } from '../lib/temporal';
import { createDb } from '../db/connection';
import { createWorker } from './create-worker';
import { createHttpEhrAdapter } from '../ehr/http-adapter';

async function main() {
  const config = loadServiceConfig();
  const log = createLogger(config.LOG_LEVEL, 'payflow-worker');
  const sdkLevel: LogLevel = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'DEBUG' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(sdkLevel, ({ level, message, meta }) => {
      const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'WARN' ? 'warn' : level === 'ERROR' ? 'error' : 'info';
      log[method](meta ?? {}, message);
    }),
  });

  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const worker = await createWorker({
    connection,
    db,
    ehr: createHttpEhrAdapter({ baseUrl: config.EHR_BASE_URL }),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    shutdownGraceSeconds: config.SHUTDOWN_GRACE_SECONDS,
    tuning: {
      ...(config.WORKER_MAX_CACHED_WORKFLOWS ? { maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS } : {}),
      ...(config.WORKER_MAX_CONCURRENT_ACTIVITIES ? { maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES } : {}),
      ...(config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ? { maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS } : {}),
    },
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await db.destroy();
    log.info('worker stopped');
  }
}

main().catch((err: Error) => {
  process.stderr.write(`worker failed: ${err.message}\n`);
  process.exit(1);
});
