/**
 * Drives the fault stack from outside, as the billing system, the EHR and the clearinghouse do: HTTP to the API
 * process (staff bearer tokens), the stand-in process's API, and signed webhooks. Every call has a deadline and
 * returns what happened (status 0 when nothing answered in time) instead of throwing, so a test can assert on a
 * slow or missing answer and say how slow.
 */
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { upsertClaim, upsertVisit } from '../../db/queries/reference-data';
import type { Db } from '../../db/connection';
import type { ClaimRecord } from '../../db/queries/reference-data';
import { signWebhook, SIGNATURE_HEADER } from '../../lib/webhook-signature';
import { TEST_SECRETS } from '../support/harness';
import { eventually, seedScenario, type Scenario } from '../support/fixtures';
import type { FaultStack } from '../support/processes';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  /** How long the answer took (ms); the deadline when nothing answered. */
  ms: number;
  /** Why nothing answered (status 0). */
  error?: string;
}

export async function http(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = Date.now();
  const timeoutMs = init.timeoutMs ?? 15_000;
  try {
    const res = await fetch(url, {
      method: init.method ?? (init.body === undefined && init.rawBody === undefined ? 'GET' : 'POST'),
      headers: { ...(init.body !== undefined || init.rawBody !== undefined ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
      body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, headers: res.headers, body, ms: Date.now() - started };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    return { status: 0, headers: new Headers(), body: null, ms: Date.now() - started, error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message ?? 'network error') };
  }
}

/** One line for a failure message: status, duration, and the body's title/detail or status. */
export function describeAnswer(a: Answer): string {
  if (a.status === 0) return `no answer (${a.error}) after ${a.ms} ms`;
  const b = a.body as { title?: string; detail?: string; status?: string } | null;
  return `${a.status} after ${a.ms} ms${b && typeof b === 'object' ? `: ${JSON.stringify(b).slice(0, 300)}` : ''}`;
}

/** More visits (each with its payer-owned claim) for the scenario's patient; each comes back as a Scenario of its own. */
export async function seedVisits(db: Db, n: number, opts: { dateOfService?: string } = {}): Promise<Scenario[]> {
  const first = await seedScenario(db, opts);
  const out: Scenario[] = [first];
  for (let i = 1; i < n; i++) {
    const visitExternalId = `${first.visitExternalId}-${i}`;
    const visit = await upsertVisit(db, { practiceExternalId: first.practiceExternalId, patientExternalId: first.patientExternalId, externalId: visitExternalId, version: 1, dateOfService: opts.dateOfService ?? '2026-11-20' });
    const claim: ClaimRecord = { ...first.claim, visitExternalId, externalId: `${first.claimExternalId}-${i}`, version: 1 };
    await upsertClaim(db, claim);
    out.push({ ...first, visitId: visit.id, visitExternalId, claimExternalId: claim.externalId, claim });
  }
  return out;
}

export function collectNow(stack: FaultStack, s: Scenario, amountCents: number, opts: { key?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return http(`${stack.apiUrl}/v1/visits/${s.visitId}/copay-collections`, {
    body: { amountCents },
    headers: { ...s.auth('frontDesk'), ...(opts.key ? { 'Idempotency-Key': opts.key } : {}) },
    timeoutMs: opts.timeoutMs,
  });
}

export function getCollection(stack: FaultStack, s: Scenario, collectionId: string, timeoutMs = 10_000): Promise<Answer> {
  return http(`${stack.apiUrl}/v1/collections/${collectionId}`, { headers: s.auth('frontDesk'), timeoutMs });
}

/** Polls GET /v1/collections/{id} until `pred` holds; returns the collection and when it held. */
export async function collectionUntil(stack: FaultStack, s: Scenario, collectionId: string, pred: (c: any) => boolean, timeoutMs: number, what: string): Promise<{ collection: any; at: number }> {
  let last: Answer | undefined;
  try {
    return await eventually(async () => {
      last = await getCollection(stack, s, collectionId, 5000);
      return last.status === 200 && pred(last.body) ? { collection: last.body, at: Date.now() } : undefined;
    }, timeoutMs, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer: ${last ? describeAnswer(last) : 'none'}`);
  }
}

export const collectionStatus = (stack: FaultStack, s: Scenario, collectionId: string, status: string, timeoutMs = 30_000) =>
  collectionUntil(stack, s, collectionId, (c) => c.status === status, timeoutMs, `collection ${collectionId} to be ${status}`);

/** A copay started while everything is up: 201 with its payment link (a slow machine may first answer 202). */
export async function startCopay(stack: FaultStack, s: Scenario, amountCents: number): Promise<{ collectionId: string; workflowId: string; requestId: string; url: string }> {
  const res = await collectNow(stack, s, amountCents, { timeoutMs: 30_000 });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw new Error(`Collect Now: ${describeAnswer(res)}`);
  const { collectionId, workflowId } = res.body as { collectionId: string; workflowId: string };
  const withLink = res.body.paymentRequest
    ? res.body
    : (await collectionUntil(stack, s, collectionId, (c) => Boolean(c.paymentRequest), 30_000, 'the payment link')).collection;
  return { collectionId, workflowId, requestId: withLink.paymentRequest.requestId, url: withLink.paymentRequest.url };
}

const { EventType } = temporal.api.enums.v1;

/**
 * Waits until the copay run really waits for its transfer: its read of the claim (`loadCopayState`) has completed and
 * no workflow task is pending. The collection row says `awaiting_transfer` a moment earlier (the status activity runs
 * first): a fault injected in that moment finds a run that still has its read ahead of it, and proves nothing.
 */
export async function runWaitsForTransfer(stack: FaultStack, workflowId: string, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    const events = (await stack.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const reads = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadCopayState').map((e) => String(e.eventId));
    const lastRead = reads.at(-1);
    if (!lastRead) return undefined;
    const readDone = events.findIndex((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === lastRead);
    if (readDone < 0) return undefined;
    const after = events.slice(readDone + 1);
    const taskDone = after.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const pending = [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED];
    return taskDone && !pending.includes(events.at(-1)?.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED) ? true : undefined;
  }, timeoutMs, `run ${workflowId} to wait for its transfer`);
}

/** The patient pays on the stand-in's page: it sends `payment.captured` to the API and reports the delivery. */
export async function capture(stack: FaultStack, requestId: string, paidAt = '2026-11-20T18:00:00Z'): Promise<{ eventId: string; externalPaymentId: string; delivery: { status: number | null; body: any } }> {
  const res = await http(`${stack.standinUrl}/api/payment-requests/${requestId}/capture`, { body: { method: 'card', paidAt }, timeoutMs: 30_000 });
  if (res.status !== 200) throw new Error(`stand-in capture: ${describeAnswer(res)}`);
  return res.body;
}

export const newEventId = (prefix = 'evt'): string => `${prefix}_${randomBytes(12).toString('hex')}`;

export function claimEvent(claim: ClaimRecord, eventId = newEventId()) {
  return { eventId, type: 'claim.upserted' as const, occurredAt: new Date().toISOString(), data: claim };
}

export function captureEvent(d: { requestId: string; collectionId: string; amountCents: number; externalPaymentId?: string; paidAt?: string }, eventId = newEventId()) {
  return {
    eventId, type: 'payment.captured' as const, occurredAt: new Date().toISOString(),
    data: { requestId: d.requestId, collectionId: d.collectionId, externalPaymentId: d.externalPaymentId ?? newEventId('pay'), amountCents: d.amountCents, method: 'card' as const, paidAt: d.paidAt ?? '2026-11-20T18:00:00Z' },
  };
}

/** POSTs an event to /webhooks/{source}, signed now with the test secret, exactly as the sender would (redeliveries
 *  are the same event signed again). */
export function deliver(stack: FaultStack, source: 'ehr' | 'clearinghouse', event: { eventId: string }, timeoutMs = 15_000, apiUrl = stack.apiUrl): Promise<Answer> {
  const raw = JSON.stringify(event);
  return http(`${apiUrl}/webhooks/${source}`, {
    rawBody: raw,
    headers: { [SIGNATURE_HEADER]: signWebhook(raw, TEST_SECRETS[source], Math.floor(Date.now() / 1000)) },
    timeoutMs,
  });
}

/** An answer's body without the redelivery marker, to compare a first answer with a redelivery's. */
export function withoutDuplicate(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const { duplicate: _duplicate, ...rest } = body as Record<string, unknown>;
  return rest;
}

/** Retries `call` until `done` holds or the deadline passes; returns the last answer and every status seen. */
export async function retryUntil(call: () => Promise<Answer>, done: (a: Answer) => boolean, timeoutMs: number, pauseMs = 500): Promise<{ last: Answer; statuses: number[]; at: number; ok: boolean }> {
  const deadline = Date.now() + timeoutMs;
  const statuses: number[] = [];
  for (;;) {
    const last = await call();
    statuses.push(last.status);
    if (done(last)) return { last, statuses, at: Date.now(), ok: true };
    if (Date.now() > deadline) return { last, statuses, at: Date.now(), ok: false };
    const retryAfter = Number(last.headers.get('retry-after'));
    await new Promise((r) => setTimeout(r, Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, pauseMs * 4) : pauseMs));
  }
}

/** Asserts an outage answer: 503 problem+json with a Retry-After header. */
export function isOutageAnswer(a: Answer): boolean {
  return a.status === 503 && (a.headers.get('content-type') ?? '').startsWith('application/problem+json') && /^\d+$/.test(a.headers.get('retry-after') ?? '');
}

/**
 * Soft checks: a fault scenario records every deviation from the expected behaviour (and its figures) before it
 * fails, so one run says everything that is wrong, not only the first thing.
 */
export class Checks {
  readonly problems: string[] = [];

  check(ok: boolean, problem: string): boolean {
    if (!ok) this.problems.push(problem);
    return ok;
  }

  /** Fails the test with every problem recorded. */
  assertNone(): void {
    expect(this.problems).toEqual([]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Additions for the model-based run (test/model/): the other two staff paths and the EHR's variations, as answers.

/** The stand-in captures the request: `externalPaymentId` given → the same payment again under a new event id. */
export function captureWith(stack: FaultStack, requestId: string, opts: { paidAt: string; amountCents?: number; externalPaymentId?: string }): Promise<Answer> {
  return http(`${stack.standinUrl}/api/payment-requests/${requestId}/capture`, { body: { method: 'card', ...opts }, timeoutMs: 30_000 });
}

/** Collect Now on the patient's billing page (POST /v1/patients/{id}/balance-collections). */
export function collectBalanceNow(stack: FaultStack, s: Scenario, body: { amountCents?: number; claimIds?: string[] }, opts: { key?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return http(`${stack.apiUrl}/v1/patients/${s.patientId}/balance-collections`, {
    body,
    headers: { ...s.auth('frontDesk'), ...(opts.key ? { 'Idempotency-Key': opts.key } : {}) },
    timeoutMs: opts.timeoutMs,
  });
}

/** Staff cancel a collection before its capture. */
export function cancelCollection(stack: FaultStack, s: Scenario, collectionId: string, reason = 'patient left', idempotencyKey?: string): Promise<Answer> {
  const headers = { ...s.auth('frontDesk'), ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) };
  return http(`${stack.apiUrl}/v1/collections/${collectionId}/cancel`, { body: { reason }, headers, timeoutMs: 20_000 });
}

/** Billing staff resolve a manual task (body as in docs/work-queue.md). */
export function resolveTaskNow(
  stack: FaultStack, s: Scenario, taskId: string,
  body: { action: 'apply'; applications: { claimId: string; amountCents: number }[]; note: string } | { action: 'credit' | 'close'; note: string } | { action: 'refund'; refundCents: number; note: string },
  idempotencyKey?: string,
): Promise<Answer> {
  const headers = { ...s.auth('billing'), ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) };
  return http(`${stack.apiUrl}/v1/manual-tasks/${taskId}/resolve`, { body, headers, timeoutMs: 20_000 });
}

/** Delivers again, signed anew, an event the API stored in its inbox (byte for byte what the sender sent is not kept:
 *  the stored payload is the parsed event, which is what a redelivery carries). */
export async function redeliverStored(stack: FaultStack, source: 'ehr' | 'clearinghouse', eventId: string, timeoutMs = 15_000): Promise<Answer> {
  const row = await stack.db('webhook_inbox').where({ source, event_id: eventId }).first<{ payload: { eventId: string } } | undefined>('payload');
  if (!row) throw new Error(`no stored ${source} event ${eventId}`);
  return deliver(stack, source, row.payload, timeoutMs);
}
