/**
 * Worker shutdown on the real Temporal server: an activity in flight finishes within the grace and the collection
 * carries on with the next worker; an activity that ignores its cancellation does not hang the shutdown (the
 * worker gives up SHUTDOWN_FORCE_MARGIN_SECONDS after the grace and run() fails, so the process exits and is
 * restarted).
 */
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import type { EhrAdapter, PaymentRequest } from '../../ehr/adapter';
import { useTestStack, type TestStack } from '../support/harness';
import { seedScenario, type Scenario } from '../support/fixtures';

/** The stand-in as EHR, except that openPaymentRequest first reports that it was called, then does `then`. */
function gatedEhr(stack: TestStack, then: (call: () => Promise<PaymentRequest>) => Promise<PaymentRequest>) {
  const real = createHttpEhrAdapter({ baseUrl: stack.standin.url });
  let entered!: () => void;
  const called = new Promise<void>((resolve) => (entered = resolve));
  const ehr: EhrAdapter = {
    ...real,
    openPaymentRequest: (input) => {
      entered();
      return then(() => real.openPaymentRequest(input));
    },
  };
  return { ehr, called };
}

/** Starts a copay collection over HTTP without waiting: the response needs a worker to finish the run's first step. */
function startCopayInBackground(stack: TestStack, s: Scenario) {
  return fetch(`${stack.apiUrl}/v1/visits/${s.visitId}/copay-collections`, {
    method: 'POST', signal: AbortSignal.timeout(30_000),
    headers: { ...s.auth('frontDesk'), 'Content-Type': 'application/json' }, body: JSON.stringify({ amountCents: 2500 }),
  });
}

describe('worker shutdown', () => {
  // Each test starts the worker with its own EHR adapter.
  const stack = useTestStack({ worker: false });

  it('an activity in flight finishes within the grace; the collection continues on the next worker, its payment request opened once', async () => {
    const { ehr, called } = gatedEhr(stack, async (call) => {
      await new Promise((r) => setTimeout(r, 500)); // still running when the shutdown begins
      return call();
    });
    const s = await seedScenario(stack.db);
    await stack.startWorker({ ehr, shutdownGraceSeconds: 5 });
    const response = startCopayInBackground(stack, s);
    await called;
    await stack.stopWorker(); // resolves: the activity finished inside the grace

    await stack.startWorker();
    const res = await response;
    expect(res.status).toBe(201);
    const body = (await res.json()) as { paymentRequest: { requestId: string } };
    expect(stack.standin.paymentRequest(body.paymentRequest.requestId)?.input).toMatchObject({ reason: 'copay', amountCents: 2500 });
    await stack.stopWorker();
  });

  it('an activity that ignores its cancellation: run() fails after the grace and the margin instead of hanging', async () => {
    const { ehr, called } = gatedEhr(stack, () => new Promise(() => undefined)); // never settles, ignores the abort
    const s = await seedScenario(stack.db);
    await stack.startWorker({ ehr, shutdownGraceSeconds: 1 });
    const response = startCopayInBackground(stack, s);
    await called;
    // The SDK gives up (GracefulShutdownPeriodExpiredError, logged as "Worker failed"); run() rejects, so the
    // process's entry point exits non-zero rather than waiting for the activity.
    await expect(stack.stopWorker()).rejects.toThrow();

    // The run is still waiting for its activity: end it, and with it the API request waiting on its first step.
    const { workflow_id: workflowId } = await stack.db('collections').where({ visit_id: s.visitId }).first('workflow_id');
    await stack.client.workflow.getHandle(workflowId).terminate('test: the worker running its activity was given up');
    expect((await response).status).toBeGreaterThanOrEqual(400);
  }, 40_000);
});
