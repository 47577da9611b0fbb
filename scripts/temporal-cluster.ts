/**
 * The production topology's Temporal (issue 19): the Temporal server binary, not the CLI's dev server, with its
 * persistence and its SQL visibility in two databases of their own on the stack's PostgreSQL, their schema set up
 * with the server's own `temporal-sql-tool`, and the namespace and payflow's search attributes registered the way an
 * operator does (the CLI's `operator` commands), not by dev-server flags.
 *
 * The binaries, first hit wins: TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH; the per-machine cache next to the
 * CLI's (~/.cache/payflow/temporal-server/<version>/, outside the clone, so fresh clones reuse it); or `go install`
 * of the official source (go.temporal.io/server/cmd/server and …/cmd/tools/sql) into that cache, with progress on
 * stderr. The versioned schema files come with the module source and are copied next to the binaries, so a cached
 * build needs neither Go nor the module cache (TEMPORAL_SCHEMA_DIR points elsewhere).
 *
 *   node --import tsx scripts/temporal-cluster.ts      builds (if needed) and prints the binaries' paths
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { superviseUntilReady, type RunningDevServer } from './temporal-server';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';

export interface ServerBinaries { server: string; sqlTool: string; schemaDir: string }

export function serverCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'payflow', 'temporal-server', TEMPORAL_SERVER_VERSION);
}

const runs = (path: string) => spawnSync(path, ['--version'], { stdio: 'ignore' }).status === 0;

/** `go install` of both commands into a staging folder, then the binaries and the schema move into the cache. */
async function goInstall(cache: string): Promise<void> {
  const staging = join(cache, 'staging');
  mkdirSync(staging, { recursive: true });
  process.stderr.write(`[temporal-server] Building the Temporal server ${TEMPORAL_SERVER_VERSION} and temporal-sql-tool from source with Go (first run only; 10-20 minutes on 2 cores).\n`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', `${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000)));
    const timer = setInterval(() => process.stderr.write(`[temporal-server] still building (${Math.round((Date.now() - started) / 1000)} s)\n`), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else reject(new Error(`go install exited with ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  const modCache = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim();
  cpSync(join(modCache, `${MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12'), join(cache, 'schema', 'postgresql', 'v12'), { recursive: true });
  renameSync(join(staging, 'server'), join(cache, 'temporal-server'));
  renameSync(join(staging, 'sql'), join(cache, 'temporal-sql-tool'));
}

export async function temporalServerBinaries(): Promise<ServerBinaries> {
  const cache = serverCacheDir();
  const cached = { server: join(cache, 'temporal-server'), sqlTool: join(cache, 'temporal-sql-tool') };
  const server = process.env.TEMPORAL_SERVER_PATH ?? cached.server;
  const sqlTool = process.env.TEMPORAL_SQL_TOOL_PATH ?? cached.sqlTool;
  const schemaDir = process.env.TEMPORAL_SCHEMA_DIR ?? join(cache, 'schema', 'postgresql', 'v12');
  if (!(runs(server) && runs(sqlTool) && existsSync(schemaDir))) {
    if (process.env.TEMPORAL_SERVER_PATH || process.env.TEMPORAL_SQL_TOOL_PATH) {
      throw new Error('TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH do not run, or TEMPORAL_SCHEMA_DIR is missing');
    }
    await goInstall(cache);
  }
  return { server, sqlTool, schemaDir };
}

export interface ClusterOptions {
  binaries: ServerBinaries;
  /** The Temporal CLI (scripts/temporal-cli.ts): its `operator` commands register the namespace and search attributes. */
  cliPath: string;
  postgres: { host: string; port: number; user: string; password: string };
  /** Database names (created when missing). */
  databases?: { persistence: string; visibility: string };
  /** The frontend's gRPC port; the other services take ports from it (see `portsFrom`) unless `ports` says. */
  frontendPort: number;
  /** Every port, when the caller allocated them (tests running side by side: `freeClusterPorts`). */
  ports?: ClusterPorts;
  namespace?: string;
  /** Where its configuration goes (and its log, unless logFile says otherwise). */
  dir: string;
  logFile: string;
}


/**
 * Each service's ports, counted from the frontend's: gRPC, HTTP and metrics just above it; the membership ports in
 * 20000-29999 (the server stores them in a smallint column: a port above 32767 fails its start).
 */
export type ClusterPorts = ReturnType<typeof portsFrom>;

export function portsFrom(frontend: number) {
  const m = 20_000 + (frontend % 10_000);
  return {
    frontend: { grpc: frontend, membership: m, http: frontend + 1 },
    history: { grpc: frontend + 2, membership: m + 1 },
    matching: { grpc: frontend + 3, membership: m + 2 },
    worker: { grpc: frontend + 4, membership: m + 3 },
    metrics: frontend + 5,
  };
}

/** Runs a command to its end without blocking the event loop (a caller may be starting other things meanwhile). */
function run(cmd: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, output }));
  });
}

/** Whether a port is free on 127.0.0.1 now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Ports for a cluster beside others (tests): each one free now, below the ephemeral range; the membership ports in 20000-29999 (smallint). */
export async function freeClusterPorts(): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const pick = async (lo: number, hi: number) => {
    for (;;) {
      const port = lo + Math.floor(Math.random() * (hi - lo));
      if (!taken.has(port) && (await isFree(port))) {
        taken.add(port);
        return port;
      }
    }
  };
  // Below the kernel's ephemeral range (32768-60999): a server killed and restarted on its ports (the fault tests) must
  // find them free again, and another test's listen(0) is never handed one meanwhile (it was: "address already in use").
  const [frontend, http, history, matching, worker, metrics] = [
    await pick(10_000, 20_000), await pick(10_000, 20_000), await pick(10_000, 20_000), await pick(10_000, 20_000), await pick(10_000, 20_000), await pick(10_000, 20_000),
  ];
  const [m1, m2, m3, m4] = [await pick(20_000, 30_000), await pick(20_000, 30_000), await pick(20_000, 30_000), await pick(20_000, 30_000)];
  return {
    frontend: { grpc: frontend, membership: m1, http }, history: { grpc: history, membership: m2 }, matching: { grpc: matching, membership: m3 },
    worker: { grpc: worker, membership: m4 }, metrics,
  };
}

