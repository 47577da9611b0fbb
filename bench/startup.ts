/**
 * Start-up time and memory of the API and the worker, two ways (issue 19): TypeScript through the tsx loader
 * (`node --import tsx server/main.ts`, the dev stack's way) and the production build (`node dist/server/main.js`, after
 * `npm run build`). One embedded PostgreSQL and one Temporal dev server for all rounds; each round starts the process,
 * times it until it is ready (the API's /readyz answers 200; the worker logs "worker started"), reads its RSS from /proc
 * then, and stops it. Rounds alternate the two ways, so a busy moment of this shared machine falls on both.
 *
 *   npm run build && node --import tsx bench/startup.ts [--rounds 5] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../db/connection';
import { migrateLatest } from '../db/migrate';
import { startEmbeddedPostgres } from '../scripts/postgres';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { startDevServer } from '../scripts/temporal-server';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 5);
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const root = join(__dirname, '..');

type Way = 'tsx' | 'dist';
type Kind = 'api' | 'worker';
const ENTRY: Record<Kind, Record<Way, string[]>> = {
  api: { tsx: ['--import', 'tsx', 'server/main.ts'], dist: ['dist/server/main.js'] },
  worker: { tsx: ['--import', 'tsx', 'worker/main.ts'], dist: ['dist/worker/main.js'] },
};

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function once(kind: Kind, way: Way, env: NodeJS.ProcessEnv, port: number): Promise<{ ms: number; rssMb: number }> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ENTRY[kind][way], { cwd: root, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${kind} (${way}) exited: ${out.slice(-800)}`);
      if (Date.now() > deadline) throw new Error(`${kind} (${way}) not ready within 60 s: ${out.slice(-800)}`);
      const ready = kind === 'worker'
        ? out.includes('"worker started"')
        : await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, rssMb: rssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  if (!existsSync(join(root, 'dist', 'server', 'main.js'))) throw new Error('run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'payflow-startup-'));
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: 55_433, persistent: false });
  const temporal = await startDevServer({ cliPath: await ensureTemporalCli(), port: 57_233, logFile: join(dir, 'temporal.log') });
  try {
    const admin = createDb(pg.adminUrl, 1);
    await admin.raw('create database payflow_startup');
    await admin.destroy();
    const db = createDb(pg.urlFor('payflow_startup'), 1);
    await migrateLatest(db);
    await db.destroy();
    const env = {
      ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', // the worker says "worker started" at info
      DATABASE_URL: pg.urlFor('payflow_startup'), TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'startup-bench', WORKFLOW_BUNDLE_PATH: join(root, 'dist', 'workflow-bundle.js'), WORKER_METRICS_PORT: '59464', API_METRICS_PORT: '59465',
    };
    const results: Record<string, { ms: number[]; rssMb: number[] }> = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ['api', 'worker'] as const) {
        for (const way of (r % 2 ? ['dist', 'tsx'] : ['tsx', 'dist']) as Way[]) {
          const m = await once(kind, way, env, 53_000);
          const k = `${kind} ${way}`;
          results[k] ??= { ms: [], rssMb: [] };
          results[k].ms.push(m.ms);
          results[k].rssMb.push(m.rssMb);
          process.stderr.write(`round ${r + 1} ${k}: ${m.ms.toFixed(0)} ms, ${m.rssMb.toFixed(0)} MiB\n`);
        }
      }
    }
    const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { medianMs: Math.round(median(v.ms)), medianRssMb: Math.round(median(v.rssMb)) }]));
    const report = { date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, rounds: ROUNDS, summary, results };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await temporal.stop();
    await pg.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
