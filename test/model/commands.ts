/**
 * The model-based run's commands: each drives the real stack from outside (API with staff tokens, the EHR stand-in,
 * signed webhooks, process kills), updates the model with what should follow, then waits for quiescence and checks
 * the invariants and the model (./real.ts). Commands pick their targets when they run, by index among what the model
 * has (a negative index counts from the newest), so a shrunk sequence still makes sense. Sequences are built from
 * stories on one claim (money → change of responsibility → reversal → staff → back with the patient → change) mixed
 * with single commands (`sequenceArbitrary`), so few commands find nothing to act on.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  cancelCollection, captureEvent, captureWith, claimEvent, collectBalanceNow, collectionUntil, collectNow, deliver, describeAnswer, http,
  newEventId, redeliverStored, resolveTaskNow, retryUntil, withoutDuplicate, type Answer,
} from '../fault/driver';
import {
  applyMoney, beginTxn, claimChanged, claimRecord, note as noteEvent, externalPaymentId, liveBalance, liveCopay, newKey, openBalance, placeBalance, placeCopay,
  statementClaims, statementDue, unapplied, VISITS, type Model, type Real,
} from './model';
import { verify } from './real';
import { PortalClient } from '../support/statement-driver';

type Cmd = fc.AsyncCommand<Model, Real>;

/** A client's retries: no answer or 503, and (with an Idempotency-Key) the 409 that says the first try is still running. */
const retryingAll = (call: () => Promise<Answer>, timeoutMs = 60_000) =>
  retryUntil(call, (a) => a.status !== 0 && a.status !== 503 && !stillRunning(a), timeoutMs, 500);
const retrying = (call: () => Promise<Answer>, timeoutMs = 60_000) => retryingAll(call, timeoutMs).then((r) => r.last);
const stillRunning = (a: Answer) => a.status === 409 && /Idempotency-Key is still being processed/.test(String(a.body?.detail));
/** One key per command: its retries are the same request (a lost answer is replayed, not refused as a second try). */
const idempotencyKey = () => `model-${randomUUID()}`;

function expectAnswer(real: Real, what: string, ok: boolean, a: Answer | string): void {
  if (ok) return;
  const text = `answer: ${what}: ${typeof a === 'string' ? a : describeAnswer(a)}`;
  real.stats.violations++;
  real.stats.violationsByCheck['answer'] = (real.stats.violationsByCheck['answer'] ?? 0) + 1;
  real.stats.failures.push(text);
  if (!real.keepGoing) throw new Error(text);
}

function count(real: Real, name: string): void {
  real.stats.commands++;
  real.stats.commandsByName[name] = (real.stats.commandsByName[name] ?? 0) + 1;
  real.stats.current = { name, t0: Date.now() };
}

/** The practice's default statement threshold ($10.00: a statement only for a balance above it) and the fixture's date of birth. */
const STATEMENT_THRESHOLD_CENTS = 1000;
const SCENARIO_DATE_OF_BIRTH = '1980-02-03';
/** Portal payments a statement may start within a day (app/statements-settings.ts). */
const PORTAL_PAYMENTS_PER_STATEMENT = 5;

const nextDay = (date: string) => new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
/** The i-th target (modulo); a negative index counts from the newest (-1: the newest). */
const pick = <T>(xs: T[], i: number): T | undefined => (xs.length === 0 ? undefined : i < 0 ? xs[Math.max(0, xs.length + i)] : xs[i % xs.length]);
const awaitingCapture = (m: Model) => m.collections.filter((c) => c.status === 'awaiting_capture');

async function started(real: Real, a: Answer): Promise<{ id: string; workflowId: string; requestId: string }> {
  const body = a.body as { collectionId: string; workflowId: string; paymentRequest: { requestId: string } | null };
  const link = body.paymentRequest
    ?? (await collectionUntil(real.stack, real.s, body.collectionId, (c) => Boolean(c.paymentRequest), 60_000, 'the payment link')).collection.paymentRequest;
  return { id: body.collectionId, workflowId: body.workflowId, requestId: link.requestId };
}

// ---------------------------------------------------------------------------------------------------------------

/** A claim event's target: the visit the running story works on (`Model.focus`). */
export const FOCUS = -1;
const target = (m: Model, visit: number) => (visit === FOCUS ? m.focus ?? 0 : visit);

/**
 * Collect Now on the superbill of a visit. `fresh`: when that visit already has a live copay (a second press would only
 * find it), the next visit without one instead; either way the story goes on with this visit (`Model.focus`).
 */
