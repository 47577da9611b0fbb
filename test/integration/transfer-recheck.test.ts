/**
 * Runs re-read the truth on every wake (patch `waits-reread-claim`): the copay's transfer wait and its reversal watch
 * re-read the claim every `recheckIntervalMs` and at the end of a window, not only when a `responsibilityChanged`
 * message arrives. Here the message is lost: the claim row is written the way the clearinghouse webhook writes it
 * (upsertClaim) and no run is told. Real Temporal and PostgreSQL.
 * Records the `copay-reread-*` replay histories when RECORD_HISTORIES=1 (test/replay/).
 */
import request from 'supertest';
import type { WorkflowHandle } from '@temporalio/client';
import { responsibilityChangedSignal, statusQuery } from '../../workflows/collection-messages';
import { WAITS_REREAD_CLAIM_PATCH } from '../../workflows/superbill-copay';
import type { CollectionWindows } from '../../workflows/starts/collection';
import { DEFAULT_TEST_WINDOWS, useTestStack } from '../support/harness';
import { eventually, reverseToPayer, seedScenario, transferToPatient, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, remit, storeClaimUntold } from '../support/copay-driver';
import { patchesOf, recordHistory } from '../support/history';

const RECHECK_MS = 2000;
type Started = { collectionId: string; workflowId: string; paymentRequest: { requestId: string } };

