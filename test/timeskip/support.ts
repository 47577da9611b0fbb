/**
 * The time-skipping tier: the real workflow code (the production bundle that test/support/global-setup.ts builds with
 * worker/bundle.ts: interceptors and failure converter included) on Temporal's Java test server, which skips time
 * whenever every run is waiting on a timer; activities are mocked (plain functions answering what the real ones would).
 * So a 14-day reminder or a 120-day transfer window runs at its real length in seconds (a 120-day wait that re-reads
 * the claim daily makes ~120 wakes, ~35 ms each here).
 *
 * The test server comes from Maven Central, cached per machine (scripts/temporal-test-server.ts).
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { parseEnv, serviceEnvSchema } from '../../lib/config';
import { ensureTemporalTestServer } from '../../scripts/temporal-test-server';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { TEST_DATA_CONVERTER } from '../support/codec';
import { sharedStack } from '../support/shared-stack';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** The service's defaults (lib/config.ts), i.e. the durations production runs with unless configured otherwise. */
export const DEFAULTS = parseEnv(serviceEnvSchema, { DATABASE_URL: 'postgres://unused@localhost/unused' });

/** Starting the test server may install it first (Maven, first run on a machine): jest's beforeAll gets this long. */
export const START_TIMEOUT_MS = 180_000;

/** The SDK warns at every worker start that the test server does not advertise a capability we do not use. */
const EXPECTED_WARNING = 'activity_failure_include_heartbeat';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      // Core's own logs come through this logger too (forwarded), so the expected warning can be left out.
      telemetryOptions: { logging: { forward: {} } },
      logger: new DefaultLogger('WARN', ({ level, message }) => {
        if (!message.includes(EXPECTED_WARNING)) process.stderr.write(`[temporal ${level}] ${message}\n`);
      }),
    });
  } catch {
    // Another test file in this jest worker process installed it already.
  }
}

/**
 * The SDK gives the server 5 s to listen on its port (fixed in its core), and a JVM on a loaded 2-core machine can
 * take longer even with the install's start-up archive: a start that timed out is tried again (its JVM is stopped).
 */
async function createWithRetry(path: string, attempts = 3): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
        client: { dataConverter: TEST_DATA_CONVERTER },
      });
    } catch (err) {
      if (attempt >= attempts || !/did not start within/.test((err as Error).message)) throw err;
      process.stderr.write(`[timeskip] the test server did not start in time (attempt ${attempt} of ${attempts}); trying again\n`);
    }
  }
}

/** One test server per test file; it is shared by the file's tests (each uses its own workflow ids). */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const path = await ensureTemporalTestServer();
  quietRuntime();
  const env = await createWithRetry(path);
  // The workflows upsert our custom search attributes; the test server accepts only registered ones.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((a) => [a.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}

/** One activity call as the mocks saw it: its input and when (server time, which skips) it was scheduled. */
export interface Call { name: string; input: Record<string, unknown>; at: number }

/**
 * A mock per activity: a plain function taking the real activity's input and returning (or resolving to) what the real
 * one returns, type-checked against it.
 */
export type ActivityMocks = {
  [K in keyof Activities]?: (input: Parameters<Activities[K]>[0]) => Awaited<ReturnType<Activities[K]>> | ReturnType<Activities[K]>;
};

/** Mocked activities that record every call with its (skipped) server time. */
export class Mocks {
  readonly calls: Call[] = [];

  /** Wraps plain functions into activities: each call is recorded, then answered by the function. */
  activities(impl: ActivityMocks): Partial<Activities> {
    const wrapped: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {};
    for (const [name, fn] of Object.entries(impl) as [string, (input: unknown) => unknown][]) {
      wrapped[name] = async (input: Record<string, unknown>) => {
        this.calls.push({ name, input, at: Context.current().info.currentAttemptScheduledTimestampMs });
        return await fn(input);
      };
    }
    return wrapped;
  }

  of(name: keyof Activities): Call[] {
    return this.calls.filter((c) => c.name === name);
  }
}

/** A worker on a fresh task queue of `env`, running the production workflow bundle with these activities. */
export async function startWorker(env: TestWorkflowEnvironment, activities: Partial<Activities>): Promise<{ worker: Worker; taskQueue: string }> {
  const taskQueue = `timeskip-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: sharedStack().workflowBundlePath },
    activities,
    dataConverter: TEST_DATA_CONVERTER,
  });
  return { worker, taskQueue };
}

/**
 * Runs `body` with a worker on a fresh task queue; every run it `track`s is terminated at the end whatever happened:
 * a run left waiting on a timer would otherwise wake, with no worker, when a later test of the file skips time.
 */
export async function withWorker(
  env: TestWorkflowEnvironment, activities: Partial<Activities>,
  body: (ctx: { taskQueue: string; track: <H extends WorkflowHandle>(handle: H) => H }) => Promise<void>,
): Promise<void> {
  const { worker, taskQueue } = await startWorker(env, activities);
  const handles: WorkflowHandle[] = [];
  const track = <H extends WorkflowHandle>(handle: H): H => {
    handles.push(handle);
    return handle;
  };
  await worker.runUntil(async () => {
    try {
      await body({ taskQueue, track });
    } finally {
      for (const h of handles) await h.terminate('test over').catch(() => undefined); // already closed: fine
    }
  });
}

/** Days (fractional) from `startMs` to `ms`, for assertions that read like the business rule ("day 14"). */
export const dayOf = (ms: number, startMs: number) => (ms - startMs) / DAY_MS;
