/**
 * An isolated stack for one benchmark run, in a temp dir on free ports: embedded PostgreSQL, a Temporal dev server
 * persisted in SQLite (so storage can be measured), the EHR stand-in, one worker and one API, each a plain
 * `node --import tsx` process so its memory can be read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../db/connection';
import { migrateLatest } from '../db/migrate';
import { startEmbeddedPostgres } from '../scripts/postgres';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { startDevServer } from '../scripts/temporal-server';
import { buildWorkflowBundle } from '../worker/bundle';
import { pidByCommandLine } from './measure';

const ROOT = join(__dirname, '..');
export const BENCH_SECRETS = { ehr: 'bench-ehr-webhook-secret', clearinghouse: 'bench-clearinghouse-webhook-secret' };

export interface BenchStack {
  dir: string;
  apiUrl: string;
  temporalAddress: string;
  taskQueue: string;
  db: Db;
  dbName: string;
  temporalDbFile: string;
  pids: { api: number; worker: number; standin: number; temporal: number; postgres: number };
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

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

export interface BenchStackOptions {
  /** Extra environment of the API and the worker (tuning variables, e.g. DB_POOL_MAX, NODE_OPTIONS). */
  serviceEnv?: Record<string, string>;
  /** Extra Node.js flags of the API and the worker, e.g. `--cpu-prof` (profiles are written when they stop). */
  nodeArgs?: string[];
}

export async function startBenchStack({ serviceEnv = {}, nodeArgs = [] }: BenchStackOptions = {}): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'payflow-bench-'));
  chmodSync(dir, 0o755);
  const [cliPath, pgPort, temporalPort, apiPort, standinPort, metricsPort, apiMetricsPort] = await Promise.all([ensureTemporalCli(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: pgPort, persistent: false });
  const admin = createDb(pg.adminUrl, 1);
  await admin.raw('create database payflow');
  await admin.destroy();
  const dbUrl = pg.urlFor('payflow');
  const db = createDb(dbUrl, 4);
  await migrateLatest(db);

  const temporalDbFile = join(dir, 'temporal.db');
  const temporal = await startDevServer({ cliPath, port: temporalPort, dbFile: temporalDbFile, logFile: join(dir, 'temporal.log') });
  const bundlePath = await buildWorkflowBundle(join(dir, 'workflow-bundle.js'));

  const children: ChildProcess[] = [];
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
    return child;
  };
  const standin = run('ehr-standin', 'ehr/standin/main.ts', { ...common, EHR_STANDIN_PORT: String(standinPort), EHR_STANDIN_PUBLIC_URL: standinUrl, PAYFLOW_WEBHOOK_BASE_URL: apiUrl, EHR_WEBHOOK_SECRET: BENCH_SECRETS.ehr, CLEARINGHOUSE_WEBHOOK_SECRET: BENCH_SECRETS.clearinghouse });
  const worker = run('worker', 'worker/main.ts', { ...common, WORKER_METRICS_PORT: String(metricsPort), ...serviceEnv }, nodeArgs);
  const api = run('api', 'server/main.ts', { ...common, PORT: String(apiPort), API_METRICS_PORT: String(apiMetricsPort), ...serviceEnv }, nodeArgs);
  await Promise.all([waitFor(`${apiUrl}/readyz`), waitFor(`${standinUrl}/healthz`)]);

  return {
    dir, apiUrl, temporalAddress: temporal.address, taskQueue, db, dbName: 'payflow', temporalDbFile,
    pids: { api: api.pid!, worker: worker.pid!, standin: standin.pid!, temporal: temporal.process.pid!, postgres: pidByCommandLine(join(dir, 'pg'))! },
    async stop() {
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      })));
      await db.destroy();
      await temporal.stop();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
