/**
 * Per-test-file isolation on the shared stack: each file gets its own database (cloned from the migrated
 * template) and its own task queue, and everything it opened is closed in afterAll.
 */
import type { CardProcessor } from '../../processor/card-processor';
import type { Notifier } from '../../lib/notifier';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Express } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb, type Db } from '../../db/connection';
import { createApp, type AppDeps } from '../../server/app';
import type { CollectionWindows } from '../../workflows/starts/collection';
import type { EhrAdapter } from '../../ehr/adapter';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { startStandin, type RunningStandin } from '../../ehr/standin';
import { createLogger, type Logger } from '../../lib/logger';
import { deadlineAwareRetryInterceptor } from '../../lib/temporal';
import { createWorker } from '../../worker/create-worker';
import { startWorkerLoops } from '../../worker/loops';
import type { OutboxRelay } from '../../worker/outbox-relay';
import { sdkLogger } from '../../worker/logging';
import { sharedStack, TEMPLATE_DB } from './shared-stack';
import { TEST_CODEC_ENDPOINT, TEST_DATA_CONVERTER } from './codec';

let runtimeInstalled = false;
/** Temporal's runtime logs only warnings in tests, through the worker's own PHI-safe JSON logger (once per jest
 *  worker process). */
export function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: sdkLogger(createLogger('warn', 'payflow-test'), 'warn') });
  } catch {
    // Already installed by an earlier file in this jest worker process.
  }
}

export async function createTestDatabase(): Promise<{ db: Db; url: string; name: string; drop(): Promise<void> }> {
  const stack = sharedStack();
  const name = `t_${randomUUID().replace(/-/g, '')}`;
  const admin = createDb(stack.pgAdminUrl, 1);
  try {
    await admin.raw(`create database ${name} template ${TEMPLATE_DB}`);
  } finally {
    await admin.destroy();
  }
  const url = stack.pgUrlPrefix + name;
  const db = createDb(url, 10);
  return {
    db,
    url,
    name,
    async drop() {
      await db.destroy();
      const a = createDb(stack.pgAdminUrl, 1);
      await a.raw(`drop database if exists ${name} with (force)`);
      await a.destroy();
    },
  };
}

export const TEST_SECRETS = { ehr: 'test-ehr-webhook-secret', clearinghouse: 'test-clearinghouse-webhook-secret' };
/** Collect Now waits for the EHR link as long as a test may take (a cold worker on a busy machine); tests of the 202 set it short. */
export const DEFAULT_TEST_WINDOWS: CollectionWindows = { captureWindowMs: 60 * 60_000, transferWindowMs: 60 * 60_000, reversalWatchMs: 60 * 60_000, paymentLinkWaitMs: 30_000 };

export interface TestStack {
  db: Db;
  dbUrl: string;
  taskQueue: string;
  client: Client;
  app: Express;
  /** The same app listening on a free port (the EHR stand-in sends its webhooks here). */
  apiUrl: string;
  /** The EHR / processor / clearinghouse stand-in, wired to apiUrl with TEST_SECRETS. */
  standin: RunningStandin;
  log: Logger;
  /** Another app on the same database and task queue, e.g. with other collection windows. */
  makeApp(overrides?: Partial<AppDeps>): Express;
  /** Starts (again) a worker on this file's task queue, by default with the stand-in as its EHR; returns it. */
  startWorker(opts?: { ehr?: EhrAdapter; shutdownGraceSeconds?: number; processor?: CardProcessor; notifier?: Notifier }): Promise<Worker>;
  /** The outbox relay beside the running worker (worker/outbox-relay.ts): `drain()` delivers what is due now. */
  relay?: OutboxRelay;
  /** Stops the running worker, if any, letting in-flight tasks finish; rejects if the worker gives up (create-worker.ts). */
  stopWorker(): Promise<void>;
}

