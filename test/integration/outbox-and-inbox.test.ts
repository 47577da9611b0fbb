/**
 * Issue 11, in process on the real Temporal + PostgreSQL harness (the same scenarios with killed processes are in
 * test/fault/): the transactional outbox for messages to runs, the atomic webhook inbox, Collect Now answering 202
 * while the EHR is slow, and the reconciler of collections left `starting`.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ClearinghouseEvent } from '../../ehr/events';
import type { EhrAdapter } from '../../ehr/adapter';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { signWebhook } from '../../lib/webhook-signature';
import { createApiMetrics, metricsApp } from '../../server/metrics';
import { createCopayCollection } from '../../db/queries/collections';
import { reconcileStartingCollections } from '../../worker/starting-reconciler';
import { DEFAULT_TEST_WINDOWS, TEST_SECRETS, useTestStack, type TestStack } from '../support/harness';
import { eventually, seedScenario, transferToPatient, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, startCopay } from '../support/copay-driver';

function claimEvent(claim: Scenario['claim']): ClearinghouseEvent {
  return { eventId: `evt_${randomUUID()}`, type: 'claim.upserted', occurredAt: new Date().toISOString(), data: claim };
}

function postClearinghouse(stack: TestStack, event: ClearinghouseEvent) {
  const raw = JSON.stringify(event);
  return request(stack.app).post('/webhooks/clearinghouse')
    .set('Content-Type', 'application/json')
    .set('Payflow-Signature', signWebhook(raw, TEST_SECRETS.clearinghouse, Math.floor(Date.now() / 1000)))
    .send(raw);
}

const messagesFor = (stack: TestStack, workflowId: string) => stack.db('run_messages').where({ workflow_id: workflowId }).orderBy('id');

describe('messages to runs go through the outbox', () => {
  const stack = useTestStack();

  it('a claim transfer while no relay runs is stored with its message, answered 200, and delivered once a relay runs', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');

    await stack.stopWorker(); // the worker and its relay: nothing can tell the run now
    const event = claimEvent(transferToPatient(s, 2500));
    const first = await postClearinghouse(stack, event);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'updated' });
    const [queued] = await messagesFor(stack, started.workflowId);
    expect(queued).toMatchObject({ message: 'responsibilityChanged', delivered_at: null, payload: { eventId: event.eventId, responsibility: 'patient' } });

    // The clearinghouse redelivers: the same answer, nothing new stored.
    const again = await postClearinghouse(stack, event);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    expect(await messagesFor(stack, started.workflowId)).toHaveLength(1);
    // Engineers see it waiting (operations guide: alert on its age).
    expect((await request(metricsApp(createApiMetrics({ db: stack.db, log: stack.log }), stack.log)).get('/metrics')).text).toMatch(/^payflow_run_messages_pending 1$/m);

    await stack.startWorker();
    // A new worker: the run's task waits out the old worker's sticky queue first, and a loaded machine adds to that.
    const applied = await collectionWhen(stack, s, started.collectionId, 'applied', 60_000);
    expect(applied.applications).toEqual([expect.objectContaining({ amountCents: 2500 })]);
    const [delivered] = await messagesFor(stack, started.workflowId);
    expect(delivered).toMatchObject({ outcome: 'delivered', attempts: 1 });
    expect((await request(metricsApp(createApiMetrics({ db: stack.db, log: stack.log }), stack.log)).get('/metrics')).text).toMatch(/^payflow_run_messages_pending 0$/m);
  });

  it('a message to a run that has finished is closed as run_closed, not retried forever', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    await stack.client.workflow.getHandle(started.workflowId).terminate('test: the run is gone');
    const res = await postClearinghouse(stack, claimEvent(transferToPatient(s, 2500)));
    expect(res.status).toBe(200);
    await eventually(async () => ((await messagesFor(stack, started.workflowId))[0]?.outcome === 'run_closed' ? true : undefined), 10_000, 'run_closed');
  });

  it('50 simultaneous identical deliveries: one acts (one claim version, one message), all get the same answer', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    const event = claimEvent(transferToPatient(s, 2500));

    const answers = await Promise.all(Array.from({ length: 50 }, () => postClearinghouse(stack, event)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const bodies = answers.map((a) => JSON.stringify({ ...a.body, duplicate: undefined }));
    expect(new Set(bodies).size).toBe(1);
    expect(answers.filter((a) => a.body.duplicate !== true)).toHaveLength(1); // exactly one delivery acted
    expect(JSON.parse(bodies[0]!)).toMatchObject({ status: 'updated' });
    expect(await messagesFor(stack, started.workflowId)).toHaveLength(1);
    await collectionWhen(stack, s, started.collectionId, 'applied');
  });

  it('a delivery whose process died mid-action (claimed, never answered) is taken over once its lease has run out', async () => {
    const s = await seedScenario(stack.db);
    const event = claimEvent(transferToPatient(s, 0));
    // What a killed API leaves: the event claimed, no answer, no change.
    await stack.db('webhook_inbox').insert({ source: 'clearinghouse', event_id: event.eventId, event_type: event.type, payload: JSON.stringify(event), claimed_at: stack.db.raw("now() - interval '1 minute'") });
    const res = await postClearinghouse(stack, event);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'updated' });
    expect(await stack.db('claims').where({ id: res.body.claimId }).first()).toMatchObject({ responsibility: 'patient', source_version: s.claim.version });
  });
});

describe('Collect Now while the EHR is slow', () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const stack = useTestStack({ worker: false });

  beforeAll(async () => {
    const real = createHttpEhrAdapter({ baseUrl: stack.standin.url });
    // The EHR answers its first payment request only once the test lets it (a slow or down EHR, seen from the run).
    const slow: EhrAdapter = { ...real, openPaymentRequest: async (input) => (await gate, real.openPaymentRequest(input)) };
    await stack.startWorker({ ehr: slow });
  });
  afterAll(() => release());

  it('answers 202 with the collection and a Location within seconds; the link follows once the EHR answers', async () => {
    const s = await seedScenario(stack.db);
    const app = stack.makeApp({ windows: { ...DEFAULT_TEST_WINDOWS, paymentLinkWaitMs: 1000 } });
    const startedAt = Date.now();
    const res = await request(app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 2500 });
    const seconds = (Date.now() - startedAt) / 1000;
    expect(res.status).toBe(202);
    expect(seconds).toBeLessThan(5);
    expect(res.headers.location).toBe(`/v1/collections/${res.body.collectionId}`);
    expect(res.body).toMatchObject({ status: 'starting', paymentRequest: null, existing: false });

    // Pressed again meanwhile: the same collection, still pending.
    const again = await request(app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 2500 });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ collectionId: res.body.collectionId, existing: true });

    release();
    const ready = await collectionWhen(stack, s, res.body.collectionId, 'awaiting_capture');
    expect(ready.paymentRequest.url).toMatch(/^http/);
  });
});

describe('collections left starting get their run', () => {
  const stack = useTestStack();

  it('the reconciler starts the run of a row with none (the API died, or Temporal was down, after the insert)', async () => {
    const s = await seedScenario(stack.db);
    const { collection } = await createCopayCollection(stack.db, { practiceId: s.practiceId, patientId: s.patientId, visitId: s.visitId, amountCents: 2500, createdBy: 'test' });
    await expect(stack.client.workflow.getHandle(collection.workflow_id).describe()).rejects.toThrow(/not found/i);

    const options = { db: stack.db, client: stack.client, taskQueue: stack.taskQueue, windows: DEFAULT_TEST_WINDOWS, log: stack.log };
    expect(await reconcileStartingCollections({ ...options, afterMs: 60_000 })).toBe(0); // too young: Collect Now may still be starting it
    await stack.db('collections').where({ id: collection.id }).update({ created_at: stack.db.raw("now() - interval '2 minutes'") });
    expect(await reconcileStartingCollections({ ...options, afterMs: 60_000 })).toBe(1);
    expect(await reconcileStartingCollections({ ...options, afterMs: 60_000 })).toBe(0); // checked: not again until afterMs

    const ready = await collectionWhen(stack, s, collection.id, 'awaiting_capture');
    expect(ready.paymentRequest.url).toMatch(/^http/);
    // Collect Now pressed now answers from the same collection and run.
    const res = await request(stack.app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 2500 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ collectionId: collection.id, existing: true, paymentRequest: ready.paymentRequest });
  });
});