export class CollectCopay implements Cmd {
  constructor(readonly visit: number, readonly cents: number, readonly fresh = false) {}
  check = () => true;
  async run(m: Model, real: Real) {
    count(real, 'CollectCopay');
    let v = this.visit;
    if (this.fresh) {
      v = Array.from({ length: VISITS }, (_, k) => (this.visit + k) % VISITS).find((x) => !liveCopay(m, x)) ?? this.visit;
      m.focus = v;
    }
    const existing = liveCopay(m, v);
    const a = await retrying(() => collectNow(real.stack, { ...real.s, visitId: m.claims[v]!.visitId }, this.cents, { timeoutMs: 30_000 }));
    if (existing) {
      expectAnswer(real, `${this.toString()} with a live copay: 200 with the same collection`, a.status === 200 && a.body?.collectionId === existing.id, a);
    } else {
      expectAnswer(real, `${this.toString()}: 201/202 with a new collection`, a.status === 201 || a.status === 202, a);
      if (a.status === 201 || a.status === 202) {
        const s = await started(real, a);
        m.collections.push({ key: newKey(m, 'c'), ...s, path: 'copay', visit: v, requestedCents: this.cents, status: 'awaiting_capture' });
      }
    }
    await verify(m, real, this.toString());
  }
  toString = () => `CollectCopay(visit ${this.visit}${this.fresh ? ' or the next without a live copay' : ''}, ${this.cents})`;
}

export class CollectBalance implements Cmd {
  constructor(readonly cents: number) {}
  check = () => true;
  async run(m: Model, real: Real) {
    count(real, 'CollectBalance');
    const existing = liveBalance(m);
    const a = await retrying(() => collectBalanceNow(real.stack, real.s, { amountCents: this.cents }, { timeoutMs: 30_000 }));
    if (existing) {
      expectAnswer(real, `${this.toString()} with a live balance collection: 200 with the same collection`, a.status === 200 && a.body?.collectionId === existing.id, a);
    } else {
      expectAnswer(real, `${this.toString()}: 201/202 with a new collection`, a.status === 201 || a.status === 202, a);
      if (a.status === 201 || a.status === 202) {
        const s = await started(real, a);
        m.collections.push({ key: newKey(m, 'c'), ...s, path: 'balance', requestedCents: this.cents, status: 'awaiting_capture' });
      }
    }
    await verify(m, real, this.toString());
  }
  toString = () => `CollectBalance(${this.cents})`;
}

/** Sends a capture event as its sender does (signed, redelivered until answered); answers like the stand-in's capture API. */
async function deliverFirst(real: Real, event: ReturnType<typeof captureEvent>): Promise<Answer> {
  const a = await retrying(() => deliver(real.stack, 'ehr', event, 30_000));
  return { ...a, status: 200, body: { eventId: event.eventId, delivery: { status: a.status, body: a.body } } };
}

/**
 * The statement path: billing generates the patient's statement (POST /v1/patients/{id}/statements) when there is none
 * yet this cycle, then the patient signs in to the portal (account ID + date of birth, the form's CSRF token), and pays
 * `cents` (at most what is due) with the form, which opens a collection and sends them to the payment page. Checks on
 * the way: the statement lists the claims the model says, and its amount due equals the model's (it follows reversals
 * and returns both ways).
 */
