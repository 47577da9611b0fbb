/**
 * Fault tier (issue 11), worker and EHR faults: the worker and the EHR stand-in are SIGKILLed and restarted under a
 * running API (Temporal: the run's shared dev server, which this file never stops). Scenarios 3c, 3d and 5 of
 * docs/reliability.md. Run alone: `npx jest test/fault`.
 */
import { transferToPatient } from '../support/fixtures';
import { useFaultStack, withOutput } from '../support/processes';
import {
  capture, captureEvent, Checks, claimEvent, collectionStatus, collectionUntil, collectNow, deliver, describeAnswer, http, isOutageAnswer,
  retryUntil, seedVisits, startCopay,
} from './driver';

const OWED_MS = 5000;
const ASSERTED_MS = 8000;
const ANSWER_DEADLINE_MS = 25_000;

/** Runs `fn` over `items`, `n` at a time. */
async function inBatches<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  }));
  return out;
}

describe('fault tier: worker and EHR stand-in killed', () => {
  const stack = useFaultStack({ temporal: 'shared' });

  it('3c. a capture delivered while the worker is down gets 503 with Retry-After; the redelivery after the restart is accepted and recorded', withOutput(stack, async () => {
    const checks = new Checks();
    const [s] = await seedVisits(stack.db, 1);
    const c = await startCopay(stack, s!, 2500);
    const event = captureEvent({ requestId: c.requestId, collectionId: c.collectionId, amountCents: 2500 });

    await stack.kill('worker', 'SIGKILL');
    const during = await deliver(stack, 'ehr', event, ANSWER_DEADLINE_MS);
    checks.check(isOutageAnswer(during) && during.ms < ASSERTED_MS, `capture (worker down): want 503 problem+json with Retry-After within ${OWED_MS} ms, got ${describeAnswer(during)} retry-after=${during.headers.get('retry-after')}`);

    const restartStarted = Date.now();
    await stack.start('worker');
    const workerBack = Date.now();
    // The EHR redelivers the same event (same id, signed again) until it is answered 2xx.
    const redelivered = await retryUntil(() => deliver(stack, 'ehr', event, 20_000), (a) => a.status === 200, 60_000, 1000);
    checks.check(redelivered.ok && redelivered.last.body?.status === 'accepted', `the redelivered capture: want 200 accepted, got ${describeAnswer(redelivered.last)} (statuses ${redelivered.statuses.join(',')})`);
    const recorded = await collectionStatus(stack, s!, c.collectionId, 'awaiting_transfer', 30_000).catch((err: Error) => err);
    if (recorded instanceof Error) checks.check(false, recorded.message);
    const payments = await stack.db('payments').where({ collection_id: c.collectionId });
    checks.check(payments.length === 1 && payments[0].external_id === event.data.externalPaymentId && payments[0].amount_cents === 2500,
      `payments of the collection: want the captured one once, got ${JSON.stringify(payments.map((p) => [p.external_id, p.amount_cents]))}`);
    stack.measure('3c-capture-while-worker-down', {
      answerDuringOutage: { status: during.status, ms: during.ms, retryAfter: during.headers.get('retry-after'), body: during.body, error: during.error },
      workerRestartMs: workerBack - restartStarted,
      redeliveryStatuses: redelivered.statuses,
      acceptedAfterWorkerBackMs: redelivered.ok ? redelivered.at - workerBack : null,
    });
    checks.assertNone();
  }), 180_000);

  it('3d. Collect Now while the EHR is down answers 202 with the collection and a Location; the payment link follows once the EHR is back', withOutput(stack, async () => {
    const checks = new Checks();
    const [s] = await seedVisits(stack.db, 1);
    await stack.kill('standin', 'SIGKILL');
    const during = await collectNow(stack, s!, 2500, { timeoutMs: ANSWER_DEADLINE_MS });
    const location = during.headers.get('location');
    checks.check(during.status === 202 && during.ms < ASSERTED_MS, `Collect Now (EHR down): want 202 within ${OWED_MS} ms, got ${describeAnswer(during)}`);
    checks.check(during.body?.status === 'starting' && during.body?.paymentRequest === null, `the 202's collection: want status starting and paymentRequest null, got ${JSON.stringify(during.body)?.slice(0, 300)}`);
    checks.check(Boolean(location) && location === `/v1/collections/${during.body?.collectionId}`, `Location: want /v1/collections/{id}, got ${location}`);

    const restartStarted = Date.now();
    await stack.start('standin');
    const ehrBack = Date.now();
    let linkAt: number | undefined;
    const collectionId = (during.body?.collectionId as string | undefined) ?? (await stack.db('collections').where({ visit_id: s!.visitId }).first())?.id;
    if (collectionId) {
      const polled = await collectionUntil(stack, s!, collectionId, (b) => Boolean(b.paymentRequest?.url), 45_000, 'the payment link').catch((err: Error) => err);
      if (polled instanceof Error) checks.check(false, polled.message);
      else {
        linkAt = polled.at;
        checks.check(polled.collection.paymentRequest.url.startsWith(`${stack.standinUrl}/pay/`), `payment link: ${polled.collection.paymentRequest.url}`);
        checks.check(linkAt - ehrBack < 30_000, `payment link ${linkAt - ehrBack} ms after the EHR came back (want ~15 s)`);
      }
    }
    stack.measure('3d-collect-now-while-ehr-down', {
      answerDuringOutage: { status: during.status, ms: during.ms, location, error: during.error },
      ehrRestartMs: ehrBack - restartStarted,
      paymentLinkAfterEhrBackMs: linkAt === undefined ? null : linkAt - ehrBack,
    });
    checks.assertNone();
  }), 180_000);

  it('5. the worker SIGKILLed while a batch of transfers is delivered: every collection applies, and the ledger is exact', withOutput(stack, async () => {
    const checks = new Checks();
    const visits = await seedVisits(stack.db, 20);
    const started = await inBatches(visits, 5, (s) => startCopay(stack, s, 2500));
    const captures = await inBatches(started, 5, (c) => capture(stack, c.requestId));
    checks.check(captures.every((c) => c.delivery.status === 200), `captures: ${JSON.stringify(captures.map((c) => c.delivery.status))}`);
    await Promise.all(started.map((c, i) => collectionStatus(stack, visits[i]!, c.collectionId, 'awaiting_transfer', 60_000)));

    // The first ten transfers; the worker is killed once some of their runs have applied and others have not (it is
    // in the middle of delivering and applying them); the other ten arrive while it is down.
    const ids = started.map((c) => c.collectionId);
    const events = visits.map((s) => claimEvent(transferToPatient(s, 4500)));
    // The clearinghouse redelivers until it gets a 2xx (an honest 503 during the outage is fine).
    const send = (e: (typeof events)[number]) => retryUntil(() => deliver(stack, 'clearinghouse', e, 20_000), (a) => a.status === 200, 60_000, 1000);
    const firstHalf = await inBatches(events.slice(0, 10), 4, send);
    const appliedCount = async () => Number((await stack.db('collections').whereIn('id', ids).where({ status: 'applied' }).count<{ n: number }[]>({ n: '*' }))[0]!.n);
    let appliedAtKill = 0;
    for (const until = Date.now() + 60_000; Date.now() < until;) {
      appliedAtKill = await appliedCount();
      if (appliedAtKill >= 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await stack.kill('worker', 'SIGKILL');
    const killedAt = Date.now();
    const secondHalf = await inBatches(events.slice(10), 4, send);
    const transfers = [...firstHalf, ...secondHalf];
    checks.check(transfers.every((t) => t.ok), `transfers not answered 200: ${transfers.filter((t) => !t.ok).map((t) => describeAnswer(t.last)).join(' | ')}`);
    const appliedBeforeRestart = await appliedCount();
    checks.check(appliedAtKill < 10, `the kill came after all of the first ten had applied (${appliedAtKill}): not mid-batch`);

    await stack.start('worker');
    const workerBack = Date.now();
    const applied = await Promise.all(started.map((c, i) => collectionStatus(stack, visits[i]!, c.collectionId, 'applied', 90_000).catch((err: Error) => err)));
    const notApplied = applied.filter((a) => a instanceof Error);
    checks.check(notApplied.length === 0, `${notApplied.length} of 20 collections not applied within 90 s: ${notApplied.slice(0, 2).map((e) => (e).message).join(' | ')}`);
    const allAppliedAt = Math.max(...applied.map((a) => (a instanceof Error ? 0 : a.at)));

    // The ledger: one payment per capture, applications summing to the copays, no task.
    const payments = await stack.db('payments').whereIn('collection_id', ids).select('id', 'collection_id', 'external_id', 'amount_cents');
    checks.check(payments.length === 20 && new Set(payments.map((p) => p.collection_id)).size === 20, `payments: want one per collection (20), got ${payments.length}`);
    checks.check(new Set(payments.map((p) => p.external_id)).size === payments.length && captures.every((c) => payments.some((p) => p.external_id === c.externalPaymentId)), 'payments do not match the captures one to one');
    const apps = await stack.db('payment_applications as a').leftJoin('application_reversals as r', 'r.application_id', 'a.id')
      .whereIn('a.payment_id', payments.map((p) => p.id)).select('a.amount_cents', 'a.kind', 'r.id as reversal');
    const appliedCents = apps.filter((a) => a.reversal === null).reduce((sum, a) => sum + Number(a.amount_cents), 0);
    checks.check(appliedCents === 20 * 2500 && apps.length === 20 && apps.every((a) => a.kind === 'auto'), `applications: want 20 automatic summing to ${20 * 2500} cents, got ${apps.length} summing to ${appliedCents}`);
    const tasks = await stack.db('manual_tasks').whereIn('collection_id', ids);
    checks.check(tasks.length === 0, `tasks opened: ${JSON.stringify(tasks.map((t) => t.reason))}`);
    stack.measure('5-worker-sigkill-across-a-batch', {
      collections: 20, appliedAtKill, transfersAnsweredAtKill: firstHalf.length, appliedBeforeRestart,
      transferStatuses: transfers.flatMap((t) => t.statuses).reduce<Record<string, number>>((m, st) => ({ ...m, [st]: (m[st] ?? 0) + 1 }), {}),
      workerDownMs: workerBack - killedAt,
      allAppliedAfterWorkerBackMs: notApplied.length === 0 ? allAppliedAt - workerBack : null,
      payments: payments.length, appliedCents, tasks: tasks.length,
    });
    checks.assertNone();
  }), 240_000);

  it('the stack answers after all of the above', async () => {
    expect((await http(`${stack.apiUrl}/readyz`)).status).toBe(200);
    expect((await http(`${stack.standinUrl}/healthz`)).status).toBe(200);
  });
});
