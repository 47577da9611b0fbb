/**
 * The statement workflow at its real durations (time-skipping tier, see ./support.ts): a reminder every 14 days, three
 * of them, then closed unpaid one interval after the last; a partial payment keeps the reminders going; a payment not
 * captured within the 24-hour capture window expires and its late capture is refused.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../activities';
import type { StatementDue } from '../../db/queries/statements';
import { captureUpdate } from '../../workflows/collection-messages';
import { billingStatement, type StatementInput } from '../../workflows/statement';
import { registerPaymentUpdate, statementStatusQuery } from '../../workflows/statement-messages';
import { DAY_MS, DEFAULTS, HOUR_MS, Mocks, START_TIMEOUT_MS, dayOf, startTimeSkipping, withWorker } from './support';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
}, START_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

const TOTAL = 12_000; // $120.00 due on the statement

/** A statement's activities as the real ones answer, over an in-memory statement: what is due falls as payments apply. */
function statementMocks(mocks: Mocks): Partial<Activities> {
  let paid = 0;
  let status: 'open' | 'paid' | 'unpaid' = 'open';
  const due = (): StatementDue => ({ totalCents: TOTAL, paidCents: paid, openCents: TOTAL - paid, dueCents: Math.max(0, TOTAL - paid) });
  const amounts = new Map<string, number>();
  return mocks.activities({
    loadStatementContext: () => ({ practiceId: 'practice-1', patientId: 'patient-1', timeZone: 'America/Los_Angeles', status, channels: ['email', 'mail'], due: due() }),
    loadStatementDue: () => due(),
    sendStatementNotices: (i) => ({ sent: i.channels }),
    markStatementSent: () => ({ changed: true }),
    recordStatementReminder: () => ({ changed: true }),
    sendPaymentReceipt: () => ({ channel: 'email' as const, messageId: 'receipt-1' }),
    recordCapturedPayment: (i) => {
      amounts.set(`pay-${i.collectionId}`, i.amountCents);
      return { paymentId: `pay-${i.collectionId}`, paymentDate: '2026-03-02', created: true };
    },
    applyStatementPayment: (i) => {
      const amountCents = amounts.get(i.paymentId) ?? 0;
      paid += amountCents;
      return { appliedCents: amountCents, applications: [{ claimId: 'claim-1', amountCents }] };
    },
    setCollectionStatus: () => ({ changed: true, path: 'statement' }),
    closeStatement: (i) => {
      status = i.status;
      return { status, dueCents: due().dueCents, ...(i.status === 'unpaid' ? { taskId: 'task-statement-unpaid' } : {}) };
    },
  });
}

/** The production defaults: the durations this tier is about. */
const input = (statementId: string): StatementInput => ({
  statementId, practiceId: 'practice-1', patientId: 'patient-1', totalCents: TOTAL, publicBaseUrl: 'https://pay.example.test',
  reminderIntervalMs: DEFAULTS.STATEMENT_REMINDER_INTERVAL, reminderLimit: DEFAULTS.STATEMENT_REMINDER_LIMIT, captureWindowMs: DEFAULTS.CAPTURE_WINDOW,
});

/** Runs `body` with a worker over fresh mocks; `start` starts the statement's run and says when it started (server time). */
async function run(mocks: Mocks, body: (start: () => Promise<{ handle: WorkflowHandle<typeof billingStatement>; t0: number }>) => Promise<void>) {
  await withWorker(env, statementMocks(mocks), async ({ taskQueue, track }) => {
    await body(async () => {
      const handle = track(await env.client.workflow.start(billingStatement, { taskQueue, workflowId: `statement-${taskQueue}`, args: [input(taskQueue)] }));
      return { handle, t0: (await handle.describe()).startTime.getTime() };
    });
  });
}

const notices = (mocks: Mocks, t0: number) =>
  mocks.of('sendStatementNotices').map((c) => ({ kind: c.input.kind, sequence: c.input.sequence, day: Math.floor(dayOf(c.at, t0)) }));

