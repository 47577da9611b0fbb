/** Builds a Worker for our task queue from a connection, a workflow source and activity dependencies. */
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities';
import { setupTracing, type Tracing } from '../lib/tracing';
import { activityInterceptors, WORKFLOW_INTERCEPTOR_MODULES, workerSinks, type BusinessMetrics } from './telemetry';

export interface CreateWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Path of a prebuilt bundle (production, tests); omitted → bundle workflows/ at start-up (development). */
  workflowBundlePath?: string;
  shutdownGraceSeconds: number;
  /** Tuning (lib/config.ts: the worker's cache, slots and sticky queue). */
  tuning?: Partial<Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'stickyQueueScheduleToStartTimeout'>>;
  /** Payload encryption (lib/codec: dataConverterFor); the same as the clients'. */
  dataConverter?: DataConverter;
  /** OpenTelemetry (lib/tracing); off when omitted. */
  tracing?: Tracing;
  /** Business metrics through the SDK's metric meter (worker/telemetry.ts); none when omitted. */
  metrics?: BusinessMetrics;
}

/** How long after the grace a stuck shutdown is given up (the grace's cancellations need a moment to land). */
export const SHUTDOWN_FORCE_MARGIN_SECONDS = 10;

export function createWorker(o: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...(o.workflowBundlePath
      ? { workflowBundle: { codePath: o.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      db: o.db, ehr: o.ehr, reversalWatchMs: o.reversalWatchMs, notifier: o.notifier, publicBaseUrl: o.publicBaseUrl, processor: o.processor, linkSecret: o.linkSecret,
    }),
    ...(o.dataConverter ? { dataConverter: o.dataConverter } : {}),
    interceptors: {
      // A prebuilt bundle carries its workflow interceptors (worker/bundle.ts).
      ...(o.workflowBundlePath ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
      activity: activityInterceptors({ db: o.db, metrics: o.metrics, tracing: o.tracing }),
    },
    sinks: workerSinks(o.tracing ?? setupTracing({ serviceName: 'payflow-worker' })),
    shutdownGraceTime: `${o.shutdownGraceSeconds}s`,
    // A shutdown stuck past the grace (an activity that ignores its cancellation) ends with an error instead of
    // hanging: run() rejects, the process exits non-zero and its supervisor starts a fresh one.
    shutdownForceTime: `${o.shutdownGraceSeconds + SHUTDOWN_FORCE_MARGIN_SECONDS}s`,
    ...o.tuning,
  });
}
