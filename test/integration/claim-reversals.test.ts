/**
 * Issue 12: a payer reversal (CLP02 = 22) reaches every application standing on the claim, whichever path made it and
 * whether or not its run is still open. Reproduces the reports through the API, the stand-in and signed
 * webhooks on the real Temporal + PostgreSQL harness.
 */
import request from 'supertest';
import { useTestStack } from '../support/harness';
import { eventually, reverseToPayer, seedScenario, transferToPatient, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, remit, startCopay } from '../support/copay-driver';
import { addClaim, startBalance } from '../support/balance-driver';
import { flaggedCopay, resolveVia } from './work-queue-support';

/** Standing (not reversed) applications on a claim, by kind. */
async function standingOn(stack: ReturnType<typeof useTestStack>, claimId: string) {
  return stack.db('payment_applications as a')
    .whereNotExists(stack.db('application_reversals as r').whereRaw('r.application_id = a.id'))
    .where('a.claim_id', claimId)
    .select<{ payment_id: string; kind: string; amount_cents: number }[]>('a.payment_id', 'a.kind', 'a.amount_cents');
}

const openTasksOf = (stack: ReturnType<typeof useTestStack>, paymentId: string) =>
  stack.db('manual_tasks').where({ payment_id: paymentId, status: 'open' }).orderBy('created_at').select<{ id: string; reason: string; claim_id: string }[]>('id', 'reason', 'claim_id');

async function paymentOf(stack: ReturnType<typeof useTestStack>, collectionId: string): Promise<string> {
  return (await stack.db('payments').where({ collection_id: collectionId }).first<{ id: string }>('id')).id;
}

/** A balance payment of 6000 applied to a new claim owing 6000; and the claim's next versions as the clearinghouse sends them. */
async function appliedBalancePayment(stack: ReturnType<typeof useTestStack>) {
  const s = await seedScenario(stack.db);
  const claimId = await addClaim(stack.db, s, { dateOfService: '2026-10-01', patientResponsibilityCents: 6000 });
  const started = await startBalance(stack, s, { amountCents: 6000 });
  await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
  await collectionWhen(stack, s, started.collectionId, 'applied');
  const paymentId = await paymentOf(stack, started.collectionId);
  const claim = await stack.db('claims').where({ id: claimId }).first<{ external_id: string; visit_id: string }>('external_id', 'visit_id');
  const visit = await stack.db('visits').where({ id: claim.visit_id }).first<{ external_id: string }>('external_id');
  const version = (v: number, responsibility: 'payer' | 'patient', cents: number): Scenario['claim'] => ({
    practiceExternalId: s.practiceExternalId, visitExternalId: visit.external_id, externalId: claim.external_id, version: v, responsibility,
    payerName: 'Test Payer', payerStatus: responsibility === 'payer' ? 'reprocessing' : 'adjudicated', patientResponsibilityCents: cents,
    lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 18000 - cents, adjustmentCents: 0, patientResponsibilityCents: cents }],
  });
  return { s, claimId, paymentId, version };
}

