/**
 * The real worker process (worker/main.ts), as it runs in production: its Prometheus endpoint (the Temporal SDK's
 * runtime metrics and our business metrics through the SDK's meter) and its JSON log lines (workflow id and run id
 * on activity lines; no PHI, even when the EHR answers an error that echoes the patient).
 * Runtime.install is once per process: hence a child process, not this jest worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { useTestStack } from '../support/harness';
import { eventually, seedScenario, transferToPatient } from '../support/fixtures';
import { capture, collectionWhen, remit, startCopay } from '../support/copay-driver';
import { freePort } from '../support/global-setup';
import { sharedStack } from '../support/shared-stack';

const ROOT = join(__dirname, '../..');

/** The EHR, failing its first two payment-request calls with an error body that echoes the patient, then the stand-in. */
function flakyEhr(upstream: string, phi: string[]): Promise<{ server: Server; url: string; failures: () => number }> {
  let failures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/api/payment-requests' && failures < 2) {
        failures++;
        res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: `no slot for ${phi.join(' ')}` }));
        return;
      }
      void fetch(`${upstream}${req.url}`, { method: req.method, headers: { 'Content-Type': 'application/json', ...(req.headers['idempotency-key'] ? { 'Idempotency-Key': String(req.headers['idempotency-key']) } : {}) }, body: chunks.length ? Buffer.concat(chunks) : undefined })
        .then(async (r) => res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await r.arrayBuffer())));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, failures: () => failures })));
}

describe('the worker process: metrics and logs', () => {
  const stack = useTestStack({ worker: false });
  let worker: ChildProcess;
  let ehr: Awaited<ReturnType<typeof flakyEhr>>;
  let metricsUrl: string;
  let output = '';
  let phi: string[];
  let workflowId: string;
  let collectionId: string;

  const lines = () => output.split('\n').filter(Boolean);

  beforeAll(async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const p = await stack.db('patients').where({ id: s.patientId }).first<{ first_name: string; last_name: string; date_of_birth: string; account_id: string }>();
    phi = [p.first_name, p.last_name, p.date_of_birth, p.account_id];
    ehr = await flakyEhr(stack.standin.url, phi);
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], {
      cwd: ROOT, // one process (a tsx CLI wrapper would die on SIGKILL and leave its child running)
      env: {
        ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', DATABASE_URL: stack.dbUrl, TEMPORAL_ADDRESS: sharedStack().temporalAddress,
        TEMPORAL_TASK_QUEUE: stack.taskQueue, WORKFLOW_BUNDLE_PATH: sharedStack().workflowBundlePath, WORKER_METRICS_PORT: String(port),
        EHR_BASE_URL: ehr.url, SHUTDOWN_GRACE_SECONDS: '5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await eventually(() => Promise.resolve(output.includes('"worker started"') ? true : undefined), 30_000, 'the worker to start');

    // A copay end to end through the child worker: the EHR fails twice (retried), then it runs to "applied".
    const started = await startCopay(stack, s, 2500);
    ({ workflowId, collectionId } = started);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    await remit(stack, transferToPatient(s, 4500));
    await collectionWhen(stack, s, started.collectionId, 'applied');
  }, 60_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await new Promise((r) => ehr?.server.close(r));
  });

  it('serves the Temporal SDK metrics and the business metrics on WORKER_METRICS_PORT', async () => {
    const body = await eventually(async () => {
      const text = await (await fetch(metricsUrl)).text();
      return /payflow_capture_to_application_seconds_count\{[^}]*kind="auto"/.test(text) ? text : undefined;
    }, 20_000, 'the business metrics');
    // The SDK's own (worker health: task latencies, pollers, slots, failures).
    expect(body).toMatch(/^temporal_workflow_task_schedule_to_start_latency_bucket\{/m);
    expect(body).toMatch(/^temporal_activity_execution_failed_total\{[^}]*activity_type="openPaymentRequest"[^}]*\} 2$/m);
    expect(body).toMatch(/^temporal_worker_task_slots_available\{/m);
    // Ours: collections started, finished by outcome, capture → application (months-scale buckets).
    expect(body).toMatch(/^payflow_collections_started_total\{[^}]*path="copay"[^}]*\} 1$/m);
    expect(body).toMatch(/^payflow_collections_finished_total\{[^}]*outcome="applied"[^}]*\} 1$/m);
    expect(body).toMatch(/^payflow_capture_to_application_seconds_bucket\{[^}]*le="15552000"[^}]*\} 1$/m);
    expect(body).not.toContain(phi[1]);
  });

  it('listens for metrics on loopback only by default (WORKER_METRICS_HOST)', async () => {
    const outside = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    if (!outside) return; // a machine with loopback only: nothing to reach from outside
    const port = new URL(metricsUrl).port;
    await expect(fetch(`http://${outside}:${port}/metrics`)).rejects.toThrow();
    expect((await fetch(metricsUrl)).status).toBe(200);
  });

  it('logs JSON, one line per event, with workflow id and run id on activity lines, and no PHI', async () => {
    const parsed = lines().map((l) => JSON.parse(l) as Record<string, unknown>); // every line is JSON
    const failed = parsed.filter((l) => l.msg === 'Activity failed' && l.activityType === 'openPaymentRequest');
    expect(failed).toHaveLength(2);
    const runId = (await stack.client.workflow.getHandle(workflowId).describe()).runId;
    expect(failed[0]).toMatchObject({
      level: 40, service: 'payflow-worker', workflowId, runId, workflowType: 'superbillCopay', attempt: 1,
      error: { type: 'EhrAdapterError', message: 'EHR openPaymentRequest failed with HTTP 503' },
    });
    expect(failed[0]).not.toHaveProperty('taskToken');
    expect(ehr.failures()).toBe(2);
    for (const value of phi) expect(output).not.toContain(value);
    expect(output).not.toContain('no slot for');
    expect(output).toContain(collectionId ? workflowId : 'unreachable');
  });

  it('stores the failures of the retried activity encoded: no message or stack trace in plain text', async () => {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events!.map((e) => e.activityTaskStartedEventAttributes).find((a) => a?.lastFailure);
    expect(started?.attempt).toBe(3);
    const failure = started!.lastFailure!;
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace ?? '').toBe('');
    expect(Buffer.from(failure.encodedAttributes!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(JSON.stringify(history)).not.toContain('failed with HTTP 503');
  });
});
