/**
 * Stripe's official mock server, stripe-mock (https://github.com/stripe/stripe-mock): the Stripe API from its OpenAPI
 * description, stateless, answering fixtures, and refusing any request the description does not allow. The Stripe
 * adapter's tests run the official SDK against it (processor/stripe-processor.ts, docs/card-on-file-and-plans.md).
 *
 * The binary, first hit wins (as the Temporal CLI, scripts/temporal-cli.ts):
 *   1. STRIPE_MOCK_PATH, or `stripe-mock` on PATH;
 *   2. the per-machine build in ~/.cache/payflow/stripe-mock/ (outside the clone: fresh clones reuse it);
 *   3. `go install github.com/stripe/stripe-mock@latest` into that cache (official source via the Go proxy), with
 *      progress on stderr.
 *
 *   node --import tsx scripts/stripe-mock.ts           builds (if needed) and prints the binary's path
 *   node --import tsx scripts/stripe-mock.ts serve [port]   runs it on 127.0.0.1 (a free port unless told) until Ctrl-C
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port';

export const STRIPE_MOCK_MODULE = 'github.com/stripe/stripe-mock@latest';
/** Any key of the test form: stripe-mock checks only its shape. */
export const STRIPE_MOCK_KEY = 'sk_test_123';

export function stripeMockCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'payflow', 'stripe-mock');
}

function onPath(cmd: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

const works = (path: string) => spawnSync(path, ['-version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

function goInstall(cache: string): Promise<void> {
  const go = onPath('go');
  if (!go) return Promise.reject(new Error('Go is not installed'));
  const staging = join(cache, 'staging');
  mkdirSync(staging, { recursive: true });
  process.stderr.write(
    `[stripe-mock] Building Stripe's mock server (${STRIPE_MOCK_MODULE}) from source with Go (first run only).\n` +
      '[stripe-mock] This downloads a few Go modules and compiles them: expect 1-3 minutes on 2 cores.\n',
  );
  const started = Date.now();
  let modules = 0;
  return new Promise((resolve, reject) => {
    const child = spawn(go, ['install', STRIPE_MOCK_MODULE], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      modules += (text.match(/go: downloading/g) ?? []).length;
      tail = (tail + text).slice(-2000);
    });
    const timer = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      process.stderr.write(`[stripe-mock] still building: ${modules > 0 ? `${modules} modules downloaded, compiling` : 'resolving modules, compiling'} (${secs}s elapsed)\n`);
    }, 15_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`go install exited with ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
      renameSync(join(staging, 'stripe-mock'), join(cache, 'stripe-mock'));
      process.stderr.write(`[stripe-mock] built in ${Math.round((Date.now() - started) / 1000)}s\n`);
      resolve();
    });
  });
}

/** The path of a working stripe-mock, building it if needed. Throws with every route's reason. */
export async function ensureStripeMock(): Promise<string> {
  const explicit = process.env.STRIPE_MOCK_PATH;
  if (explicit) {
    if (works(explicit)) return explicit;
    throw new Error(`STRIPE_MOCK_PATH=${explicit} does not run (\`${explicit} -version\` failed)`);
  }
  const reasons: string[] = [];
  const fromPath = onPath('stripe-mock');
  if (fromPath && works(fromPath)) return fromPath;
  reasons.push('no `stripe-mock` on PATH');

  const cache = stripeMockCacheDir();
  const cached = join(cache, 'stripe-mock');
  if (existsSync(cached) && works(cached)) return cached;
  // A build that finished in the staging folder (its move into place interrupted) is as good.
  const staged = join(cache, 'staging', 'stripe-mock');
  if (existsSync(staged) && works(staged)) {
    try {
      renameSync(staged, cached);
    } catch {
      // another process moved it first
    }
    if (works(cached)) return cached;
  }
  reasons.push(`no cached build at ${cached}`);

  try {
    await goInstall(cache);
    if (works(cached)) return cached;
    reasons.push('go install finished but the binary does not run');
  } catch (err) {
    reasons.push(`go install failed: ${(err as Error).message}`);
  }
  throw new Error(
    `Could not obtain stripe-mock:\n  - ${reasons.join('\n  - ')}\n` +
      'Install it yourself (go install github.com/stripe/stripe-mock@latest, or its release binaries) and set STRIPE_MOCK_PATH to the binary.',
  );
}


export interface StripeMockOptions {
  /** The binary (ensureStripeMock() unless told). */
  binary?: string;
  /** 0 or unset: a free port (another is tried if it was taken meanwhile). */
  port?: number;
  /** Its output goes here (appended); kept in memory (the last 16 KB) for error messages either way. */
  logFile?: string;
  /** How long it may take to answer; 30 s unless told. */
  timeoutMs?: number;
}

export interface RunningStripeMock {
  /** http://127.0.0.1:<port>: STRIPE_API_BASE for the SDK. */
  url: string;
  port: number;
  process: ChildProcess;
  /** Its output so far (the last 16 KB). */
  output(): string;
  /** SIGTERM, SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

async function startOnce(binary: string, port: number, o: StripeMockOptions): Promise<RunningStripeMock> {
  // On loopback only. `-http-port N` would listen on every interface; `-http-addr` alone also opens HTTPS on the fixed
  // port 12112 (two at once collide), so its HTTPS side gets a port of the system's choosing on loopback, unused.
  const child = spawn(binary, ['-http-addr', `127.0.0.1:${port}`, '-https-addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const log = o.logFile ? (mkdirSync(dirname(o.logFile), { recursive: true }), createWriteStream(o.logFile, { flags: 'a' })) : undefined;
  const take = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16_384);
    log?.write(chunk);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => {
    exited = code;
    log?.end();
    resolve();
  }));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited !== undefined) return;
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.kill('SIGTERM');
    await exit;
    clearTimeout(force);
  };
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) throw Object.assign(new Error(`stripe-mock exited with code ${exited}: ${output.trim().split('\n').slice(-3).join(' | ')}`), { output });
    try {
      // Any authenticated read answers 200 with a fixture once it routes requests.
      const res = await fetch(`${url}/v1/customers/cus_ready`, { headers: { Authorization: `Bearer ${STRIPE_MOCK_KEY}` }, signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`stripe-mock did not answer on ${url} within ${(o.timeoutMs ?? 30_000) / 1000}s: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, process: child, output: () => output, stop };
}

/** Starts stripe-mock on 127.0.0.1 and waits until it answers. */
export async function startStripeMock(o: StripeMockOptions = {}): Promise<RunningStripeMock> {
  const binary = o.binary ?? (await ensureStripeMock());
  for (let attempt = 1; ; attempt++) {
    const port = o.port || (await freePort());
    try {
      return await startOnce(binary, port, o);
    } catch (err) {
      // The free port was taken between the pick and the start: another one (only when we picked it).
      const taken = /address already in use/i.test((err as { output?: string }).output ?? '');
      if (!taken || o.port || attempt >= 3) throw err;
    }
  }
}

if (require.main === module) {
  const [command, portArg] = process.argv.slice(2);
  if (command === 'serve') {
    startStripeMock({ port: portArg ? Number(portArg) : 0 }).then(
      (mock) => {
        process.stdout.write(`stripe-mock listening on ${mock.url} (STRIPE_API_BASE=${mock.url} STRIPE_SECRET_KEY=${STRIPE_MOCK_KEY}); Ctrl-C stops it\n`);
        const stop = () => void mock.stop().then(() => process.exit(0));
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      },
      (err: Error) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      },
    );
  } else {
    ensureStripeMock().then(
      (path) => process.stdout.write(`${path}\n`),
      (err: Error) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      },
    );
  }
}