describe('a payer reversal reaches every application on the claim', () => {
  const stack = useTestStack();

  it("staff applied a date_mismatch copay by hand, the run has finished: the payer's reversal opens a claim_reversed task for that payment", async () => {
    const flagged = await flaggedCopay(stack, { copayCents: 2500, responsibilityCents: 4500 });
    const res = await resolveVia(stack, flagged.s, flagged.taskId, { action: 'apply', note: 'paid the day after; same visit', applications: [{ claimId: flagged.claimId, amountCents: 2500 }] });
    expect(res.status).toBe(200);
    await collectionWhen(stack, flagged.s, flagged.collectionId, 'resolved');
    const paymentId = await paymentOf(stack, flagged.collectionId);

    const answer = await remit(stack, reverseToPayer(flagged.s));
    expect(answer.delivery.body).toMatchObject({ status: 'updated', reversedApplications: 0, tasksOpened: [expect.any(String)] });
    // A staff decision stays; staff are told, once per payment, with the claim.
    expect(await standingOn(stack, flagged.claimId)).toEqual([{ payment_id: paymentId, kind: 'manual', amount_cents: 2500 }]);
    expect(await openTasksOf(stack, paymentId)).toEqual([expect.objectContaining({ reason: 'claim_reversed', claim_id: flagged.claimId })]);

    // The clearinghouse redelivers the same remittance: the same answer, no second task.
    const again = await remit(stack, flagged.s.claim);
    expect(again.delivery.body.status).toBe('stale');
    expect(await openTasksOf(stack, paymentId)).toHaveLength(1);
  });

  it('a patient-page (balance) payment applied to a claim the payer then reprocesses is taken off it and becomes a credit task', async () => {
    const { s, claimId, paymentId, version } = await appliedBalancePayment(stack);
    expect(await standingOn(stack, claimId)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 6000 }]);
    const answer = await remit(stack, version(3, 'payer', 6000));
    expect(answer.delivery.body).toMatchObject({ status: 'updated', reversedApplications: 1 });

    // No money on a payer-held claim; every reversed cent visible in a task.
    expect(await standingOn(stack, claimId)).toEqual([]);
    expect(await openTasksOf(stack, paymentId)).toEqual([expect.objectContaining({ reason: 'credit_remaining', claim_id: claimId })]);
    // Visible where staff look: the ledger shows the reversal and the money unapplied, the work queue the task.
    const ledger = await request(stack.app).get(`/v1/patients/${s.patientId}/payments`).set(s.auth('billing'));
    expect(ledger.body.payments[0]).toMatchObject({ unappliedCents: 6000, applications: [expect.objectContaining({ reversed: true })] });
    const queue = await request(stack.app).get('/v1/manual-tasks?reason=credit_remaining').set(s.auth('billing'));
    expect(JSON.stringify(queue.body)).toContain(paymentId);
    const [task] = await openTasksOf(stack, paymentId);

    // The payer re-adjudicates and the claim comes back to the patient before staff acted: the money goes back on it
    // by the balance rule and the task closes itself; the clearinghouse's redelivery changes nothing.
    const back = version(4, 'patient', 6000);
    const returned = await remit(stack, back);
    expect(returned.delivery.body).toMatchObject({ status: 'updated', reappliedCents: 6000, tasksClosed: [task!.id] });
    expect(await standingOn(stack, claimId)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 6000 }]);
    expect(await openTasksOf(stack, paymentId)).toEqual([]);
    expect(await stack.db('manual_tasks').where({ id: task!.id }).first()).toMatchObject({ status: 'resolved', resolution: 'applied', resolved_by: 'clearinghouse' });
    expect((await remit(stack, back)).delivery.body.status).toBe('stale');
    expect(await standingOn(stack, claimId)).toHaveLength(1);
  });

  it('a copay run still watching keeps its money: the webhook reverses it once, the run waits for the next transfer and applies it again', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await remit(stack, transferToPatient(s, 4500));
    await collectionWhen(stack, s, started.collectionId, 'applied');
    const paymentId = await paymentOf(stack, started.collectionId);
    const claimId = (await stack.db('claims').where({ visit_id: s.visitId }).first<{ id: string }>('id')).id;

    const answer = await remit(stack, reverseToPayer(s));
    expect(answer.delivery.body).toMatchObject({ status: 'updated', reversedApplications: 1, tasksOpened: [] });
    expect(await standingOn(stack, claimId)).toEqual([]);
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    expect(await openTasksOf(stack, paymentId)).toEqual([]); // the run owns it: no task

    await remit(stack, transferToPatient(s, 4500));
    await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(await standingOn(stack, claimId)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 2500 }]);
    // Reversed exactly once, re-applied in the next round.
    const reversals = await stack.db('application_reversals as r').join('payment_applications as a', 'a.id', 'r.application_id').where('a.payment_id', paymentId);
    expect(reversals).toHaveLength(1);
    expect(await stack.db('payment_applications').where({ payment_id: paymentId }).pluck('business_key')).toEqual(
      expect.arrayContaining([expect.stringMatching(/:auto:r1$/), expect.stringMatching(/:auto:r2$/)]),
    );
    await eventually(async () => ((await openTasksOf(stack, paymentId)).length === 0 ? true : undefined), 5000, 'no task');
  });

  it('a newer version that lowers what the patient owes takes the excess off (newest automatic money first) into a credit task, and puts it back if it rises again', async () => {
    const { claimId, paymentId, version } = await appliedBalancePayment(stack);
    const lowered = await remit(stack, version(3, 'patient', 4000)); // the payer paid 2000 more on appeal
    expect(lowered.delivery.body).toMatchObject({ status: 'updated', trimmedCents: 2000, tasksOpened: [expect.any(String)] });
    expect(await standingOn(stack, claimId)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 4000 }]);
    expect(await openTasksOf(stack, paymentId)).toEqual([expect.objectContaining({ reason: 'credit_remaining', claim_id: claimId })]);

    const raised = await remit(stack, version(4, 'patient', 6000)); // reprocessed again: the patient owes 6000 after all
    expect(raised.delivery.body).toMatchObject({ status: 'updated', reappliedCents: 2000 });
    expect((await standingOn(stack, claimId)).reduce((sum, a) => sum + a.amount_cents, 0)).toBe(6000);
    expect(await openTasksOf(stack, paymentId)).toEqual([]);
  });
});
