/**
 * Replicas on the production topology (issue 19): the Temporal server binary on PostgreSQL, two API processes and
 * two workers on one task queue. In the middle of 200 Collect Nows (spread over both APIs, each with its own
 * Idempotency-Key, retried on the other API when an answer is lost), one API and one worker are SIGKILLed and stay
 * down while the rest of the run goes on: every collection is created once, captured once and applied once.
 * Run alone: `npx jest test/fault/replicas.test.ts`.
 */
import { appliedByClaim } from '../support/balance-driver';
import { transferToPatient } from '../support/fixtures';
import { useFaultStack, withOutput } from '../support/processes';
import { claimEvent, deliver, describeAnswer, http, retryUntil, seedVisits, type Answer } from './driver';

const COLLECTIONS = 200;
const LANES = 8;
const COPAY_CENTS = 2500;

describe('replicas: one API and one worker SIGKILLed in a run of 200 collections (cluster topology)', () => {
  const stack = useFaultStack({ temporal: 'cluster', replicas: 2, env: { api: { IDEMPOTENCY_LEASE: '3s' } } });

  /** Runs `work(i)` for 0..n-1 on `lanes` concurrent lanes. */
  async function inLanes(n: number, lanes: number, work: (i: number) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (next < n) await work(next++);
    }));
  }

  it('all complete, exactly once; no request the client retried with its Idempotency-Key is lost', withOutput(stack, async () => {
    const visits = await seedVisits(stack.db, COLLECTIONS);
    const apis = [stack.apiUrl, stack.api2Url];
    /** A client that retries a lost answer (no answer, 5xx, or "still being processed") on the other API, same key. */
    const send = async (i: number, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> => {
      let attempt = 0;
      const { last, ok } = await retryUntil(
        () => http(`${apis[(i + attempt++) % 2]}${path}`, { body, headers, timeoutMs: 20_000 }),
        (a) => a.status !== 0 && a.status < 500 && !(a.status === 409 && /still being processed/.test(String(a.body?.detail))),
        120_000,
      );
      if (!ok) throw new Error(`${path}: ${describeAnswer(last)}`);
      return last;
    };

    // 1. Collect Now ×200; after a third of them, SIGKILL one API and one worker (they stay down).
    const started: { collectionId: string; requestId: string }[] = [];
    let killed: Promise<void> | undefined;
    await inLanes(COLLECTIONS, LANES, async (i) => {
      if (i === Math.floor(COLLECTIONS / 3)) killed = Promise.all([stack.kill('api', 'SIGKILL'), stack.kill('worker', 'SIGKILL')]).then(() => undefined);
      const s = visits[i]!;
      const a = await send(i, `/v1/visits/${s.visitId}/copay-collections`, { amountCents: COPAY_CENTS }, { ...s.auth('frontDesk'), 'Idempotency-Key': `replica-${s.visitId}` });
      expect([200, 201, 202]).toContain(a.status);
      let requestId = a.body?.paymentRequest?.requestId as string | undefined;
      if (!requestId) {
        // 202: the EHR link follows; poll the collection on whichever API answers.
        let poll = i;
        const got = await retryUntil(() => http(`${apis[poll++ % 2]}/v1/collections/${a.body.collectionId}`, { headers: s.auth('frontDesk') }), (g) => Boolean(g.body?.paymentRequest?.requestId), 120_000);
        if (!got.ok) throw new Error(`the payment link of collection ${a.body.collectionId}: ${describeAnswer(got.last)}`);
        requestId = got.last.body.paymentRequest.requestId as string;
      }
      started[i] = { collectionId: a.body.collectionId as string, requestId };
    });
    await killed;
    expect(stack.isRunning('api')).toBe(false);
    expect(stack.isRunning('worker')).toBe(false);

    // 2. The patients pay (the stand-in captures; its signed webhook goes to the surviving API) and the claims transfer.
    await stack.start('api'); // the stand-in's webhook address is the first API's; the killed worker stays down
    await inLanes(COLLECTIONS, LANES, async (i) => {
      const captured = await http(`${stack.standinUrl}/api/payment-requests/${started[i]!.requestId}/capture`, { body: { method: 'card', paidAt: '2026-11-20T18:00:00Z' }, timeoutMs: 30_000 });
      expect(captured.status).toBe(200);
    });
    await inLanes(COLLECTIONS, LANES, async (i) => {
      // The clearinghouse redelivers the same event (same id, signed anew) until one of the APIs answers it.
      const event = claimEvent(transferToPatient(visits[i]!, 4500));
      let attempt = 0;
      const { last } = await retryUntil(() => deliver(stack, 'clearinghouse', event, 20_000, apis[(i + attempt++) % 2]), (a) => a.status !== 0 && a.status < 500, 120_000);
      expect(last.status).toBe(200);
    });

    // 3. Exactly once, every one of them.
    const claimIds = (await stack.db('claims').whereIn('visit_id', visits.map((v) => v.visitId)).select('id')).map((r: { id: string }) => r.id);
    const deadline = Date.now() + 240_000;
    let applied: Record<string, number> = {};
    while (Date.now() < deadline) {
      applied = await appliedByClaim(stack.db, claimIds);
      if (Object.values(applied).every((c) => c === COPAY_CENTS)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(Object.values(applied).filter((c) => c !== COPAY_CENTS)).toEqual([]);
    const [collections, payments] = await Promise.all([
      stack.db('collections').whereIn('visit_id', visits.map((v) => v.visitId)).count({ n: '*' }).first(),
      stack.db('payments').whereIn('visit_id', visits.map((v) => v.visitId)).count({ n: '*' }).first(),
    ]);
    expect([Number(collections?.n), Number(payments?.n)]).toEqual([COLLECTIONS, COLLECTIONS]);
  }), 900_000);
});