async function sqlTool(o: ClusterOptions, database: string, args: string[], okIf?: RegExp): Promise<void> {
  const p = o.postgres;
  const res = await run(o.binaries.sqlTool, ['--plugin', 'postgres12', '--ep', p.host, '-p', String(p.port), '-u', p.user, '--pw', p.password, '--db', database, ...args]);
  if (res.status !== 0 && !(okIf && okIf.test(res.output))) throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${res.output.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Creates both databases when missing and brings their schema to the binary's version (idempotent, as an upgrade is). */
export async function setUpSchema(o: ClusterOptions): Promise<void> {
  const dbs = o.databases ?? { persistence: 'temporal', visibility: 'temporal_visibility' };
  for (const [database, schema] of [[dbs.persistence, 'temporal'], [dbs.visibility, 'visibility']] as const) {
    await sqlTool(o, database, ['create-database'], /already exists/);
    await sqlTool(o, database, ['setup-schema', '-v', '0.0'], /already exists/); // the versioning tables only; a restart finds them
    await sqlTool(o, database, ['update-schema', '-d', join(o.binaries.schemaDir, schema, 'versioned')]);
  }
}

/** The server's configuration: the development-postgres12 example of the server's source, with our ports and databases. */
export function clusterConfig(o: ClusterOptions): string {
  const dbs = o.databases ?? { persistence: 'temporal', visibility: 'temporal_visibility' };
  const ports = o.ports ?? portsFrom(o.frontendPort);
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: "${database}"
        connectAddr: "${o.postgres.host}:${o.postgres.port}"
        connectProtocol: "tcp"
        user: "${o.postgres.user}"
        password: "${o.postgres.password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (name: keyof Omit<ClusterPorts, 'metrics'>) => {
    const p = ports[name] as { grpc: number; membership: number; http?: number };
    return `
  ${name}:
    rpc:
      grpcPort: ${p.grpc}
      membershipPort: ${p.membership}
      bindOnLocalHost: true${p.http ? `\n      httpPort: ${p.http}` : ''}`;
  };
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:${store(dbs.persistence, 20)}
    postgres-visibility:${store(dbs.visibility, 5)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${ports.metrics}"
services:${service('frontend')}${service('history')}${service('matching')}${service('worker')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend.grpc}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${join(o.dir, 'config', 'dynamicconfig.yaml')}"
  pollInterval: "10s"
`;
}

/** What payflow needs of the server beyond its defaults: Update-with-Start (idempotent starts that deliver a message). */
const DYNAMIC_CONFIG = `frontend.enableExecuteMultiOperation:
  - value: true
limit.maxIDLength:
  - value: 255
`;

const SA_TYPE: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' };

/** The operator's steps, through the CLI: the namespace (3-day retention), then each search attribute (idempotent). */
async function register(o: ClusterOptions, address: string): Promise<void> {
  const namespace = o.namespace ?? 'default';
  const cli = async (args: string[], okIf?: RegExp) => {
    const res = await run(o.cliPath, [...args, '--address', address]);
    if (res.status !== 0 && !(okIf && okIf.test(res.output))) throw new Error(`temporal ${args.slice(0, 3).join(' ')} failed: ${res.output.trim()}`);
  };
  await cli(['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h'], /already (exists|registered)/i);
  for (const sa of ALL_SEARCH_ATTRIBUTES) {
    await cli(['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', sa.name, '--type', SA_TYPE[sa.type]!], /already exists/i);
  }
}

/** The last error or fatal line of the server's log (JSON lines), for the exception that says it did not start. */
function lastError(logFile: string): string {
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : [];
  const line = [...lines].reverse().find((l) => /"level":"(error|fatal)"/.test(l)) ?? lines.at(-1) ?? '';
  return (/"error":"([^"]{1,300})/.exec(line)?.[1] ?? /"msg":"([^"]{1,300})/.exec(line)?.[1] ?? line.slice(0, 300));
}

export async function startTemporalCluster(o: ClusterOptions): Promise<RunningDevServer> {
  mkdirSync(join(o.dir, 'config'), { recursive: true });
  mkdirSync(dirname(o.logFile), { recursive: true });
  await setUpSchema(o);
  writeFileSync(join(o.dir, 'config', 'development.yaml'), clusterConfig(o));
  writeFileSync(join(o.dir, 'config', 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
  // Its own process group, as the dev server: a terminal's Ctrl-C reaches our orchestrating script, which stops it last.
  const child = spawn(o.binaries.server, ['--allow-no-auth', '--root', o.dir, '--config', 'config', '--env', 'development', 'start'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const address = `127.0.0.1:${o.frontendPort}`;
  const server = await superviseUntilReady(child, {
    name: 'Temporal server', address, logFile: o.logFile, timeoutMs: 120_000, pollMs: 500, forceKillMs: 15_000, whyExited: () => lastError(o.logFile),
  });
  await register(o, address);
  return server;
}

if (process.argv[1]?.endsWith('temporal-cluster.ts')) {
  temporalServerBinaries().then((b) => process.stdout.write(`${JSON.stringify(b)}\n`), (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
