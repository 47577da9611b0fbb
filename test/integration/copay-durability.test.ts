/**
 * The copay workflow's durable behaviour: windows, reversals, messages that arrive before the wait, and a worker
 * killed mid-collection. Records replay histories when RECORD_HISTORIES=1 (see test/replay/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { captureUpdate } from '../../workflows/collection-messages';
import { DEFAULT_TEST_WINDOWS, useTestStack } from '../support/harness';
import { createCopayCollection } from '../../db/queries/collections';
import { superbillCopay } from '../../workflows/superbill-copay';
import { sharedStack } from '../support/shared-stack';
import { freePort } from '../support/global-setup';
import { reverseToPayer, seedScenario, transferToPatient } from '../support/fixtures';
import { capture, collectionWhen, remit, startCopay } from '../support/copay-driver';
import { recordHistory } from '../support/history';

const ROOT = join(__dirname, '../..');

describe('copay collection: windows and reversals', () => {
  const stack = useTestStack();

  it('flags transfer_timeout when no transfer arrives within the window', async () => {
    const s = await seedScenario(stack.db);
    const shortApp = stack.makeApp({ windows: { captureWindowMs: 60_000, transferWindowMs: 1500, reversalWatchMs: 60_000 } });
    const res = await request(shortApp).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 2500 }).expect(201);
    await capture(stack, res.body.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const flagged = await collectionWhen(stack, s, res.body.collectionId, 'needs_attention');
    expect(flagged.openTask).toMatchObject({ reason: 'transfer_timeout' });
    expect(flagged.applications).toEqual([]);
  });

  it('reverses the automatic application by a new entry when the payer reprocesses, waits again, and re-applies', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await remit(stack, transferToPatient(s, 4500));
    const applied = await collectionWhen(stack, s, started.collectionId, 'applied');
    const first = applied.applications[0];

    await remit(stack, reverseToPayer(s));
    const waiting = await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    expect(waiting.applications).toEqual([expect.objectContaining({ applicationId: first.applicationId, reversed: true })]);
    expect(waiting.appliedCents).toBe(0);
    const reversals = await stack.db('application_reversals').where({ application_id: first.applicationId });
    expect(reversals).toHaveLength(1);

    await remit(stack, transferToPatient(s, 4500));
    const reapplied = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(reapplied.applications).toHaveLength(2);
    expect(reapplied.appliedCents).toBe(2500);
    const keys = await stack.db('payment_applications').where({ claim_id: first.claimId }).orderBy('created_at').pluck('business_key');
    expect(keys.map((k: string) => k.replace(/^.*:auto:/, ''))).toEqual(['r1', 'r2']);
    recordHistory(started.workflowId, 'copay-applied-reversed-reapplied');
  });

  it('waits for staff after a flag, and completes when billing resolves', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-21T08:30:00Z');
    await remit(stack, transferToPatient(s, 4500));
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    const claimId = await stack.db('claims').where({ visit_id: s.visitId }).first().then((c) => c.id);
    await request(stack.app)
      .post(`/v1/manual-tasks/${flagged.openTask.id}/resolve`)
      .set(s.auth('billing'))
      .send({ action: 'apply', applications: [{ claimId, amountCents: 2500 }], note: 'patient confirmed the copay was for this visit' })
      .expect(200);
    const resolved = await collectionWhen(stack, s, started.collectionId, 'resolved');
    expect(resolved.applications).toEqual([expect.objectContaining({ kind: 'manual', amountCents: 2500 })]);
    const result = await stack.client.workflow.getHandle(started.workflowId).result();
    expect(result).toMatchObject({ status: 'resolved', appliedCents: 2500 });
    recordHistory(started.workflowId, 'copay-date-mismatch-resolved');
  });
});

describe('copay collection: a capture that arrives before the workflow reaches its wait', () => {
  const stack = useTestStack({ worker: false });

  it('is remembered and honoured', async () => {
    const s = await seedScenario(stack.db);
    const { collection } = await createCopayCollection(stack.db, {
      practiceId: s.practiceId, patientId: s.patientId, visitId: s.visitId, amountCents: 2500, createdBy: 'test',
    });
    // No worker yet: the run is started and the capture update admitted before its code has run at all.
    const handle = await stack.client.workflow.start(superbillCopay, {
      workflowId: collection.workflow_id, taskQueue: stack.taskQueue,
      args: [{ collectionId: collection.id, practiceId: s.practiceId, patientId: s.patientId, visitId: s.visitId, amountCents: 2500, ...DEFAULT_TEST_WINDOWS }],
    });
    const update = handle.executeUpdate(captureUpdate, {
      updateId: 'early-capture',
      args: [{ collectionId: collection.id, eventId: 'evt_early', externalPaymentId: 'pay_early', amountCents: 2500, method: 'cash', paidAt: '2026-11-20T18:00:00Z' }],
    });
    await stack.startWorker();
    await expect(update).resolves.toMatchObject({ accepted: true });
    await remit(stack, transferToPatient(s, 4500));
    const done = await collectionWhen(stack, s, collection.id, 'applied');
    expect(done.payment).toMatchObject({ externalPaymentId: 'pay_early', method: 'cash', amountCents: 2500 });
  });
});

describe('copay collection: the worker is killed between capture and application', () => {
  const stack = useTestStack({ worker: false });
  let worker: ChildProcess | undefined;

  let metricsPort = 0;
  beforeAll(async () => {
    metricsPort = await freePort();
  });

  function startWorkerProcess(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], {
      cwd: ROOT, // one process (a tsx CLI wrapper would die on SIGKILL and leave its child running)
      env: {
        ...process.env, DATABASE_URL: stack.dbUrl, TEMPORAL_ADDRESS: sharedStack().temporalAddress, TEMPORAL_TASK_QUEUE: stack.taskQueue,
        EHR_BASE_URL: stack.standin.url, WORKFLOW_BUNDLE_PATH: sharedStack().workflowBundlePath, LOG_LEVEL: 'silent',
        WORKER_METRICS_PORT: String(metricsPort),
      },
      stdio: 'ignore',
    });
    return child;
  }
  afterAll(() => {
    worker?.kill('SIGKILL');
  });

  it('applies exactly once after a SIGKILL and a restart', async () => {
    const s = await seedScenario(stack.db);
    worker = startWorkerProcess();
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');

    const killed = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGKILL');
    await killed;
    await remit(stack, transferToPatient(s, 4500)); // recorded in history while no worker runs

    worker = startWorkerProcess();
    // A new process on a loaded machine, and the task first waits out the dead worker's sticky queue: allow a minute.
    const done = await collectionWhen(stack, s, started.collectionId, 'applied', 60_000);
    expect(done.applications).toHaveLength(1);
    expect(await stack.db('payments').where({ collection_id: started.collectionId }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 1 }]);
    expect(await stack.db('payment_applications').count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 1 }]);
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
    worker = undefined;
  }, 90_000);
});
