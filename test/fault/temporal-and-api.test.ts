/**
 * Fault tier (issue 11), Temporal and API faults: the Temporal dev server (SQLite file) and the API are SIGKILLed and
 * restarted under a running worker and EHR stand-in. Scenarios 1, 2, 3a and 4 of docs/reliability.md.
 * Run alone: `npx jest test/fault`.
 */
import { randomUUID } from 'node:crypto';
import { transferToPatient } from '../support/fixtures';
import { useFaultStack, withOutput } from '../support/processes';
import {
  capture, Checks, claimEvent, collectionStatus, collectionUntil, collectNow, deliver, describeAnswer, http, isOutageAnswer, retryUntil, runWaitsForTransfer,
  seedVisits, startCopay, withoutDuplicate, type Answer,
} from './driver';

/** What the spec owes a caller during an outage, and the loose bound we assert on a shared 2-core machine. */
const OWED_MS = 5000;
const ASSERTED_MS = 8000;
/** How long we wait for an answer at all (today's answers take ~19 s; a bound lets the test say so). */
const ANSWER_DEADLINE_MS = 25_000;

describe('fault tier: Temporal and API processes killed', () => {
  const stack = useFaultStack({
    temporal: 'own',
    env: { api: { IDEMPOTENCY_LEASE: '3s' }, worker: { RECONCILE_STARTING_AFTER: '5s' } },
  });

  /** A copay waiting for its claim's transfer (captured on the visit's date, so a transfer to the patient applies it). */
  async function copayAwaitingTransfer() {
    const [s] = await seedVisits(stack.db, 1);
    const c = await startCopay(stack, s!, 2500);
    const captured = await capture(stack, c.requestId);
    expect(captured.delivery.status).toBe(200);
    await collectionStatus(stack, s!, c.collectionId, 'awaiting_transfer');
    await runWaitsForTransfer(stack, c.workflowId);
    return { s: s!, c };
  }

  it('1. a claim transfer that arrives while Temporal is down is answered at once, stored with its message, and reaches the run after the restart', withOutput(stack, async () => {
    const checks = new Checks();
    const { s, c } = await copayAwaitingTransfer();
    await stack.kill('temporal', 'SIGKILL');

    const event = claimEvent(transferToPatient(s, 4500));
    const first = await deliver(stack, 'clearinghouse', event, ANSWER_DEADLINE_MS);
    checks.check(first.status === 200 && first.ms < ASSERTED_MS, `first delivery (Temporal down): want 200 within ${OWED_MS} ms, got ${describeAnswer(first)}`);
    const again = await deliver(stack, 'clearinghouse', event, ANSWER_DEADLINE_MS);
    checks.check(again.status === first.status && JSON.stringify(withoutDuplicate(again.body)) === JSON.stringify(withoutDuplicate(first.body)),
      `redelivery of the same event id: want the first answer (${describeAnswer(first)}), got ${describeAnswer(again)}`);

    // The change and the message to the run, stored together while Temporal is down.
    const claim = await stack.db('claims').where({ visit_id: s.visitId }).first();
    checks.check(Number(claim.source_version) === s.claim.version && claim.responsibility === 'patient', `claim row: want version ${s.claim.version} owned by the patient, got v${claim.source_version} ${claim.responsibility}`);
    const pending = await stack.db('run_messages').where({ workflow_id: c.workflowId }).catch((err: Error) => err);
    checks.check(Array.isArray(pending) && pending.length === 1 && pending[0].delivered_at === null,
      `run_messages for ${c.workflowId} while Temporal is down: want one undelivered row, got ${Array.isArray(pending) ? JSON.stringify(pending) : pending.message}`);

    const restartStarted = Date.now();
    await stack.start('temporal');
    const temporalBack = Date.now();
    let appliedAt: number | undefined;
    try {
      ({ at: appliedAt } = await collectionStatus(stack, s, c.collectionId, 'applied', 45_000));
    } catch (err) {
      checks.check(false, `after the Temporal restart, without a new webhook: ${(err as Error).message}`);
    }
    const delivered = await stack.db('run_messages').where({ workflow_id: c.workflowId }).catch(() => []);
    stack.measure('1-claim-transfer-while-temporal-down', {
      firstAnswer: { status: first.status, ms: first.ms, body: first.body, error: first.error },
      redelivery: { status: again.status, ms: again.ms, body: again.body, error: again.error },
      temporalRestartMs: temporalBack - restartStarted,
      appliedAfterTemporalBackMs: appliedAt === undefined ? null : appliedAt - temporalBack,
      runMessage: delivered[0] ? { attempts: delivered[0].attempts, lastError: delivered[0].last_error, delivered: delivered[0].delivered_at !== null } : null,
    });
    if (appliedAt !== undefined) checks.check(appliedAt - temporalBack < 45_000, 'applied later than 45 s after the restart');
    checks.assertNone();
  }), 180_000);

  it('3a. Collect Now while Temporal is down: 503 with Retry-After at once; the retry with the same Idempotency-Key completes the collection', withOutput(stack, async () => {
    const checks = new Checks();
    const [s] = await seedVisits(stack.db, 1);
    const key = `fault-${randomUUID()}`;
    await stack.kill('temporal', 'SIGKILL');

    const during = await collectNow(stack, s!, 2500, { key, timeoutMs: ANSWER_DEADLINE_MS });
    checks.check(isOutageAnswer(during) && during.ms < ASSERTED_MS, `Collect Now (Temporal down): want 503 problem+json with Retry-After within ${OWED_MS} ms, got ${describeAnswer(during)} retry-after=${during.headers.get('retry-after')}`);
    const left = await stack.db('collections').where({ visit_id: s!.visitId });

    await stack.start('temporal');
    const temporalBack = Date.now();
    const retried = await retryUntil(() => collectNow(stack, s!, 2500, { key, timeoutMs: 15_000 }), (a) => [200, 201, 202].includes(a.status), 45_000);
    checks.check(retried.ok, `the retry with the same key after the restart: want 200/201 (or 202), got ${describeAnswer(retried.last)} (statuses ${retried.statuses.join(',')})`);
    let linkAt: number | undefined;
    if (retried.ok) {
      const id = retried.last.body.collectionId as string;
      checks.check(left.length === 0 || left[0].id === id, `the retry answered another collection (${id}) than the one left by the failed press (${left[0]?.id})`);
      if (retried.last.body.paymentRequest?.url) linkAt = retried.at;
      else {
        const polled = await collectionUntil(stack, s!, id, (b) => Boolean(b.paymentRequest?.url), 30_000, 'the payment link').catch((err: Error) => err);
        if (polled instanceof Error) checks.check(false, polled.message);
        else linkAt = polled.at;
      }
      const described = await stack.temporal.workflow.getHandle(retried.last.body.workflowId).describe().catch((err: Error) => err);
      checks.check(!(described instanceof Error), `the run of the retried collection: ${described instanceof Error ? described.message : 'exists'}`);
    }
    const rows = await stack.db('collections').where({ visit_id: s!.visitId });
    checks.check(rows.length === 1 && rows[0].status !== 'starting', `collections of the visit afterwards: want one, past starting; got ${JSON.stringify(rows.map((r) => r.status))}`);
    stack.measure('3a-collect-now-while-temporal-down-retry', {
      answerDuringOutage: { status: during.status, ms: during.ms, retryAfter: during.headers.get('retry-after'), error: during.error },
      rowLeftDuringOutage: left[0]?.status ?? null,
      retryStatuses: retried.statuses,
      answeredAfterTemporalBackMs: retried.ok ? retried.at - temporalBack : null,
      paymentLinkAfterTemporalBackMs: linkAt === undefined ? null : linkAt - temporalBack,
    });
    checks.assertNone();
  }), 180_000);

  it('3a. Collect Now while Temporal is down, no retry: the worker-side reconciler starts the run of the row left starting', withOutput(stack, async () => {
    const checks = new Checks();
    const [s] = await seedVisits(stack.db, 1);
    await stack.kill('temporal', 'SIGKILL');
    const during = await collectNow(stack, s!, 2500, { timeoutMs: ANSWER_DEADLINE_MS });
    checks.check(isOutageAnswer(during) && during.ms < ASSERTED_MS, `Collect Now (Temporal down): want 503 problem+json with Retry-After within ${OWED_MS} ms, got ${describeAnswer(during)}`);
    const left = await stack.db('collections').where({ visit_id: s!.visitId });

    await stack.start('temporal');
    const temporalBack = Date.now();
    let reconciledAt: number | undefined;
    let runExists = false;
    if (left.length > 0) {
      // RECONCILE_STARTING_AFTER=5s: the row is picked up 5 s after its creation at the earliest.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const row = await stack.db('collections').where({ id: left[0].id }).first();
        const described = await stack.temporal.workflow.getHandle(row.workflow_id as string).describe().catch(() => undefined);
        if (row.status !== 'starting' && described) {
          reconciledAt = Date.now();
          runExists = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      const row = await stack.db('collections').where({ id: left[0].id }).first();
      checks.check(reconciledAt !== undefined, `the row left '${left[0].status}' by the failed press: want it past starting with its run within 60 s of the restart, got '${row.status}'${runExists ? '' : ' and no run in Temporal'}`);
    }
    stack.measure('3a-collect-now-while-temporal-down-reconciler', {
      answerDuringOutage: { status: during.status, ms: during.ms, retryAfter: during.headers.get('retry-after'), error: during.error },
      rowLeftDuringOutage: left[0]?.status ?? null,
      reconciledAfterTemporalBackMs: reconciledAt === undefined ? null : reconciledAt - temporalBack,
    });
    checks.assertNone();
  }), 180_000);

  it('2. Idempotency keys held by requests of a SIGKILLed API are taken over after the lease: every retry is answered with its collection', withOutput(stack, async () => {
    const checks = new Checks();
    const visits = await seedVisits(stack.db, 60);
    const keys = visits.map(() => `burst-${randomUUID()}`);
    const burst = visits.map((s, i) => collectNow(stack, s, 2500 + i, { key: keys[i], timeoutMs: 30_000 }));
    // Kill the API while requests are in flight: some keys claimed, not all answered.
    const deadline = Date.now() + 20_000;
    let claimed = 0;
    while (Date.now() < deadline) {
      claimed = Number((await stack.db('idempotency_keys').whereIn('key', keys).count<{ n: number }[]>({ n: '*' }))[0]!.n);
      if (claimed >= 10) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await stack.kill('api', 'SIGKILL');
    const killedAt = Date.now();
    const firstAnswers = await Promise.all(burst);
    const orphaned = Number((await stack.db('idempotency_keys').whereIn('key', keys).where({ status: 'in_progress' }).count<{ n: number }[]>({ n: '*' }))[0]!.n);
    const answeredBeforeKill = firstAnswers.filter((a) => a.status !== 0).length;
    expect(orphaned).toBeGreaterThan(0); // otherwise the kill came too late to test anything

    await stack.start('api');
    const apiBack = Date.now();
    const retries = await Promise.all(visits.map((s, i) =>
      retryUntil(() => collectNow(stack, s, 2500 + i, { key: keys[i], timeoutMs: 15_000 }), (a) => [200, 201, 202].includes(a.status), 25_000)));
    const allAnsweredAt = Math.max(...retries.map((r) => r.at));
    const stuck = retries.map((r, i) => ({ r, i })).filter(({ r }) => !r.ok);
    checks.check(stuck.length === 0, `${stuck.length} of 60 keys never answered 200/201 within 25 s of the restart; e.g. ${stuck.slice(0, 3).map(({ r }) => describeAnswer(r.last)).join(' | ')}`);
    const statuses: Record<string, number> = {};
    for (const r of retries) statuses[r.last.status] = (statuses[r.last.status] ?? 0) + 1;

    // Each visit: exactly one live collection, and it is the one its key answered.
    const rows = await stack.db('collections').whereIn('visit_id', visits.map((v) => v.visitId)).select('id', 'visit_id', 'status');
    const byVisit = new Map<string, { id: string; status: string }[]>();
    for (const r of rows) byVisit.set(r.visit_id, [...(byVisit.get(r.visit_id) ?? []), r]);
    const wrong = visits.map((s, i) => ({ s, i, live: (byVisit.get(s.visitId) ?? []).filter((r) => !['expired', 'cancelled'].includes(r.status)) }))
      .filter(({ i, live }) => live.length !== 1 || (retries[i]!.ok && retries[i]!.last.body.collectionId !== live[0]!.id));
    checks.check(wrong.length === 0, `${wrong.length} visits without exactly one live collection matching their key's answer`);
    checks.check(rows.length === 60, `want 60 collections for 60 visits, got ${rows.length}`);
    // Nothing half-written: every collection a 202 left `starting` gets its run and its payment link.
    let stillStarting = rows.length;
    for (const until = Date.now() + 60_000; Date.now() < until;) {
      stillStarting = Number((await stack.db('collections').whereIn('visit_id', visits.map((v) => v.visitId)).where({ status: 'starting' }).count<{ n: number }[]>({ n: '*' }))[0]!.n);
      if (stillStarting === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const allLinkedAt = Date.now();
    const leftStarting = (await stack.db('collections').whereIn('visit_id', visits.map((v) => v.visitId)).select('updated_at'))
      .map((r) => new Date(r.updated_at as string).getTime() - apiBack).sort((a, b) => a - b);
    const failedActivities: Record<string, number> = {};
    for (const m of stack.output('worker').matchAll(/"activityType":"(\w+)"[^\n]*"msg":"Activity failed"|"msg":"Activity failed"[^\n]*"activityType":"(\w+)"/g)) {
      const type = m[1] ?? m[2] ?? '?';
      failedActivities[type] = (failedActivities[type] ?? 0) + 1;
    }
    checks.check(stillStarting === 0, `${stillStarting} collections still starting 60 s after their keys were answered`);
    stack.measure('2-idempotency-after-api-sigkill', {
      requests: 60, claimedAtKill: claimed, answeredBeforeKill, orphanedKeys: orphaned, lease: '3s',
      apiRestartMs: apiBack - killedAt, allKeysAnsweredAfterApiBackMs: stuck.length === 0 ? allAnsweredAt - apiBack : null,
      finalStatuses: statuses, maxRetriesOneKey: Math.max(...retries.map((r) => r.statuses.length)),
      allPastStartingAfterApiBackMs: stillStarting === 0 ? allLinkedAt - apiBack : null,
      leftStartingAfterApiBackMs: { p50: leftStarting[Math.floor(leftStarting.length / 2)], p90: leftStarting[Math.floor(leftStarting.length * 0.9)], max: leftStarting.at(-1) },
      failedActivities,
    });
    checks.assertNone();
  }), 180_000);

  it('4. fifty simultaneous deliveries of one claim event: one acts, all get its answer, one message to the run', withOutput(stack, async () => {
    const checks = new Checks();
    const { s, c } = await copayAwaitingTransfer();
    const event = claimEvent(transferToPatient(s, 4500));
    const answers: Answer[] = await Promise.all(Array.from({ length: 50 }, () => deliver(stack, 'clearinghouse', event, 30_000)));

    const distinct = new Map<string, number>();
    for (const a of answers) {
      const k = `${a.status} ${JSON.stringify(withoutDuplicate(a.body))}`;
      distinct.set(k, (distinct.get(k) ?? 0) + 1);
    }
    checks.check(distinct.size === 1 && answers[0]!.status === 200, `want one answer (200) for all 50, got ${JSON.stringify([...distinct])}`);
    const inbox = await stack.db('webhook_inbox').where({ source: 'clearinghouse', event_id: event.eventId });
    checks.check(inbox.length === 1, `webhook_inbox rows for the event: ${inbox.length}`);
    const messages = await stack.db('run_messages').where({ workflow_id: c.workflowId }).catch((err: Error) => err);
    checks.check(Array.isArray(messages) && messages.length === 1, `run_messages rows for the run: want 1, got ${Array.isArray(messages) ? messages.length : messages.message}`);
    const claim = await stack.db('claims').where({ visit_id: s.visitId }).first();
    const audit = await stack.db('audit_log').where({ entity_type: 'claim', entity_id: claim.id });
    checks.check(audit.length <= 1, `audit rows for the claim: want one change, got ${audit.length}`);
    const applied = await collectionStatus(stack, s, c.collectionId, 'applied', 45_000).catch((err: Error) => err);
    if (applied instanceof Error) checks.check(false, applied.message);
    else checks.check(applied.collection.applications.length === 1 && applied.collection.appliedCents === 2500, `applications: ${JSON.stringify(applied.collection.applications)}`);
    // The run heard the change once (signals are not deduplicated by Temporal; our message id is).
    const history = await stack.temporal.workflow.getHandle(c.workflowId).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'responsibilityChanged').length;
    stack.measure('4-atomic-inbox', {
      deliveries: 50, distinctAnswers: [...distinct].map(([k, n]) => ({ answer: k.slice(0, 200), n })),
      slowestAnswerMs: Math.max(...answers.map((a) => a.ms)), inboxRows: inbox.length,
      runMessages: Array.isArray(messages) ? messages.length : null, claimAuditRows: audit.length, signalsToRun: signals,
    });
    checks.assertNone();
  }), 120_000);

  it('the stack answers after all of the above', async () => {
    const ready = await http(`${stack.apiUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