describe('statement reminders at their real 14-day interval', () => {
  test('the defaults are the real durations', () => {
    expect(DEFAULTS.STATEMENT_REMINDER_INTERVAL).toBe(14 * DAY_MS);
    expect(DEFAULTS.STATEMENT_REMINDER_LIMIT).toBe(3);
    expect(DEFAULTS.CAPTURE_WINDOW).toBe(24 * HOUR_MS);
  });

  test('unpaid: reminders on days 14, 28 and 42, then closed unpaid on day 56 with a statement_unpaid task', async () => {
    const mocks = new Mocks();
    await run(mocks, async (start) => {
      const { handle, t0 } = await start();

      await env.sleep('13 days');
      expect((await handle.query(statementStatusQuery)).remindersSent).toBe(0);
      expect(notices(mocks, t0)).toEqual([{ kind: 'statement', sequence: 0, day: 0 }]);

      await env.sleep('1 day');
      await env.sleep('1 hour');
      const view = await handle.query(statementStatusQuery);
      expect(view).toMatchObject({ status: 'awaiting_payment', remindersSent: 1, dueCents: TOTAL });
      expect(new Date(view.nextReminderAt!).getTime() - t0).toBeGreaterThanOrEqual(28 * DAY_MS);

      const outcome = await handle.result(); // skips the rest of the time
      expect(outcome).toEqual({ status: 'unpaid', paidCents: 0, dueCents: TOTAL, remindersSent: 3, unpaidTaskId: 'task-statement-unpaid' });
      expect(notices(mocks, t0)).toEqual([
        { kind: 'statement', sequence: 0, day: 0 },
        { kind: 'reminder', sequence: 1, day: 14 },
        { kind: 'reminder', sequence: 2, day: 28 },
        { kind: 'reminder', sequence: 3, day: 42 },
      ]);
      expect(mocks.of('sendStatementNotices').every((c) => JSON.stringify(c.input.channels) === '["email","mail"]')).toBe(true);
      expect(mocks.of('recordStatementReminder').map((c) => c.input.sequence)).toEqual([1, 2, 3]);
      const closes = mocks.of('closeStatement');
      expect(closes.map((c) => c.input.status)).toEqual(['unpaid']);
      expect(Math.floor(dayOf(closes[0]!.at, t0))).toBe(56);
      expect((await handle.describe()).closeTime!.getTime() - t0).toBeLessThan(56 * DAY_MS + HOUR_MS);
    });
  });

  test('a partial payment on day 20 keeps the reminders going; the rest on day 30 closes it paid', async () => {
    const mocks = new Mocks();
    await run(mocks, async (start) => {
      const { handle, t0 } = await start();
      await env.sleep('20 days');
      const pay = async (collectionId: string, amountCents: number) => {
        await handle.executeUpdate(registerPaymentUpdate, { args: [{ collectionId, amountCents }] });
        await handle.executeUpdate(captureUpdate, {
          args: [{ collectionId, eventId: `ev-${collectionId}`, externalPaymentId: `ehr-${collectionId}`, amountCents, method: 'card', paidAt: new Date(t0).toISOString() }],
        });
      };
      await pay('portal-1', 5_000);
      await env.sleep('9 days');
      const view = await handle.query(statementStatusQuery);
      expect(view).toMatchObject({ status: 'awaiting_payment', paidCents: 5_000, dueCents: TOTAL - 5_000, remindersSent: 2 });

      await env.sleep('1 day');
      await pay('portal-2', TOTAL - 5_000);
      const outcome = await handle.result();
      expect(outcome).toEqual({ status: 'paid', paidCents: TOTAL, dueCents: 0, remindersSent: 2 });
      expect(notices(mocks, t0).map((n) => n.day)).toEqual([0, 14, 28]);
      const closes = mocks.of('closeStatement');
      expect(closes.map((c) => c.input.status)).toEqual(['paid']);
      expect(Math.floor(dayOf(closes[0]!.at, t0))).toBe(30);
    });
  });

  test('a payment not captured within the 24-hour window expires; its late capture is refused and the reminders go on', async () => {
    const mocks = new Mocks();
    await run(mocks, async (start) => {
      const { handle, t0 } = await start();
      await env.sleep('5 days');
      await handle.executeUpdate(registerPaymentUpdate, { args: [{ collectionId: 'portal-late', amountCents: TOTAL }] });

      await env.sleep('23 hours');
      expect((await handle.query(statementStatusQuery)).payments).toEqual([{ collectionId: 'portal-late', amountCents: TOTAL, state: 'pending' }]);
      await env.sleep('2 hours');
      expect((await handle.query(statementStatusQuery)).payments).toEqual([{ collectionId: 'portal-late', amountCents: TOTAL, state: 'expired' }]);
      const expired = mocks.of('setCollectionStatus').filter((c) => c.input.status === 'expired');
      expect(expired).toHaveLength(1);
      expect(dayOf(expired[0]!.at, t0)).toBeCloseTo(6, 1);

      const late = handle.executeUpdate(captureUpdate, {
        args: [{ collectionId: 'portal-late', eventId: 'ev-late', externalPaymentId: 'ehr-late', amountCents: TOTAL, method: 'card', paidAt: new Date(t0).toISOString() }],
      });
      await expect(late).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(late).rejects.toMatchObject({ cause: { message: expect.stringContaining('expired before it was captured') } });
      expect(mocks.of('recordCapturedPayment')).toHaveLength(0);

      await env.sleep('10 days'); // day 15: the first reminder went out as usual
      expect((await handle.query(statementStatusQuery)).remindersSent).toBe(1);
    });
  });
});