export class PayStatement implements Cmd {
  constructor(readonly cents: number) {}
  check = (m: Readonly<Model>) => !m.inexact; // its total and amount due are the model's open balances (see Resolve)
  async run(m: Model, real: Real) {
    const { stack, s } = real;
    const billing = s.auth('billing');
    if (!m.statement) {
      const claims = statementClaims(m);
      const total = claims.reduce((t, i) => t + openBalance(m, i), 0);
      const a = await retrying(() => http(`${stack.apiUrl}/v1/patients/${s.patientId}/statements`, { body: {}, headers: billing, timeoutMs: 30_000 }));
      if (total <= STATEMENT_THRESHOLD_CENTS) {
        count(real, 'PayStatement:below-threshold');
        expectAnswer(real, `${this.toString()}: a balance of ${total} is below the threshold: 422`, a.status === 422, a);
        await verify(m, real, this.toString());
        return;
      }
      expectAnswer(real, `${this.toString()}: statement created (201)`, a.status === 201, a);
      if (a.status !== 201) return;
      const lines = (a.body.lines as { claimId: string }[]).map((l) => m.claims.findIndex((c) => c.claimId === l.claimId));
      expectAnswer(real, `${this.toString()}: the statement lists the claims with an open patient balance`, JSON.stringify([...new Set(lines)].sort()) === JSON.stringify(claims), JSON.stringify({ lines, claims }));
      expectAnswer(real, `${this.toString()}: the statement's total is the open balance`, a.body.totalCents === total, JSON.stringify({ total: a.body.totalCents, model: total }));
      m.statement = { id: a.body.statementId as string, claims, totalCents: total };
    }
    const st = m.statement;
    const view = await retrying(() => http(`${stack.apiUrl}/v1/statements/${st.id}`, { headers: billing, timeoutMs: 30_000 }));
    const due = statementDue(m);
    expectAnswer(real, `${this.toString()}: the statement's amount due follows its claims (model ${due})`, view.status === 200 && view.body.dueCents === due, view);
    const open = view.body?.status === 'open';

    const portal = new PortalClient(stack.apiUrl);
    const signedIn = await portal.signIn(view.body?.accountId as string, SCENARIO_DATE_OF_BIRTH);
    expectAnswer(real, `${this.toString()}: the patient signs in (303)`, signedIn.status === 303, `${signedIn.status}`);
    await portal.get('/portal/statement');
    const amount = Math.max(1, Math.min(this.cents, due));
    // A 503 page ("nothing was charged, try again") is what the patient sees while Temporal or the worker restarts:
    // they press Pay again.
    let pay = await portal.post('/portal/pay', { amount: (amount / 100).toFixed(2) });
    for (const until = Date.now() + 60_000; pay.status === 503 && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 500));
      pay = await portal.post('/portal/pay', { amount: (amount / 100).toFixed(2) });
    }
    // A press goes back to the open payment of the same amount (nothing paid on it yet); a new one only up to
    // PORTAL_PAYMENTS_PER_STATEMENT a day (docs/decisions.md, "Pay presses are bounded").
    const reused = m.collections.find((c) => c.path === 'statement' && c.status === 'awaiting_capture' && c.requestedCents === amount);
    const started = m.collections.filter((c) => c.path === 'statement').length;
    if (!open || due === 0) {
      count(real, 'PayStatement:nothing-due');
      expectAnswer(real, `${this.toString()}: nothing to pay (status ${view.body?.status}, due ${due}): 409`, pay.status === 409, `${pay.status}`);
    } else if (!reused && started >= PORTAL_PAYMENTS_PER_STATEMENT) {
      count(real, 'PayStatement:capped');
      expectAnswer(real, `${this.toString()}: ${started} payments started today: 429`, pay.status === 429, `${pay.status}`);
    } else {
      count(real, reused ? 'PayStatement:again' : 'PayStatement');
      expectAnswer(real, `${this.toString()}: paying ${amount} of ${due}: 303 to the payment page`, pay.status === 303, `${pay.status}`);
      if (pay.status === 303) {
        const row = await stack.db('collections').where({ statement_id: st.id }).orderBy('created_at', 'desc').first<{ id: string; workflow_id: string }>('id', 'workflow_id');
        if (reused) expectAnswer(real, `${this.toString()}: the same open payment again`, row.id === reused.id, JSON.stringify({ newest: row.id, expected: reused.id }));
        else m.collections.push({ key: newKey(m, 'c'), id: row.id, workflowId: row.workflow_id, requestId: `hp_model_${row.id.slice(0, 8)}`, path: 'statement', requestedCents: amount, status: 'awaiting_capture' });
      }
    }
    await verify(m, real, this.toString());
  }
  toString = () => `PayStatement(${this.cents})`;
}

export type CaptureVariant = 'once' | 'duplicate' | 'second-event-id' | 'burst10';

