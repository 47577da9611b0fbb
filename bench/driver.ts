/**
 * The benchmark's client side: what the billing system and the EHR send through the HTTP API for one copay collection
 * (start, capture webhook, transfer webhook, applied), retried as a client would, and run in lanes. Shared by
 * bench/run.ts and bench/park-more.ts.
 */
import { randomUUID } from 'node:crypto';
import { upsertClaim, upsertPatient, upsertPractice, upsertVisit, type ClaimRecord } from '../db/queries/reference-data';
import { upsertStaff } from '../db/queries/staff';
import { signWebhook } from '../lib/webhook-signature';
import { Latencies, memoryOf, timed } from './measure';
import { BENCH_SECRETS, type BenchStack } from './stack';

export const PRACTICE = 'bench-practice';
export const TOKEN = 'bench-front-desk-token-0001';

export interface Visit { visitId: string; visitExternalId: string; claim: ClaimRecord }
/** Enough of a visit to park its collection in the capture wait (`until: 'requested'`). */
export type ParkingVisit = Pick<Visit, 'visitId'>;

/** Reference data for the visits numbered first..first+count-1 (setup, not measured): each its claim with the payer, a
 *  patient for every 20 visits. Upserts, so a later part of a run can seed more on the same database. */
export async function seedVisits(stack: BenchStack, first: number, count: number): Promise<Visit[]> {
  const practiceId = await upsertPractice(stack.db, { externalId: PRACTICE, name: 'Bench Practice', timeZone: 'America/Los_Angeles', paymentPageUrl: 'http://127.0.0.1:9/pay' });
  await upsertStaff(stack.db, { practiceId, displayName: 'Bench', role: 'front_desk', token: TOKEN });
  const visits: Visit[] = [];
  const make = async (i: number) => {
    const patientExternalId = `bpt-${Math.floor(i / 20)}`;
    if (i % 20 === 0) await upsertPatient(stack.db, { practiceExternalId: PRACTICE, externalId: patientExternalId, version: 1, firstName: 'Bench', lastName: `Patient${i}`, dateOfBirth: '1980-01-01' });
    const visitExternalId = `bv-${i}`;
    const { id } = await upsertVisit(stack.db, { practiceExternalId: PRACTICE, patientExternalId, externalId: visitExternalId, version: 1, dateOfService: '2026-11-20' });
    const claim: ClaimRecord = {
      practiceExternalId: PRACTICE, visitExternalId, externalId: `bc-${i}`, version: 1, responsibility: 'payer', payerStatus: 'submitted',
      patientResponsibilityCents: 0, lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 }],
    };
    await upsertClaim(stack.db, claim);
    visits[i - first] = { visitId: id, visitExternalId, claim };
  };
  // Patients first (every 20th visit creates one), then the rest in parallel batches.
  const all = Array.from({ length: count }, (_, k) => first + k);
  for (const i of all.filter((i) => i % 20 === 0)) await make(i);
  const rest = all.filter((i) => i % 20 !== 0);
  for (let i = 0; i < rest.length; i += 16) await Promise.all(rest.slice(i, i + 16).map(make));
  return visits;
}

/** Answers other than 2xx that the driver retried, by route and status (reported: on a busy machine the API may
 *  answer 503, or 500 for an engine error it does not classify, e.g. "Workflow is busy."). */
export const retried: Record<string, number> = {};
const RETRIES = 8;

/** POSTs as a client does: a 5xx answer (or no answer) is retried the same way, a few times, after a pause (Collect
 *  Now attaches to the visit's run, whose id is the visit's; a webhook is the same event again, a redelivery), after
 *  its Retry-After. The time measured is the client's, retries
 *  included. Other answers fail the run. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  const route = new URL(url).pathname.replace(/\/v1\/visits\/[^/]+/, '/v1/visits/{id}');
  for (let attempt = 1; ; attempt++) {
    let status = 0;
    let retryAfter = 0;
    let json: Record<string, unknown> = {};
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: text });
      status = res.status;
      retryAfter = Number(res.headers.get('retry-after') ?? 0);
      json = (await res.json()) as Record<string, unknown>;
      if (res.ok) return json;
    } catch (err) {
      json = { error: (err as Error).message };
    }
    if ((status !== 0 && status < 500) || attempt > RETRIES) throw new Error(`${url} answered ${status || 'nothing'}: ${JSON.stringify(json).slice(0, 300)}`);
    retried[`${route} ${status || 'no answer'}`] = (retried[`${route} ${status || 'no answer'}`] ?? 0) + 1;
    await new Promise((r) => setTimeout(r, Math.max(500 * attempt, retryAfter * 1000)));
  }
}

let nextApi = 0;
/** Collect Nows answered 202 (no EHR link within PAYMENT_LINK_WAIT): the driver then polls the collection every 200 ms,
 *  which costs the API, PostgreSQL and the driver CPU the bare engine does not spend. */
export const linkPolls = { count: 0 };

