/**
 * The API under fuzz: a real `server/main.ts` process (as deployed: its own config, logger, process-level handlers) on
 * this test file's database and task queue, spoken to over HTTP. Jest sandboxes `process` (a test cannot listen to
 * the real process's `unhandledRejection`), so a separate process is the honest way to see a crash: it exits. Its
 * stdout and stderr are kept: every line must be one JSON log line (no raw stack trace, no raw database error), and
 * error-level lines are attributed to the request that was answered when they came.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/global-setup';
import { TEST_SECRETS, type TestStack } from '../support/harness';
import { sharedStack } from '../support/shared-stack';

const ROOT = join(__dirname, '../..');

export const FUZZ_PORTAL_SECRET = 'fuzz-portal-secret-0123456789abcdefghijklmnop';
export const FUZZ_PAYMENT_LINK_SECRET = 'fuzz-payment-link-secret-0123456789abcdefghij';

export interface OutputLine {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
  /** pino level when the line is JSON with a numeric level. */
  level?: number;
  json: boolean;
}

export class ApiProcess {
  url = '';
  child: ChildProcess | undefined;
  /** Every line the process wrote, in order (both streams). */
  readonly lines: OutputLine[] = [];
  /** Exits seen (code or signal), each with the time. */
  readonly exits: { at: number; code: number | null; signal: string | null }[] = [];
  starts = 0;
  private stopping = false;

  constructor(private readonly stack: TestStack) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.starts++;
    this.stopping = false;
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/main.ts')], {
      cwd: ROOT, // one process (a tsx CLI wrapper would die on SIGKILL and leave its child running)
      env: {
        ...process.env, NODE_ENV: 'test', DATABASE_URL: this.stack.dbUrl, PORT: String(port), TEMPORAL_ADDRESS: sharedStack().temporalAddress,
        TEMPORAL_TASK_QUEUE: this.stack.taskQueue, LOG_LEVEL: 'warn', PUBLIC_BASE_URL: this.url, PORTAL_TRUSTED_PROXY_HOPS: '1',
        EHR_WEBHOOK_SECRETS: TEST_SECRETS.ehr, CLEARINGHOUSE_WEBHOOK_SECRETS: TEST_SECRETS.clearinghouse,
        PORTAL_SECRET: FUZZ_PORTAL_SECRET, PAYMENT_LINK_SECRET: FUZZ_PAYMENT_LINK_SECRET,
        // The card processor: the harness's stand-in (its development token), so card-on-file routes answer as in production.
        PROCESSOR_STANDIN_URL: `${this.stack.standin.url}/processor`,
        // A busy shared machine: a Temporal call may be slow without anything being down (as the harness's apps).
        TEMPORAL_REQUEST_TIMEOUT: '30s', PAYMENT_LINK_WAIT: '10s', DB_POOL_MAX: '5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        partial += chunk;
        const parts = partial.split('\n');
        partial = parts.pop()!;
        for (const text of parts) if (text.trim() !== '') this.lines.push(lineOf(stream, text));
      });
      child[stream].on('end', () => {
        if (partial.trim() !== '') this.lines.push(lineOf(stream, partial));
        partial = '';
      });
    }
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.exits.push({ at: Date.now(), code, signal });
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const up = await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false);
      if (up) return;
      if (child.exitCode !== null) throw new Error(`the API process exited at start (code ${child.exitCode}): ${this.tail(10)}`);
      if (Date.now() > deadline) throw new Error(`the API process did not start within 90 s: ${this.tail(10)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last n output lines, for a failure message. */
  tail(n: number): string {
    return this.lines.slice(-n).map((l) => `[${l.stream}] ${l.text.slice(0, 500)}`).join('\n');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

function lineOf(stream: 'stdout' | 'stderr', text: string): OutputLine {
  let level: number | undefined;
  let json = false;
  try {
    const parsed: unknown = JSON.parse(text);
    json = typeof parsed === 'object' && parsed !== null;
    const l = (parsed as { level?: unknown }).level;
    if (typeof l === 'number') level = l;
  } catch {
    json = false;
  }
  return { at: Date.now(), stream, text, level, json };
}