/** The patient pays on the stand-in's page (it sends `payment.captured`), then the EHR's variations of delivery. */
export class Capture implements Cmd {
  constructor(readonly pick: number, readonly onDateOfService: boolean, readonly variant: CaptureVariant) {}
  check = (m: Readonly<Model>) => awaitingCapture(m).length > 0;
  async run(m: Model, real: Real) {
    count(real, `Capture:${this.variant}`);
    const c = pick(awaitingCapture(m), this.pick)!;
    const dos = c.path === 'copay' ? m.claims[c.visit!]!.dateOfService : '2026-11-25';
    const paymentDate = this.onDateOfService || c.path !== 'copay' ? dos : nextDay(dos);
    const paidAt = `${paymentDate}T18:00:00Z`; // 10:00 in Los Angeles: the same calendar date there
    const ext = externalPaymentId();
    // A statement payment is captured on the processor's hosted page, which sends this event (ehr/standin/hosted-pay.ts);
    // the other paths' requests are captured through the stand-in's API, which sends it itself.
    const res = c.path === 'statement'
      ? await deliverFirst(real, captureEvent({ requestId: c.requestId, collectionId: c.id, amountCents: c.requestedCents, externalPaymentId: ext, paidAt }))
      : await captureWith(real.stack, c.requestId, { paidAt, externalPaymentId: ext });
    expectAnswer(real, `${this.toString()}: the stand-in captures`, res.status === 200, res);
    const eventId = res.body?.eventId as string;
    let delivery = res.body?.delivery as { status: number | null; body: any } | undefined;
    if (delivery?.status !== 200) {
      // The EHR retries its webhook until it is answered: the same event again.
      const event = captureEvent({ requestId: c.requestId, collectionId: c.id, amountCents: c.requestedCents, externalPaymentId: ext, paidAt }, eventId);
      const again = await retrying(() => deliver(real.stack, 'ehr', event, 30_000));
      delivery = { status: again.status, body: again.body };
    }
    expectAnswer(real, `${this.toString()}: capture accepted`, delivery?.status === 200 && delivery.body?.status === 'accepted', JSON.stringify(delivery));

    if (this.variant === 'duplicate') {
      const dup = await retrying(() => redeliverStored(real.stack, 'ehr', eventId));
      expectAnswer(real, `${this.toString()}: redelivery gets the stored answer`, dup.status === 200 && dup.body?.duplicate === true && dup.body?.externalPaymentId === ext, dup);
    } else if (this.variant === 'second-event-id') {
      const second = c.path === 'statement'
        ? await deliverFirst(real, captureEvent({ requestId: c.requestId, collectionId: c.id, amountCents: c.requestedCents, externalPaymentId: ext, paidAt }))
        : await captureWith(real.stack, c.requestId, { paidAt, externalPaymentId: ext });
      const d = second.body?.delivery as { status: number | null; body: any } | undefined;
      expectAnswer(real, `${this.toString()}: the same payment under a new event id is accepted (one payment)`, second.status === 200 && d?.status === 200 && d.body?.externalPaymentId === ext, JSON.stringify(second.body));
    } else if (this.variant === 'burst10') {
      const answers = await Promise.all(Array.from({ length: 10 }, () => redeliverStored(real.stack, 'ehr', eventId, 30_000)));
      const distinct = new Set(answers.map((a) => `${a.status} ${JSON.stringify(withoutDuplicate(a.body))}`));
      expectAnswer(real, `${this.toString()}: 10 redeliveries, one answer (200)`, distinct.size === 1 && answers[0]!.status === 200, [...distinct].join(' | '));
    }

    const p = { key: newKey(m, 'p'), externalId: ext, collectionKey: c.key, amountCents: c.requestedCents, reason: c.path === 'copay' ? 'copay' as const : 'outstanding_balance' as const, paymentDate, apps: [], refundedCents: 0 };
    m.payments.push(p);
    c.paymentKey = p.key;
    c.capture = { eventId, externalPaymentId: ext, paidAt, amountCents: c.requestedCents };
    if (c.path === 'copay') placeCopay(m, c);
    else placeBalance(m, c); // balance and statement: the outstanding-balance rule
    await verify(m, real, this.toString());
  }
  toString = () => `Capture(#${this.pick}, ${this.onDateOfService ? 'on the date of service' : 'the day after'}, ${this.variant})`;
}

export class Cancel implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => awaitingCapture(m).length > 0;
  async run(m: Model, real: Real) {
    count(real, 'Cancel');
    const c = pick(awaitingCapture(m), this.pick)!;
    const key = idempotencyKey();
    const { last: a, statuses } = await retryingAll(() => cancelCollection(real.stack, real.s, c.id, undefined, key));
    // An outage answer (503 at the update's deadline, or none) does not say the cancellation did not reach the run: it
    // may go through once the worker is back, and the retry then learns it from "already cancelled" (409).
    const wentThrough = statuses.length > 1 && a.status === 409 && /already cancelled/.test(String(a.body?.detail));
    if (c.path === 'statement') {
      // The patient's payment page cannot be withdrawn: a statement payment is not cancelled (it expires by itself).
      expectAnswer(real, `${this.toString()}: a statement payment: 409`, a.status === 409, a);
    } else {
      expectAnswer(real, `${this.toString()}: 200 cancelled`, a.status === 200 || wentThrough, a);
      if (a.status === 200 || wentThrough) c.status = 'cancelled';
    }
    await verify(m, real, this.toString());
  }
  toString = () => `Cancel(#${this.pick})`;
}