describe('copay waits re-read the claim at every wake (a lost message costs one interval)', () => {
  const stack = useTestStack();

  async function start(s: Scenario, windows: Partial<CollectionWindows>): Promise<Started> {
    const app = stack.makeApp({ windows: { ...DEFAULT_TEST_WINDOWS, recheckIntervalMs: RECHECK_MS, ...windows } });
    const res = await request(app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 2500 });
    expect(res.status).toBe(201);
    return res.body as Started;
  }

  /** Resolves once the run waits for the transfer having read the claim (it takes the patch at its first wait). */
  async function inTransferWait(s: Scenario, started: Started): Promise<WorkflowHandle> {
    const handle = stack.client.workflow.getHandle(started.workflowId);
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    await eventually(async () => ((await patchesOf(handle)).includes(WAITS_REREAD_CLAIM_PATCH) ? true : undefined), 20_000, 'the transfer wait');
    return handle;
  }

  async function signalsOf(handle: WorkflowHandle): Promise<number> {
    return ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
  }

  /** Resolves once the run has read the claim after the last message it received (it handled that message). */
  async function readAfterLastSignal(handle: WorkflowHandle): Promise<void> {
    await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const signalled = events.map((e) => Boolean(e.workflowExecutionSignaledEventAttributes)).lastIndexOf(true);
      if (signalled < 0) return undefined;
      const read = events.findIndex((e, i) => i > signalled && e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadCopayState');
      if (read < 0) return undefined;
      const scheduledId = events[read]!.eventId;
      // Its result was handled: a workflow task completed after the read completed.
      const done = events.findIndex((e) => e.activityTaskCompletedEventAttributes && String(e.activityTaskCompletedEventAttributes.scheduledEventId) === String(scheduledId));
      return done >= 0 && events.slice(done + 1).some((e) => e.workflowTaskCompletedEventAttributes) ? true : undefined;
    }, 20_000, 'a read of the claim after the message');
  }

  const reversalsOn = (claimId: string) => stack.db('application_reversals as r')
    .join('payment_applications as a', 'a.id', 'r.application_id').where('a.claim_id', claimId).select('r.reason', 'a.id as application_id');

  it('applies a transfer stored without any message within a couple of recheck intervals', async () => {
    const s = await seedScenario(stack.db);
    const started = await start(s, {});
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const handle = await inTransferWait(s, started);

    const storedAt = Date.now();
    await storeClaimUntold(stack, transferToPatient(s, 4500));
    const applied = await collectionWhen(stack, s, started.collectionId, 'applied', 2 * RECHECK_MS + 10_000);
    expect(Date.now() - storedAt).toBeLessThan(2 * RECHECK_MS + 10_000);
    expect(applied.applications).toEqual([expect.objectContaining({ kind: 'auto', amountCents: 2500, reversed: false })]);
    expect(applied.openTask ?? null).toBeNull();
    expect(await signalsOf(handle)).toBe(0); // nobody told the run
    recordHistory(started.workflowId, 'copay-reread-transfer');
    await handle.terminate('test over');
  });

  it('re-reads the claim at the end of the window: a transfer stored just before it is applied, not flagged transfer_timeout', async () => {
    const s = await seedScenario(stack.db);
    // The recheck interval is longer than the window: the end of the window is the only wake.
    const started = await start(s, { transferWindowMs: 10_000, recheckIntervalMs: 10 * 60_000 });
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const handle = await inTransferWait(s, started);
    const view = await handle.query(statusQuery);
    const windowEnds = Date.parse(view.waitingUntil!);

    await new Promise((r) => setTimeout(r, Math.max(0, windowEnds - 3000 - Date.now())));
    expect(Date.now()).toBeLessThan(windowEnds); // stored while the run still waits
    await storeClaimUntold(stack, transferToPatient(s, 4500));

    const applied = await collectionWhen(stack, s, started.collectionId, 'applied', 30_000);
    expect(Date.now()).toBeGreaterThanOrEqual(windowEnds); // decided at the end of the window, from a fresh read
    expect(applied.applications).toEqual([expect.objectContaining({ kind: 'auto', amountCents: 2500 })]);
    expect(applied.openTask ?? null).toBeNull();
    expect(await stack.db('manual_tasks').where({ collection_id: started.collectionId }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await signalsOf(handle)).toBe(0);
    recordHistory(started.workflowId, 'copay-reread-window-end');
    await handle.terminate('test over');
  });

  it('reverses an automatic application when a reversal is stored without a message, once, whatever messages come late', async () => {
    const s = await seedScenario(stack.db);
    const started = await start(s, {});
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await remit(stack, transferToPatient(s, 4500)); // told, as usual (version 2)
    const applied = await collectionWhen(stack, s, started.collectionId, 'applied');
    const first = applied.applications[0];
    const handle = stack.client.workflow.getHandle(started.workflowId);

    // The payer reprocesses (version 3); the message is lost. The watch finds it at a wake and reverses.
    await storeClaimUntold(stack, reverseToPayer(s));
    const waiting = await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer', 2 * RECHECK_MS + 10_000);
    expect(waiting.applications).toEqual([expect.objectContaining({ applicationId: first.applicationId, reversed: true })]);
    expect(waiting.appliedCents).toBe(0);
    const reversals = await reversalsOn(first.claimId);
    expect(reversals).toEqual([{ application_id: first.applicationId, reason: expect.stringContaining(`[claim version ${s.claim.version}]`) }]);

    // The lost message arrives late (the outbox's retry): the run re-reads, the claim is still the payer's: nothing more.
    await handle.signal(responsibilityChangedSignal, { eventId: 'evt-late-reversal', responsibility: 'payer' });
    await readAfterLastSignal(handle);
    expect(await reversalsOn(first.claimId)).toHaveLength(1);
    expect((await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer')).openTask ?? null).toBeNull();

    // The claim comes back to the patient, untold too (version 4): re-applied in the next round.
    await storeClaimUntold(stack, transferToPatient(s, 4500));
    const reapplied = await collectionWhen(stack, s, started.collectionId, 'applied', 2 * RECHECK_MS + 10_000);
    expect(reapplied.appliedCents).toBe(2500);
    const keys = await stack.db('payment_applications').where({ claim_id: first.claimId }).orderBy('created_at').pluck('business_key');
    expect(keys.map((k: string) => k.replace(/^.*:auto:/, ''))).toEqual(['r1', 'r2']);

    // Another late message about the old reversal during the new watch: the claim (the patient's) decides, not the message.
    await handle.signal(responsibilityChangedSignal, { eventId: 'evt-late-reversal-again', responsibility: 'payer' });
    await readAfterLastSignal(handle);
    const still = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(still.appliedCents).toBe(2500);
    expect(await reversalsOn(first.claimId)).toHaveLength(1);
    expect(await stack.db('manual_tasks').where({ collection_id: started.collectionId }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 0 }]);
    recordHistory(started.workflowId, 'copay-reread-reversal');
    await handle.terminate('test over');
  });
});