/** Call at the top of a describe block: sets up beforeAll/afterAll and returns the live context. */
export function useTestStack(opts: { worker?: boolean; windows?: Partial<CollectionWindows>; reconcileStartingAfterMs?: number } = {}): TestStack {
  const ctx = {} as TestStack;
  let dropDb: () => Promise<void>;
  let clientConnection: Connection;
  let workerConnection: NativeConnection | undefined;
  let running: { worker: Worker; done: Promise<void>; graceSeconds: number } | undefined;
  let server: Server | undefined;

  beforeAll(async () => {
    quietRuntime();
    const stack = sharedStack();
    const database = await createTestDatabase();
    dropDb = database.drop;
    clientConnection = await Connection.connect({ address: stack.temporalAddress, interceptors: [deadlineAwareRetryInterceptor()] }); // as server/main.ts
    ctx.db = database.db;
    ctx.dbUrl = database.url;
    ctx.taskQueue = `test-${randomUUID()}`;
    ctx.client = new Client({ connection: clientConnection, dataConverter: TEST_DATA_CONVERTER }); // payloads encrypted, as in production
    ctx.log = createLogger('silent', 'payflow-test');
    const base: AppDeps = {
      db: ctx.db, temporal: ctx.client, taskQueue: ctx.taskQueue, log: ctx.log,
      webhookSecrets: { ehr: [TEST_SECRETS.ehr], clearinghouse: [TEST_SECRETS.clearinghouse] },
      windows: { ...DEFAULT_TEST_WINDOWS, ...opts.windows },
      codec: TEST_CODEC_ENDPOINT,
      // Tests on a busy shared machine: a Temporal call may be slow without anything being down (outage tests set it short).
      temporalRequestTimeoutMs: 30_000,
    };
    ctx.makeApp = (overrides = {}) => createApp({ ...base, ...overrides });
    ctx.app = ctx.makeApp();
    server = ctx.app.listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    ctx.apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ctx.standin = await startStandin({
      port: 0,
      webhooks: { ehrUrl: `${ctx.apiUrl}/webhooks/ehr`, clearinghouseUrl: `${ctx.apiUrl}/webhooks/clearinghouse` },
      secrets: TEST_SECRETS,
    });
    ctx.startWorker = async ({ ehr, shutdownGraceSeconds = 5, processor, notifier } = {}) => {
      workerConnection ??= await NativeConnection.connect({ address: stack.temporalAddress });
      const worker = await createWorker({
        connection: workerConnection,
        db: ctx.db,
        ehr: ehr ?? createHttpEhrAdapter({ baseUrl: ctx.standin.url }),
        namespace: 'default',
        taskQueue: ctx.taskQueue,
        workflowBundlePath: stack.workflowBundlePath,
        shutdownGraceSeconds,
        dataConverter: TEST_DATA_CONVERTER,
        reversalWatchMs: { ...DEFAULT_TEST_WINDOWS, ...opts.windows }.reversalWatchMs,
        ...(processor ? { processor } : {}),
        ...(notifier ? { notifier } : {}),
      });
      // The outbox relay and the reconciler run beside the worker, as in worker/main.ts.
      const loops = startWorkerLoops({
        db: ctx.db, databaseUrl: ctx.dbUrl, client: ctx.client, taskQueue: ctx.taskQueue, log: ctx.log,
        windows: { ...DEFAULT_TEST_WINDOWS, ...opts.windows }, reconcileStartingAfterMs: opts.reconcileStartingAfterMs ?? 60_000,
      });
      ctx.relay = loops.relay;
      running = { worker, done: worker.run().finally(() => loops.stop()), graceSeconds: shutdownGraceSeconds };
      return worker;
    };
    ctx.stopWorker = async () => {
      if (!running) return;
      const { worker, done, graceSeconds } = running;
      running = undefined;
      worker.shutdown();
      // What the worker still holds, should its shutdown outlast the grace (create-worker.ts gives up 10 s later).
      const slow = setTimeout(() => warnTeardown(`worker still stopping: ${JSON.stringify(worker.getStatus())}`), (graceSeconds + 3) * 1000);
      try {
        await done;
      } finally {
        clearTimeout(slow);
      }
    };
    if (opts.worker !== false) await ctx.startWorker();
  });

  afterAll(async () => {
    // Every step runs even if one fails, and a slow or failing step is named in the output: a teardown that
    // times out otherwise says nothing about what it waited for.
    await teardownStep('stop the worker', () => ctx.stopWorker?.());
    await teardownStep('close the EHR stand-in', () => ctx.standin?.close());
    await teardownStep('close the API server', () => closeServer(server));
    await teardownStep('close the worker connection', () => workerConnection?.close());
    await teardownStep('close the client connection', () => clientConnection?.close());
    await teardownStep('drop the database', () => dropDb?.());
  });

  return ctx;
}

function warnTeardown(message: string) {
  process.stderr.write(`[test harness] ${message}\n`);
}

/** A step that has not finished by then is left behind (named), so the other steps still run within jest's hook timeout. */
const TEARDOWN_STEP_LIMIT_MS = 20_000;

async function teardownStep(name: string, step: () => Promise<unknown> | undefined) {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'limit'>((resolve) => (timer = setTimeout(() => resolve('limit'), TEARDOWN_STEP_LIMIT_MS)));
  try {
    if ((await Promise.race([Promise.resolve(step()), limit])) === 'limit') warnTeardown(`${name} did not finish within ${TEARDOWN_STEP_LIMIT_MS / 1000} s; left behind`);
  } catch (err) {
    warnTeardown(`${name} failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const seconds = (Date.now() - started) / 1000;
  if (seconds > 5) warnTeardown(`${name} took ${seconds.toFixed(1)} s`);
}

/** Closes the server and the connections a browser may still hold open (close() alone waits for them). */
function closeServer(server: Server | undefined): Promise<void> | undefined {
  if (!server) return undefined;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}