/** A capture of a cancelled collection's request arrives late (signed by the EHR): refused, nothing recorded. */
export class LateCaptureAfterCancel implements Cmd {
  constructor(readonly pick: number) {}
  private targets = (m: Model) => m.collections.filter((c) => c.status === 'cancelled' && !c.paymentKey);
  check = (m: Readonly<Model>) => this.targets(m).length > 0;
  async run(m: Model, real: Real) {
    count(real, 'LateCaptureAfterCancel');
    const c = pick(this.targets(m), this.pick)!;
    const event = captureEvent({ requestId: c.requestId, collectionId: c.id, amountCents: c.requestedCents, externalPaymentId: externalPaymentId() });
    const a = await retrying(() => deliver(real.stack, 'ehr', event, 30_000));
    expectAnswer(real, `${this.toString()}: 409 (the collection is cancelled)`, a.status === 409, a);
    await verify(m, real, this.toString());
  }
  toString = () => `LateCaptureAfterCancel(#${this.pick})`;
}

export type ClaimKind = 'next' | 'transfer' | 'reverse' | 'lower' | 'raise' | 'stale' | 'out-of-order';
export type ClaimDelivery = 'once' | 'burst10' | 'temporal-down' | 'worker-down';

/** A claim line charges $180.00: no patient responsibility above it. */
const MAX_RESPONSIBILITY = 18_000;

/**
 * A signed `claim.upserted` from the clearinghouse. Each kind says what to send next, by the claim's state when it runs
 * (so it always acts):
 * - `next`: the claim's next version, a transfer to the patient (with `cents`) when a payer holds it, a payer reversal
 *   (CLP02 = 22) when the patient does;
 * - `transfer`: the next version, the patient's with `cents` (from a payer: a transfer; from the patient: a new
 *   responsibility, lower or higher);
 * - `reverse`: the next version, the payer's (from the patient: a reversal; from a payer: a newer payer version);
 * - `lower`: the patient's with a lower responsibility (`cents` when lower, else half of it; the payer paid more on
 *   appeal); from a payer: a transfer with `cents`;
 * - `raise`: the patient's with `cents` more (at least $5.00); from a payer: a transfer with `cents`;
 * - `stale`: a lower version than the last one sent, with the other responsibility (ignored; only from version 2);
 * - `out-of-order`: version +2 (the `next` change) arrives before version +1 (the opposite one, then stale).
 */
export class ClaimEvent implements Cmd {
  constructor(readonly visit: number, readonly kind: ClaimKind, readonly cents: number, readonly delivery: ClaimDelivery) {}
  check = (m: Readonly<Model>) => this.kind !== 'stale' || m.claims[target(m, this.visit)]!.version >= 2;
  private nextState(m: Model): { responsibility: 'payer' | 'patient'; cents: number } {
    const claim = m.claims[target(m, this.visit)]!;
    const pr = claim.patientResponsibilityCents;
    const fromPayer = claim.responsibility === 'payer';
    switch (this.kind) {
      case 'transfer': return { responsibility: 'patient', cents: this.cents };
      case 'reverse': return { responsibility: 'payer', cents: pr };
      case 'lower': return fromPayer ? { responsibility: 'patient', cents: this.cents } : { responsibility: 'patient', cents: this.cents < pr ? this.cents : Math.floor(pr / 200) * 100 };
      case 'raise': return fromPayer ? { responsibility: 'patient', cents: this.cents } : { responsibility: 'patient', cents: Math.min(MAX_RESPONSIBILITY, pr + Math.max(500, this.cents)) };
      default: return fromPayer ? { responsibility: 'patient', cents: this.cents } : { responsibility: 'payer', cents: pr };
    }
  }
  async run(m: Model, real: Real) {
    const visit = target(m, this.visit);
    const claim = m.claims[visit]!;
    const next = this.nextState(m);
    count(real, `ClaimEvent:${this.kind}:${this.delivery}`);
    const toPatient = claim.responsibility === 'payer';
    const other = { responsibility: toPatient ? 'payer' as const : 'patient' as const, cents: toPatient ? claim.patientResponsibilityCents : this.cents };
    const sends: { version: number; r: typeof next; expect: 'updated' | 'stale' }[] =
      this.kind === 'stale' ? [{ version: claim.version - 1, r: other, expect: 'stale' }]
        : this.kind === 'out-of-order' ? [{ version: claim.version + 2, r: next, expect: 'updated' }, { version: claim.version + 1, r: other, expect: 'stale' }]
          : [{ version: claim.version + 1, r: next, expect: 'updated' }];

    for (const [n, send] of sends.entries()) {
      const event = claimEvent(claimRecord(real.s, claim, send.version, send.r.responsibility, send.r.cents), newEventId('evt_model'));
      const what = `${this.toString()} v${send.version} ${send.r.responsibility} ${send.r.cents}`;
      const how = n === 0 ? this.delivery : 'once';
      let answers: Answer[];
      if (how === 'temporal-down' || how === 'worker-down') {
        const proc = how === 'temporal-down' ? 'temporal' : 'worker';
        await real.stack.kill(proc, 'SIGKILL');
        real.stats.kills[proc]++;
        try {
          answers = [await deliver(real.stack, 'clearinghouse', event, 30_000)];
        } finally {
          await real.stack.start(proc);
        }
      } else if (how === 'burst10') {
        // Ten senders at once, each retrying a 503 as a clearinghouse does: a duplicate that waited 3 s for the first
        // delivery is told "retry shortly" (found at 43bc52a, seed 1004, on a loaded machine); its retry gets the answer.
        answers = await Promise.all(Array.from({ length: 10 }, () => retrying(() => deliver(real.stack, 'clearinghouse', event, 30_000))));
      } else {
        answers = [await retrying(() => deliver(real.stack, 'clearinghouse', event, 30_000))];
      }
      const distinct = new Set(answers.map((a) => `${a.status} ${JSON.stringify(withoutDuplicate(a.body))}`));
      expectAnswer(real, `${what}: 200 ${send.expect}${answers.length > 1 ? ', one answer for all' : ''}`,
        distinct.size === 1 && answers[0]!.status === 200 && answers[0]!.body?.status === send.expect, [...distinct].join(' | '));
      if (send.expect === 'updated') claimChanged(m, visit, send.version, send.r.responsibility, send.r.cents);
    }
    await verify(m, real, this.toString(), this.delivery.endsWith('-down') ? 120_000 : 60_000);
  }
  toString = () => `ClaimEvent(${this.visit === FOCUS ? 'the story\'s visit' : `visit ${this.visit}`}, ${this.kind}, ${this.cents}, ${this.delivery})`;
}

