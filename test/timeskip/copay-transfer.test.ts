/**
 * The superbill copay's long waits at their real durations (time-skipping tier, see ./support.ts): the 120-day wait for
 * the claim's responsibility to transfer to the patient (re-reading the claim once a day), and the 120-day watch for a
 * payer reversal after an automatic application.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { captureUpdate, resolveUpdate, responsibilityChangedSignal, statusQuery } from '../../workflows/collection-messages';
import { COPAY_CENTS, captureOf, copayMocks, moveClaim, newWorld, startCopay } from './copay-world';
import { DAY_MS, DEFAULTS, HOUR_MS, Mocks, START_TIMEOUT_MS, dayOf, startTimeSkipping, withWorker } from './support';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
}, START_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

test('the defaults are the real durations', () => {
  expect(DEFAULTS.COPAY_TRANSFER_WINDOW).toBe(120 * DAY_MS);
  expect(DEFAULTS.COPAY_REVERSAL_WATCH).toBe(120 * DAY_MS);
  expect(DEFAULTS.CAPTURE_WINDOW).toBe(24 * HOUR_MS);
});

describe('the 120-day transfer wait', () => {
  test('a capture in the window\'s last hour is taken; no transfer within 120 days opens a transfer_timeout task on day 120', async () => {
    const mocks = new Mocks();
    const world = newWorld();
    await withWorker(env, copayMocks(mocks, world), async ({ taskQueue, track }) => {
      const { handle, collectionId, t0 } = await startCopay(env, taskQueue);
      track(handle);

      await env.sleep('23 hours'); // the patient pays late in the 24-hour window: still taken
      await expect(handle.executeUpdate(captureUpdate, { args: [captureOf(collectionId, t0)] })).resolves.toMatchObject({ accepted: true });
      await env.sleep('1 hour');
      const [recorded] = mocks.of('recordCapturedPayment');
      expect(dayOf(recorded!.at, t0) * 24).toBeCloseTo(23, 1);
      expect(mocks.of('cancelPaymentRequest')).toHaveLength(0);
      expect((await handle.query(statusQuery)).status).toBe('awaiting_transfer');

      await env.sleep('119 days');
      expect((await handle.query(statusQuery)).status).toBe('awaiting_transfer');
      expect(mocks.of('applyDecision')).toHaveLength(0);
      // The wait re-reads the claim once a day (a lost message costs at most a day): one read on arrival, one a day.
      const reads = mocks.of('loadCopayState').length;
      expect(reads).toBeGreaterThanOrEqual(119);
      expect(reads).toBeLessThanOrEqual(121);

      await env.sleep('2 days');
      const decisions = mocks.of('applyDecision');
      expect(decisions).toHaveLength(1);
      expect(decisions[0]!.input).toMatchObject({ applications: [], task: { reason: 'transfer_timeout', amountCents: COPAY_CENTS } });
      const waited = dayOf(decisions[0]!.at, recorded!.at);
      expect(waited).toBeGreaterThanOrEqual(120);
      expect(waited).toBeLessThan(120 + 1 / 24);
      const view = await handle.query(statusQuery);
      expect(view).toMatchObject({ status: 'needs_attention', openTask: { reason: 'transfer_timeout', amountCents: COPAY_CENTS } });

      // Staff keep it as a credit; the run ends resolved.
      const taskId = view.openTask!.taskId;
      await handle.executeUpdate(resolveUpdate, { args: [{ taskId, action: 'credit', note: 'no transfer from the payer', actor: 'billing-1' }] });
      await expect(handle.result()).resolves.toEqual({ status: 'resolved', paymentId: world.payment!.paymentId, appliedCents: 0, taskId });
    });
  });

  test('a transfer on day 45 applies the copay; the reversal watch then runs its 120 days and the run completes applied', async () => {
    const mocks = new Mocks();
    const world = newWorld();
    await withWorker(env, copayMocks(mocks, world), async ({ taskQueue, track }) => {
      const { handle, collectionId, t0 } = await startCopay(env, taskQueue);
      track(handle);
      await handle.executeUpdate(captureUpdate, { args: [captureOf(collectionId, t0)] });

      await env.sleep('45 days');
      expect(mocks.of('applyDecision')).toHaveLength(0);
      moveClaim(world, 'patient');
      await handle.signal(responsibilityChangedSignal, { eventId: 'clearinghouse-1', responsibility: 'patient' });
      await env.sleep('1 hour');
      const [applied] = mocks.of('applyDecision');
      expect(applied!.input).toMatchObject({ applications: [{ claimId: 'claim-1', amountCents: COPAY_CENTS }] });
      expect(applied!.input.task).toBeUndefined();
      expect(Math.floor(dayOf(applied!.at, t0))).toBe(45);
      expect((await handle.query(statusQuery))).toMatchObject({ status: 'applied', appliedCents: COPAY_CENTS });

      await env.sleep('119 days');
      expect((await handle.describe()).status.name).toBe('RUNNING'); // still watching for a payer reversal

      await expect(handle.result()).resolves.toEqual({ status: 'applied', paymentId: world.payment!.paymentId, appliedCents: COPAY_CENTS });
      const watched = dayOf((await handle.describe()).closeTime!.getTime(), applied!.at);
      expect(watched).toBeGreaterThanOrEqual(120);
      expect(watched).toBeLessThan(120 + 1 / 24);
      expect(mocks.of('reverseAutoApplications')).toHaveLength(0);
    });
  });

  test('a payer reversal nobody reported is found by the watch\'s daily re-read; the money goes back on at the next transfer', async () => {
    const mocks = new Mocks();
    const world = newWorld();
    moveClaim(world, 'patient'); // the transfer came before the capture
    await withWorker(env, copayMocks(mocks, world), async ({ taskQueue, track }) => {
      const { handle, collectionId, t0 } = await startCopay(env, taskQueue);
      track(handle);
      await handle.executeUpdate(captureUpdate, { args: [captureOf(collectionId, t0)] });
      await env.sleep('1 hour');
      expect(mocks.of('applyDecision')).toHaveLength(1); // applied at once

      await env.sleep('30 days');
      moveClaim(world, 'payer'); // CLP02 = 22, and the message is lost
      const flippedAt = await env.currentTimeMs();
      await env.sleep('1 day');
      const reversals = mocks.of('reverseAutoApplications');
      expect(reversals).toHaveLength(1);
      expect(reversals[0]!.at - flippedAt).toBeLessThanOrEqual(DAY_MS);
      expect(reversals[0]!.input).toMatchObject({ claimId: 'claim-1', eventId: `claim-version:${world.claimVersion}` });
      expect((await handle.query(statusQuery))).toMatchObject({ status: 'awaiting_transfer', appliedCents: 0 });

      await env.sleep('9 days');
      moveClaim(world, 'patient');
      await handle.signal(responsibilityChangedSignal, { eventId: 'clearinghouse-2', responsibility: 'patient' });
      await env.sleep('1 hour');

      const decisions = mocks.of('applyDecision');
      expect(decisions).toHaveLength(2);
      const keys = decisions.map((d) => (d.input.applications as { businessKey: string }[])[0]!.businessKey);
      expect(keys[0]).toMatch(/:r1$/);
      expect(keys[1]).toMatch(/:r2$/); // a new round: a fresh key, not the reversed application's
      expect(Math.floor(dayOf(decisions[1]!.at, t0))).toBe(40);
      // Watching again (its 120 days to the end are the previous test's).
      expect((await handle.query(statusQuery))).toMatchObject({ status: 'applied', appliedCents: COPAY_CENTS });
    });
  });
});
