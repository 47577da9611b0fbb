/**
 * The EHR captures before it cancels: when a collection's window ends (or staff cancel it) just as the patient pays,
 * the EHR refuses the cancellation and its capture webhook arrives late (a retry). The collection waits for that
 * capture (LATE_CAPTURE_WAIT) and records it, instead of closing and refusing the patient's money.
 *
 * Real Temporal and PostgreSQL. The EHR here is a stand-in whose webhooks go nowhere (the first delivery is lost);
 * the test then delivers the captured event itself, signed, as the EHR's retry would.
 */
import request from 'supertest';
import type { EhrEvent } from '../../ehr/events';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { startStandin, type RunningStandin } from '../../ehr/standin';
import { signWebhook } from '../../lib/webhook-signature';
import { statusQuery } from '../../workflows/collection-messages';
import { post } from '../support/copay-driver';
import { patchesOf, recordHistory } from '../support/history';
import { eventually, seedScenario, type Scenario } from '../support/fixtures';
import { freePort } from '../support/global-setup';
import { DEFAULT_TEST_WINDOWS, TEST_SECRETS, useTestStack } from '../support/harness';

type Started = { collectionId: string; workflowId: string; paymentRequest: { requestId: string } };

describe('a capture the EHR took before it refused our cancellation', () => {
  // The worker's EHR is the muted stand-in below.
  const stack = useTestStack({ worker: false });
  let ehr: RunningStandin;

  beforeAll(async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    ehr = await startStandin({
      port: 0,
      webhooks: { ehrUrl: `${nobody}/webhooks/ehr`, clearinghouseUrl: `${nobody}/webhooks/clearinghouse` },
      secrets: TEST_SECRETS,
      deliveryTimeoutMs: 1000,
    });
    await stack.startWorker({ ehr: createHttpEhrAdapter({ baseUrl: ehr.url }) });
  });
  afterAll(async () => {
    await ehr?.close(); // after the harness stopped the worker (its afterAll runs first)
  });

  async function start(s: Scenario, windows: { captureWindowMs: number; lateCaptureWaitMs: number }): Promise<Started> {
    const app = stack.makeApp({ windows: { ...DEFAULT_TEST_WINDOWS, ...windows } });
    const res = await request(app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 2500 });
    expect(res.status).toBe(201);
    return res.body as Started;
  }

  /** The patient pays on the EHR; its webhook is lost. Returns the event the EHR will retry. */
  async function captureUndelivered(requestId: string): Promise<EhrEvent> {
    const res = await post(`${ehr.url}/api/payment-requests/${requestId}/capture`, { method: 'card', paidAt: new Date().toISOString() });
    expect(res.status).toBe(200);
    expect(res.body.delivery.status).toBeNull(); // not delivered
    const sent = ehr.sentEvents().find((e) => e.event.eventId === res.body.eventId);
    return sent!.event as EhrEvent;
  }

  /** The EHR's retry of a webhook: the same event, signed now. */
  async function redeliver(event: EhrEvent): Promise<Response> {
    const raw = JSON.stringify(event);
    return fetch(`${stack.apiUrl}/webhooks/ehr`, {
      method: 'POST', body: raw,
      headers: { 'Content-Type': 'application/json', 'Payflow-Signature': signWebhook(raw, TEST_SECRETS.ehr, Math.floor(Date.now() / 1000)) },
    });
  }

  /** Resolves once the run waits for the late capture (its wait now ends long after the capture window). */
  function waitingForLateCapture(workflowId: string) {
    return eventually(async () => {
      const view = await stack.client.workflow.getHandle(workflowId).query(statusQuery);
      return view.status === 'awaiting_capture' && view.waitingUntil && Date.parse(view.waitingUntil) > Date.now() + 30 * 60_000 ? view : undefined;
    }, 20_000, 'the late-capture wait');
  }

  async function collection(s: Scenario, collectionId: string) {
    const res = await request(stack.app).get(`/v1/collections/${collectionId}`).set(s.auth('frontDesk'));
    expect(res.status).toBe(200);
    return res.body as { status: string };
  }

  const paymentsOf = (collectionId: string) => stack.db('payments').where({ collection_id: collectionId }).select('amount_cents');

  it('the window ends as the patient pays: the cancellation is refused, the late capture is recorded and the copay goes on', async () => {
    const s = await seedScenario(stack.db);
    const started = await start(s, { captureWindowMs: 1500, lateCaptureWaitMs: 60 * 60_000 });
    const event = await captureUndelivered(started.paymentRequest.requestId);

    await waitingForLateCapture(started.workflowId); // the window ended; the EHR refused to cancel a captured request
    expect(ehr.paymentRequest(started.paymentRequest.requestId)?.status).toBe('captured');
    expect((await collection(s, started.collectionId)).status).toBe('awaiting_capture');
    // Cancelling now would do nothing: staff are told why.
    const cancel = await request(stack.app).post(`/v1/collections/${started.collectionId}/cancel`).set(s.auth('billing')).send({ reason: 'patient asked' });
    expect(cancel.status).toBe(409);
    expect(cancel.body.detail).toMatch(/refused to cancel.*already paid/);

    const res = await redeliver(event);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'accepted', collectionId: started.collectionId });
    await eventually(async () => ((await collection(s, started.collectionId)).status === 'awaiting_transfer' ? true : undefined), 20_000, 'awaiting_transfer');
    expect(await paymentsOf(started.collectionId)).toEqual([{ amount_cents: 2500 }]);
    expect(await patchesOf(stack.client.workflow.getHandle(started.workflowId))).toContain('late-capture-accepted');
    recordHistory(started.workflowId, 'copay-late-capture');
  });

  it('staff cancel as the patient pays: the same, the money is recorded rather than refused', async () => {
    const s = await seedScenario(stack.db);
    const started = await start(s, { captureWindowMs: 60 * 60_000, lateCaptureWaitMs: 60 * 60_000 });
    const event = await captureUndelivered(started.paymentRequest.requestId);

    const cancel = await request(stack.app).post(`/v1/collections/${started.collectionId}/cancel`).set(s.auth('billing')).send({ reason: 'patient asked' });
    expect(cancel.status).toBe(200);
    await waitingForLateCapture(started.workflowId);

    expect((await redeliver(event)).status).toBe(200);
    await eventually(async () => ((await collection(s, started.collectionId)).status === 'awaiting_transfer' ? true : undefined), 20_000, 'awaiting_transfer');
    expect(await paymentsOf(started.collectionId)).toEqual([{ amount_cents: 2500 }]);
  });

  it('no capture within the late wait: the collection expires, and a capture after that is refused (409)', async () => {
    const s = await seedScenario(stack.db);
    const started = await start(s, { captureWindowMs: 1500, lateCaptureWaitMs: 1500 });
    const event = await captureUndelivered(started.paymentRequest.requestId);

    await eventually(async () => ((await collection(s, started.collectionId)).status === 'expired' ? true : undefined), 20_000, 'expired');
    const res = await redeliver(event);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await paymentsOf(started.collectionId)).toEqual([]);
    recordHistory(started.workflowId, 'copay-late-capture-expired');
  });
});