async function paymentLinkOf(apiUrl: string, collectionId: string): Promise<unknown> {
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const res = await fetch(`${apiUrl}/v1/collections/${collectionId}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { paymentRequest?: unknown };
    if (res.ok && body.paymentRequest) return body.paymentRequest;
  }
  throw new Error(`collection ${collectionId}: no payment link within 60 s`);
}

function signed(source: 'ehr' | 'clearinghouse', event: unknown): [unknown, Record<string, string>] {
  return [event, { 'Payflow-Signature': signWebhook(JSON.stringify(event), BENCH_SECRETS[source], Math.floor(Date.now() / 1000)) }];
}

/** Runs `total` jobs with `lanes` in flight at once. */
export async function inLanes(total: number, lanes: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(lanes, total) }, async () => {
    while (next < total) await job(next++);
  }));
}

export interface Calls { start: Latencies; capture: Latencies; transfer: Latencies; captureToApplied: Latencies }
export const newCalls = (): Calls => ({ start: new Latencies(), capture: new Latencies(), transfer: new Latencies(), captureToApplied: new Latencies() });

/** How far a collection is driven: to its application, to its transfer wait (captured), or to its capture wait. */
export type Until = 'applied' | 'captured' | 'requested';

/** One copay collection through the API: start, (capture webhook, (transfer webhook, wait until applied)). */
export async function copayCollection(stack: BenchStack, v: Visit | ParkingVisit, calls: Calls, opts: { until: Until }): Promise<string> {
  // Each collection's calls go to one API; the collections alternate between the APIs (two on the cluster engine).
  const apiUrl = stack.apiUrls[nextApi++ % stack.apiUrls.length]!;
  const started = await timed(calls.start, () =>
    postJson(`${apiUrl}/v1/visits/${v.visitId}/copay-collections`, { amountCents: 2500 }, { Authorization: `Bearer ${TOKEN}` }));
  const collectionId = started.collectionId as string;
  // 202 (the EHR's payment link did not come within PAYMENT_LINK_WAIT, e.g. on a loaded machine): poll the
  // collection's Location as a client does; the link follows.
  if (!started.paymentRequest) linkPolls.count++;
  const request = (started.paymentRequest ?? (await paymentLinkOf(apiUrl, collectionId))) as { requestId: string };
  if (opts.until === 'requested') return collectionId;
  const captureSentAt = Date.now();
  await timed(calls.capture, () => postJson(`${apiUrl}/webhooks/ehr`, ...signed('ehr', {
    eventId: `evt_${randomUUID()}`, type: 'payment.captured', occurredAt: new Date().toISOString(),
    data: { requestId: request.requestId, collectionId, externalPaymentId: `pay_${randomUUID()}`, amountCents: 2500, method: 'card', paidAt: '2026-11-20T18:00:00Z' },
  })));
  if (opts.until === 'captured') return collectionId;
  if (!('claim' in v)) throw new Error('a collection driven past its capture needs the visit\'s claim');
  const claim = { ...v.claim, version: 2, responsibility: 'patient' as const, payerStatus: 'adjudicated', patientResponsibilityCents: 4000 };
  await timed(calls.transfer, () => postJson(`${apiUrl}/webhooks/clearinghouse`, ...signed('clearinghouse', {
    eventId: `evt_${randomUUID()}`, type: 'claim.upserted', occurredAt: new Date().toISOString(), data: claim,
  })));
  // Applied: the collection row's status, written by the workflow right after the application (its updated_at is
  // the moment; the poll interval does not change the figure).
  const appliedAt = await appliedWatcher(stack).wait(collectionId);
  calls.captureToApplied.add(appliedAt - captureSentAt);
  return collectionId;
}

/** One poller for every collection in flight (one query per 100 ms), so the driver costs little CPU. */
function appliedWatcher(stack: BenchStack) {
  if (watcher) return watcher;
  const waiting = new Map<string, { resolve: (at: number) => void; reject: (err: Error) => void }>();
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const ids = [...waiting.keys()];
    const rows = await stack.db('collections').whereIn('id', ids).whereNotIn('status', ['starting', 'awaiting_capture', 'awaiting_transfer'])
      .select<{ id: string; status: string; updated_at: Date }[]>('id', 'status', 'updated_at');
    for (const row of rows) {
      const w = waiting.get(row.id)!;
      waiting.delete(row.id);
      if (row.status === 'applied') w.resolve(row.updated_at.getTime());
      else w.reject(new Error(`collection ended ${row.status}`));
    }
    timer = waiting.size ? setTimeout(() => void pollOrFail(), 100) : undefined;
  };
  // A failed poll (the run is already failing, its database closed) fails the waits, not the process.
  const pollOrFail = () => poll().catch((err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
    timer = undefined;
  });
  watcher = {
    wait: (id: string) => new Promise<number>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      timer ??= setTimeout(() => void pollOrFail(), 100);
    }),
  };
  return watcher;
}
let watcher: { wait(id: string): Promise<number> } | undefined;

/** The workers' resident memory, summed (two workers on the cluster engine). */
export const workersRssMiB = (stack: BenchStack) => Math.round(stack.workerPids.reduce((sum, pid) => sum + memoryOf(pid).rssMiB, 0) * 10) / 10;