export type ResolveAction = 'apply' | 'credit' | 'refund';

/** Billing staff resolve an open task (POST /v1/manual-tasks/{id}/resolve): apply within open balances, credit, refund. */
export class Resolve implements Cmd {
  constructor(readonly pick: number, readonly action: ResolveAction) {}
  private targets = (m: Model) => m.tasks.filter((t) => t.open && t.realId);
  // Staff act on what the model says is open and unplaced. Once the model is inexact (it cannot tell which of two tied
  // tasks or credits the product served first), it no longer knows that: the product may have closed the task itself
  // (found at ae75c7d, seed 1033: 409 "already resolved"). The rest of such a sequence runs on; the SQL invariants hold it.
  check = (m: Readonly<Model>) => !m.inexact && this.targets(m).length > 0;
  async run(m: Model, real: Real) {
    const t = pick(this.targets(m), this.pick)!;
    const p = m.payments.find((x) => x.key === t.paymentKey);
    const col = m.collections.find((c) => c.taskKey === t.key && c.status === 'needs_attention');
    // What staff may place (the API's rules, domain/task-resolution.ts): a task its run holds, the run's own money (the
    // task's amount, within what is unapplied); a task no run holds, the payment's unapplied money, also what another
    // open task of that payment holds, so a task with none of its own (claim_reversed) settles that or is closed.
    const own = p ? Math.min(t.amountCents, unapplied(p)) : 0;
    const left = own > 0 || col || !p ? own : unapplied(p);
    let action: ResolveAction | 'close' = left === 0 ? 'close' : this.action;
    const applications: { claim: number; cents: number }[] = [];
    if (action === 'apply') {
      let rest = left;
      const order = m.claims.map((c, i) => ({ c, i })).filter(({ c, i }) => c.responsibility === 'patient' && openBalance(m, i) > 0)
        .sort((a, b) => (a.c.dateOfService < b.c.dateOfService ? -1 : 1));
      for (const { i } of order) {
        if (rest === 0) break;
        const cents = Math.min(rest, openBalance(m, i));
        applications.push({ claim: i, cents });
        rest -= cents;
      }
      if (rest > 0) action = 'credit'; // staff cannot place it all: they keep it as credit instead
    }
    count(real, `Resolve:${action}`);
    const note = `model run: ${action}`;
    const body = action === 'apply'
      ? { action, note, applications: applications.map((a) => ({ claimId: m.claims[a.claim]!.claimId, amountCents: a.cents })) }
      : action === 'refund' ? { action, note, refundCents: left } : { action, note };
    const key = idempotencyKey();
    const a = await retrying(() => resolveTaskNow(real.stack, real.s, t.realId!, body, key));
    if (action === 'close' && col && a.status === 422) {
      // A run waits for a decision about money that is gone (e.g. reversed onto another task): nothing staff can do here.
      real.stats.notes.push(`${this.toString()}: task ${t.reason} of a waiting run has no money left; close refused (422): ${describeAnswer(a)}`);
    } else {
      expectAnswer(real, `${this.toString()} (${action} ${left}): 200`, a.status === 200, a);
    }
    if (a.status === 200) {
      t.open = false;
      t.resolution = action === 'apply' ? 'applied' : action === 'close' ? 'closed' : action;
      beginTxn(m);
      if (action === 'apply') for (const x of applications) applyMoney(m, p!, x.claim, x.cents, 'manual');
      if (t.version !== undefined && t.reason === 'credit_remaining' && action !== 'close') noteEvent(m, `staff ${action} a reversed payment's task`);
      if (action === 'refund') p!.refundedCents += left;
      if (col) col.status = 'resolved';
    }
    await verify(m, real, `${this.toString()} → ${action}`);
  }
  toString = () => `Resolve(#${this.pick}, ${this.action})`;
}

