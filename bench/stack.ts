/**
 * An isolated stack for one benchmark run, in a temp dir on free ports: embedded PostgreSQL, the EHR stand-in, and
 * each service a plain `node --import tsx` process so its memory can be read from /proc. Two engines:
 * - `dev`: the Temporal CLI's dev server persisted in SQLite (so storage can be measured), one worker, one API;
 * - `cluster` (issue 19): the Temporal server binary with its persistence and SQL visibility in two databases of
 *   their own on the same PostgreSQL (scripts/temporal-cluster.ts), two workers and two APIs.
 */
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../db/connection';
import { migrateLatest } from '../db/migrate';
import { startEmbeddedPostgres } from '../scripts/postgres';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { startDevServer, type RunningDevServer } from '../scripts/temporal-server';
import { freeClusterPorts, startTemporalCluster, temporalServerBinaries } from '../scripts/temporal-cluster';
import { buildWorkflowBundle } from '../worker/bundle';
import { pidByCommandLine } from './measure';
import { freePort } from '../scripts/free-port';

const ROOT = join(__dirname, '..');
const TaskQueueType = proto.api.enums.v1.TaskQueueType;
export const BENCH_SECRETS = { ehr: 'bench-ehr-webhook-secret', clearinghouse: 'bench-clearinghouse-webhook-secret' };

export type Engine = 'dev' | 'cluster';

export interface BenchStack {
  engine: Engine;
  dir: string;
  apiUrl: string;
  /** Every API process's URL (two on the cluster engine): the driver spreads its collections over them. */
  apiUrls: string[];
  temporalAddress: string;
  taskQueue: string;
  db: Db;
  dbName: string;
  /** dev engine: the SQLite file of the dev server. */
  temporalDbFile: string;
  /** cluster engine: URLs of Temporal's own databases (persistence, visibility) on the stack's PostgreSQL. */
  temporalDbUrls: string[];
  pids: { api: number; worker: number; standin: number; temporal: number; postgres: number; api2?: number; worker2?: number };
  apiPids: number[];
  workerPids: number[];
  /** Stops everything; the temp dir (the services' logs) is kept when `keepLogs` (a failed run), else removed. */
  stop(keepLogs?: boolean): Promise<void>;
}

/** The one picker of a free port (scripts/free-port.ts), for this file's importers. */
export { freePort };

