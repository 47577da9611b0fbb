/** Builds a Worker for our task queue from a connection, a workflow source and activity dependencies. */
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface CreateWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Path of a prebuilt bundle (production, tests); omitted → bundle workflows/ at start-up (development). */
  workflowBundlePath?: string;
  shutdownGraceSeconds: number;
  /** Tuning overrides (benchmarks). */
  tuning?: Partial<Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions'>>;
}

export function createWorker(o: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...(o.workflowBundlePath
      ? { workflowBundle: { codePath: o.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ db: o.db, ehr: o.ehr }),
    shutdownGraceTime: `${o.shutdownGraceSeconds}s`,
    ...o.tuning,
  });
}