export class KillWorker implements Cmd {
  check = () => true;
  async run(m: Model, real: Real) {
    count(real, 'KillWorker');
    await real.stack.restart('worker', 'SIGKILL');
    real.stats.kills.worker++;
    await verify(m, real, this.toString(), 120_000);
  }
  toString = () => 'KillWorker(SIGKILL + restart)';
}

/** The worker dies and nothing in the run starts it again (a crash: a Node.js fatal error, an OOM kill); the wait for
 *  quiescence finds it down and starts it, as its supervisor would (real.ts: restartCrashed). Fixed scenarios only. */
export class WorkerDiesOnItsOwn implements Cmd {
  check = () => true;
  async run(m: Model, real: Real) {
    count(real, 'WorkerDiesOnItsOwn');
    await real.stack.kill('worker', 'SIGKILL');
    await verify(m, real, this.toString(), 120_000);
  }
  toString = () => 'WorkerDiesOnItsOwn(SIGKILL, not restarted by the run)';
}

export class KillTemporal implements Cmd {
  check = () => true;
  async run(m: Model, real: Real) {
    count(real, 'KillTemporal');
    await real.stack.restart('temporal', 'SIGKILL');
    real.stats.kills.temporal++;
    await verify(m, real, this.toString(), 120_000);
  }
  toString = () => 'KillTemporal(SIGKILL + restart, same SQLite file)';
}

// ---------------------------------------------------------------------------------------------------------------

/** Visit 0 most of the time, so money, transfers and reversals meet on one claim often. */
const visit = fc.constantFrom(0, 0, 0, ...Array.from({ length: VISITS - 1 }, (_, i) => i + 1));
const dollars = fc.integer({ min: 1, max: 80 }).map((n) => n * 100);
const responsibility = fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 5, max: 80 }).map((n) => n * 100), weight: 4 });
const index = fc.nat({ max: 5 });
const captureVariant = fc.constantFrom<CaptureVariant>('once', 'once', 'duplicate', 'second-event-id', 'burst10');
const claimDelivery = fc.constantFrom<ClaimDelivery>('once', 'once', 'once', 'burst10', 'temporal-down', 'worker-down');
const resolveAction = fc.constantFrom<ResolveAction>('apply', 'apply', 'credit', 'refund');

/** The single-command arbitraries, weighted by repetition (kills rarer than money movements). */
export function commandArbitraries(): fc.Arbitrary<Cmd>[] {
  const collectCopay = fc.tuple(visit, dollars).map(([v, c]) => new CollectCopay(v, c));
  const collectBalance = dollars.map((c) => new CollectBalance(c));
  const payStatement = dollars.map((c) => new PayStatement(c));
  const capture = fc.tuple(index, fc.constantFrom(true, true, true, false), captureVariant).map(([i, onDos, v]) => new Capture(i, onDos, v));
  const cancel = index.map((i) => new Cancel(i));
  const late = index.map((i) => new LateCaptureAfterCancel(i));
  const claim = fc.tuple(visit, fc.constantFrom<ClaimKind>('next', 'next', 'next', 'lower', 'raise', 'stale', 'out-of-order'), responsibility, claimDelivery)
    .map(([v, k, c, d]) => new ClaimEvent(v, k, c, d));
  const resolve = fc.tuple(index, resolveAction).map(([i, a]) => new Resolve(i, a));
  return [
    collectCopay, collectCopay, collectCopay, collectBalance, collectBalance, payStatement,
    capture, capture, capture, capture, capture, capture,
    cancel, late,
    claim, claim, claim, claim, claim,
    resolve, resolve, resolve,
    fc.constant(new KillWorker()), fc.constant(new KillTemporal()),
  ];
}