async function waitFor(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Until every worker polls the task queue for workflow and activity tasks: a collection started before then waits
 *  for a worker still loading its bundle (on a busy machine, longer than Collect Now's wait for the EHR link). */
async function workersPolling(address: string, taskQueue: string, workers: number, timeoutMs = 180_000): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pollers = await Promise.all([TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY].map(async (taskQueueType) =>
        (await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType })).pollers?.length ?? 0));
      if (pollers.every((n) => n >= workers)) return;
      if (Date.now() > deadline) throw new Error(`${workers} worker(s) did not poll ${taskQueue} within ${timeoutMs / 1000} s (pollers: ${pollers.join(', ')})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await connection.close();
  }
}

export interface BenchStackOptions {
  /** Extra environment of the API and the worker (tuning variables, e.g. DB_POOL_MAX, NODE_OPTIONS). */
  serviceEnv?: Record<string, string>;
  /** Extra Node.js flags of the API and the worker, e.g. `--cpu-prof` (profiles are written when they stop). */
  nodeArgs?: string[];
  engine?: Engine;
  /** Keep the stack's data here (PostgreSQL's and the dev server's) and leave it after the stop; a directory that
   *  holds a kept stack's data starts on it (bench/park-more.ts goes on parking there). Default: a temp dir, removed. */
  dir?: string;
}

export const TEMPORAL_DATABASES = { persistence: 'temporal', visibility: 'temporal_visibility' };

export async function startBenchStack({ serviceEnv = {}, nodeArgs = [], engine = 'dev', dir: keptDir }: BenchStackOptions = {}): Promise<BenchStack> {
  const dir = keptDir ?? mkdtempSync(join(tmpdir(), 'payflow-bench-'));
  if (keptDir) mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const [cliPath, pgPort, temporalPort, apiPort, standinPort, metricsPort, apiMetricsPort, api2Port, metrics2Port, api2MetricsPort] = await Promise.all([
    ensureTemporalCli(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  // A kept stack's PostgreSQL is persistent (its data stays at the stop; fsync on), a throwaway one is not.
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: pgPort, persistent: Boolean(keptDir) });
  const admin = createDb(pg.adminUrl, 1);
  const existing = await admin.raw<{ rows: unknown[] }>("select 1 from pg_database where datname = 'payflow'");
  if (!existing.rows.length) await admin.raw('create database payflow');
  await admin.destroy();
  const dbUrl = pg.urlFor('payflow');
  const db = createDb(dbUrl, 4);
  await migrateLatest(db);

  const temporalDbFile = join(dir, 'temporal.db');
  let temporal: RunningDevServer;
  if (engine === 'cluster') {
    const admin = new URL(pg.adminUrl);
    const ports = await freeClusterPorts();
    temporal = await startTemporalCluster({
      binaries: await temporalServerBinaries(), cliPath, frontendPort: ports.frontend.grpc, ports,
      postgres: { host: admin.hostname, port: Number(admin.port), user: decodeURIComponent(admin.username), password: decodeURIComponent(admin.password) },
      databases: TEMPORAL_DATABASES, dir: join(dir, 'temporal'), logFile: join(dir, 'temporal.log'),
    });
  } else {
    temporal = await startDevServer({ cliPath, port: temporalPort, dbFile: temporalDbFile, logFile: join(dir, 'temporal.log') });
  }
  const bundlePath = await buildWorkflowBundle(join(dir, 'workflow-bundle.js'));

  const children: ChildProcess[] = [];
  let stopping = false;
  const taskQueue = 'payflow-bench';
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const standinUrl = `http://127.0.0.1:${standinPort}`;
  const common = {
    ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: dbUrl, TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE_PATH: bundlePath, EHR_BASE_URL: standinUrl,
    EHR_WEBHOOK_SECRETS: BENCH_SECRETS.ehr, CLEARINGHOUSE_WEBHOOK_SECRETS: BENCH_SECRETS.clearinghouse,
  };
  const run = (name: string, script: string, env: NodeJS.ProcessEnv, flags: string[] = []) => {
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(ROOT, script)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(join(dir, `${name}.log`));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    children.push(child);
    child.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`bench: ${name} (pid ${child.pid}) exited during the run (${signal ?? `code ${code}`}); its log: ${join(dir, `${name}.log`)}\n`);
    });
    return child;
  };
  const standin = run('ehr-standin', 'ehr/standin/main.ts', { ...common, EHR_STANDIN_PORT: String(standinPort), EHR_STANDIN_PUBLIC_URL: standinUrl, PAYFLOW_WEBHOOK_BASE_URL: apiUrl, EHR_WEBHOOK_SECRET: BENCH_SECRETS.ehr, CLEARINGHOUSE_WEBHOOK_SECRET: BENCH_SECRETS.clearinghouse });
  const worker = run('worker', 'worker/main.ts', { ...common, WORKER_METRICS_PORT: String(metricsPort), ...serviceEnv }, nodeArgs);
  const api = run('api', 'server/main.ts', { ...common, PORT: String(apiPort), API_METRICS_PORT: String(apiMetricsPort), ...serviceEnv }, nodeArgs);
  // The cluster engine: a second worker on the same task queue and a second API, as `./scripts/stack.sh --cluster`.
  const api2Url = `http://127.0.0.1:${api2Port}`;
  const second = engine === 'cluster'
    ? {
      worker2: run('worker2', 'worker/main.ts', { ...common, WORKER_METRICS_PORT: String(metrics2Port), ...serviceEnv }, nodeArgs),
      api2: run('api2', 'server/main.ts', { ...common, PORT: String(api2Port), API_METRICS_PORT: String(api2MetricsPort), ...serviceEnv }, nodeArgs),
    }
    : undefined;
  const apiUrls = second ? [apiUrl, api2Url] : [apiUrl];
  await Promise.all([...apiUrls.map((u) => waitFor(`${u}/readyz`)), waitFor(`${standinUrl}/healthz`), workersPolling(temporal.address, taskQueue, second ? 2 : 1)]);

  return {
    engine, dir, apiUrl, apiUrls, temporalAddress: temporal.address, taskQueue, db, dbName: 'payflow', temporalDbFile,
    temporalDbUrls: engine === 'cluster' ? [pg.urlFor(TEMPORAL_DATABASES.persistence), pg.urlFor(TEMPORAL_DATABASES.visibility)] : [],
    pids: {
      api: api.pid!, worker: worker.pid!, standin: standin.pid!, temporal: temporal.process.pid!, postgres: pidByCommandLine(join(dir, 'pg'))!,
      ...(second ? { api2: second.api2.pid!, worker2: second.worker2.pid! } : {}),
    },
    apiPids: [api.pid!, ...(second ? [second.api2.pid!] : [])],
    workerPids: [worker.pid!, ...(second ? [second.worker2.pid!] : [])],
    async stop(keepLogs = false) {
      stopping = true;
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      })));
      await db.destroy();
      await temporal.stop();
      await pg.stop();
      if (keptDir) process.stderr.write(`bench: the stack's data and logs are kept in ${dir}\n`);
      else if (keepLogs) process.stderr.write(`bench: the services' logs are kept in ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
