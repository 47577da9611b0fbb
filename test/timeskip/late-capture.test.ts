/**
 * Late captures at their real durations (time-skipping tier, see ./support.ts): the 24-hour capture window
 * (CAPTURE_WINDOW) and the 24-hour wait for a capture the EHR took before it refused our cancellation
 * (LATE_CAPTURE_WAIT). The statement's own expiry is in ./statement.test.ts.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cancelUpdate, captureUpdate, statusQuery } from '../../workflows/collection-messages';
import { captureOf, copayMocks, newWorld, startCopay } from './copay-world';
import { DEFAULTS, HOUR_MS, Mocks, START_TIMEOUT_MS, dayOf, startTimeSkipping, withWorker } from './support';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
}, START_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

const hoursOf = (ms: number, t0: number) => dayOf(ms, t0) * 24;

test('the defaults are the real durations', () => {
  expect(DEFAULTS.CAPTURE_WINDOW).toBe(24 * HOUR_MS);
  expect(DEFAULTS.LATE_CAPTURE_WAIT).toBe(24 * HOUR_MS);
});

test('no capture within the 24-hour window: the EHR cancels its request, the collection expires, a capture after that is refused', async () => {
  const mocks = new Mocks();
  await withWorker(env, copayMocks(mocks, newWorld()), async ({ taskQueue, track }) => {
    const { handle, collectionId, t0 } = await startCopay(env, taskQueue);
    track(handle);
    await env.sleep('23 hours');
    expect((await handle.query(statusQuery)).status).toBe('awaiting_capture');
    expect(mocks.of('cancelPaymentRequest')).toHaveLength(0);

    await expect(handle.result()).resolves.toEqual({ status: 'expired', appliedCents: 0 });
    const [cancel] = mocks.of('cancelPaymentRequest');
    expect(hoursOf(cancel!.at, t0)).toBeGreaterThanOrEqual(24);
    expect(hoursOf(cancel!.at, t0)).toBeLessThan(24.1);
    expect(mocks.of('setCollectionStatus').map((c) => c.input.status)).toEqual(['awaiting_capture', 'expired']);

    // The run is closed: the EHR's capture webhook is refused (the API answers 409), nothing is recorded.
    await expect(handle.executeUpdate(captureUpdate, { args: [captureOf(collectionId, t0)] })).rejects.toThrow();
    expect(mocks.of('recordCapturedPayment')).toHaveLength(0);
  });
});

test('the EHR refuses the cancellation (it captured first): the run waits 24 hours more, and a capture 20 hours late is taken', async () => {
  const mocks = new Mocks();
  await withWorker(env, copayMocks(mocks, newWorld({ cancelOutcome: 'already_closed' })), async ({ taskQueue, track }) => {
    const { handle, collectionId, t0 } = await startCopay(env, taskQueue);
    track(handle);
    await env.sleep('25 hours');
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('awaiting_capture');
    expect(hoursOf(new Date(view.waitingUntil!).getTime(), t0)).toBeCloseTo(48, 1); // window + LATE_CAPTURE_WAIT
    expect(hoursOf(mocks.of('cancelPaymentRequest')[0]!.at, t0)).toBeCloseTo(24, 1);
    // Staff cannot cancel either: the money is on its way.
    await expect(handle.executeUpdate(cancelUpdate, { args: [{ collectionId, reason: 'patient left', actor: 'front-desk-1' }] }))
      .rejects.toMatchObject({ cause: { message: expect.stringContaining('refused to cancel') } });

    await env.sleep('19 hours'); // hour 44: the EHR's webhook finally gets through
    await expect(handle.executeUpdate(captureUpdate, { args: [captureOf(collectionId, t0)] })).resolves.toMatchObject({ accepted: true });
    await env.sleep('1 minute');
    const [recorded] = mocks.of('recordCapturedPayment');
    expect(hoursOf(recorded!.at, t0)).toBeCloseTo(44, 1);
    expect((await handle.query(statusQuery)).status).toBe('awaiting_transfer');
  });
});

test('…but not for ever: no capture within those 24 hours more, it expires at hour 48 and refuses a capture after that', async () => {
  const mocks = new Mocks();
  await withWorker(env, copayMocks(mocks, newWorld({ cancelOutcome: 'already_closed' })), async ({ taskQueue, track }) => {
    const { handle, collectionId, t0 } = await startCopay(env, taskQueue);
    track(handle);
    await env.sleep('47 hours');
    expect((await handle.query(statusQuery)).status).toBe('awaiting_capture');

    await expect(handle.result()).resolves.toEqual({ status: 'expired', appliedCents: 0 });
    const closedAfter = hoursOf((await handle.describe()).closeTime!.getTime(), t0);
    expect(closedAfter).toBeGreaterThanOrEqual(48);
    expect(closedAfter).toBeLessThan(48.1);
    await expect(handle.executeUpdate(captureUpdate, { args: [captureOf(collectionId, t0)] })).rejects.toThrow();
    expect(mocks.of('recordCapturedPayment')).toHaveLength(0);
  });
});