/** An optional step: present most of the time when `likely`, otherwise about half of the time; shrinks to absent. */
const step = <T>(arb: fc.Arbitrary<T>, likely = false) => fc.option(arb, { nil: null, freq: likely ? 8 : 2 });
type ClaimSpec = [ClaimKind, number, ClaimDelivery] | null;
const claimStep = (kinds: ClaimKind[], likely = false) => step(fc.tuple(fc.constantFrom(...kinds), responsibility, claimDelivery), likely);
const resolveStep = step(resolveAction.map((a) => new Resolve(-1, a)));
const onClaim = (v: number, spec: ClaimSpec) => (spec ? new ClaimEvent(v, ...spec) : null);

type Steps = fc.Arbitrary<(Cmd | null)[]>;

/**
 * One story on one claim, in the order that finds most: money on the claim (a copay through the superbill, a balance
 * payment through the patient page, or a copay paid the day after that staff place by hand), then a change of its
 * patient responsibility (lowered or raised), staff resolving the newest task, the payer taking the claim back, staff
 * resolving (credit/refund/apply) before it comes back, the claim back with the patient, and a last change. Every
 * step but the money is optional (and shrinks away); each command picks its target when it runs (the newest
 * collection awaiting its capture, the newest open task), so few find nothing to act on.
 */
function story(): fc.Arbitrary<Cmd[]> {
  const tail = fc.tuple(
    claimStep(['lower', 'lower', 'raise', 'transfer']),
    resolveStep,
    claimStep(['reverse'], true),
    resolveStep,
    claimStep(['transfer', 'transfer', 'next', 'out-of-order'], true),
    claimStep(['lower', 'raise', 'raise', 'reverse', 'stale']),
  );
  const tailOn = (v: number, [change, r1, reverse, r2, back, last]: [ClaimSpec, Cmd | null, ClaimSpec, Cmd | null, ClaimSpec, ClaimSpec]) =>
    [onClaim(v, change), r1, onClaim(v, reverse), r2, onClaim(v, back), onClaim(v, last)];
  const head = fc.tuple(visit, dollars, captureVariant, claimStep(['transfer'], true), tail);
  const copay: Steps = head.map(([v, cents, variant, transfer, rest]) => [new CollectCopay(v, cents, true), new Capture(-1, true, variant), onClaim(FOCUS, transfer), ...tailOn(FOCUS, rest)]);
  const balance: Steps = head.map(([v, cents, variant, transfer, rest]) => [onClaim(v, transfer), new CollectBalance(cents), new Capture(-1, true, variant), ...tailOn(v, rest)]);
  const manual: Steps = head.map(([v, cents, , transfer, rest]) => [new CollectCopay(v, cents, true), new Capture(-1, false, 'once'), onClaim(FOCUS, transfer), new Resolve(-1, 'apply'), ...tailOn(FOCUS, rest)]);
  const statement: Steps = head.map(([v, cents, variant, transfer, rest]) => [onClaim(v, transfer), new PayStatement(cents), new Capture(-1, true, variant), ...tailOn(v, rest)]);
  const cancelled: Steps = fc.tuple(visit, dollars).map(([v, cents]) => [new CollectCopay(v, cents, true), new Cancel(-1), new LateCaptureAfterCancel(-1)]);
  return fc.oneof(
    { arbitrary: copay, weight: 4 },
    { arbitrary: balance, weight: 3 },
    { arbitrary: statement, weight: 2 },
    { arbitrary: manual, weight: 2 },
    { arbitrary: cancelled, weight: 1 },
  ).map((cmds) => cmds.filter((c): c is Cmd => c !== null));
}

/**
 * A sequence: stories and single commands (kills, stale and out-of-order versions, duplicates, cancellations …),
 * flattened and cut at `maxCommands`. A plain array of commands (fast-check shrinks it by removing stories, optional
 * steps and single commands, and by shrinking their values).
 */
export function sequenceArbitrary(maxCommands: number): fc.Arbitrary<Cmd[]> {
  const single = fc.oneof(...commandArbitraries()).map((c) => [c]);
  return fc.array(fc.oneof({ arbitrary: story(), weight: 3 }, { arbitrary: single, weight: 2 }), { minLength: 1, maxLength: Math.max(1, Math.ceil(maxCommands / 3)) })
    .map((parts) => parts.flat().slice(0, maxCommands));
}
