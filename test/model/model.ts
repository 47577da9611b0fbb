/**
 * The model-based run's in-memory model (issue 12): what one sequence's patient, visits, claims, collections, payments
 * and tasks should look like after each command, by the rules of shared/domain.md and issue 12 (every payer reversal
 * reaches every standing application: automatic ones reversed, a watching copay run keeping the money of its own
 * applications, any other reversed money → one `credit_remaining` task per payment, manual ones stay → one
 * `claim_reversed` task per payment; when the claim comes back to the patient, money still in such a `credit_remaining`
 * task goes back on it by the payment's rule), and docs/decisions.md's later part: a newer version that keeps the claim
 * with the patient but lowers the patient responsibility trims the excess (newest automatic money first, the taken
 * part → a `credit_remaining` task per payment; manual money alone over → `claim_reversed`), and money in such an open
 * task goes back when the responsibility rises again.
 *
 * Each sequence seeds its own practice, patient and three visits (each with its payer-held claim, version 1), so
 * sequences never interfere. Every command waits for quiescence, so the order of effects is the order of commands.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connection';
import { upsertClaim, upsertVisit, type ClaimRecord } from '../../db/queries/reference-data';
import { seedScenario, type Scenario } from '../support/fixtures';
import type { FaultStack } from '../support/processes';

export type CollectionStatus = 'starting' | 'awaiting_capture' | 'awaiting_transfer' | 'applied' | 'needs_attention' | 'resolved' | 'expired' | 'cancelled';

export interface MClaim {
  claimId: string;
  visitId: string;
  visitExternalId: string;
  externalId: string;
  dateOfService: string;
  /** The highest version sent (what PostgreSQL must hold). */
  version: number;
  responsibility: 'payer' | 'patient';
  patientResponsibilityCents: number;
}

export interface MCollection {
  key: string;
  id: string;
  workflowId: string;
  path: 'copay' | 'balance' | 'statement';
  /** Copay: index of its visit / claim. */
  visit?: number;
  requestId: string;
  requestedCents: number;
  status: CollectionStatus;
  paymentKey?: string;
  /** The first capture's event id and the payload data (to deliver it again). */
  capture?: { eventId: string; externalPaymentId: string; paidAt: string; amountCents: number };
  /** The task its run waits for (needs_attention). */
  taskKey?: string;
  /** Copay: its run ended while its status said `applied` (a reversal found nothing automatic on its claim to undo). */
  finished?: boolean;
}

export interface MApplication {
  claim: number;
  cents: number;
  kind: 'auto' | 'manual';
  reversed: boolean;
  /** The model transaction that wrote it (the product orders a claim's applications by created_at = transaction start). */
  txn?: number;
  /** The claim version whose reversal or trim took it off. */
  reversedAt?: number;
  /** A copay run's own application (its round's key): the only money a watching run keeps through a reversal. */
  own?: boolean;
}

export interface MPayment {
  key: string;
  externalId: string;
  collectionKey: string;
  amountCents: number;
  reason: 'copay' | 'outstanding_balance';
  paymentDate: string;
  apps: MApplication[];
  refundedCents: number;
}

export interface MTask {
  key: string;
  reason: string;
  paymentKey?: string;
  claim?: number;
  amountCents: number;
  open: boolean;
  resolution?: string;
  /** A task a payer reversal or a trim opened for this claim version (its money goes back when the claim can take it). */
  version?: number;
  /** Of its money, how much went back on the claim by itself (documented: never more than the task holds). */
  returnedCents?: number;
  txn?: number;
  /** The real task's id, once matched. */
  realId?: string;
}

/** The sequence's billing statement (one per cycle: a sequence has at most one). */
export interface MStatement {
  id: string;
  /** Its lines' claims (indices), as generated: the patient-owned claims with an open balance then. */
  claims: number[];
  totalCents: number;
}

export interface Model {
  claims: MClaim[];
  statement?: MStatement;
  collections: MCollection[];
  payments: MPayment[];
  tasks: MTask[];
  /** Set when the model can no longer predict exactly (then only the invariants are checked); with the reason. */
  inexact?: string;
  seq: number;
  /** The current model transaction (one per webhook transaction, placement or staff decision). */
  txn?: number;
  /** The visit a story works on (set by its Collect Now, followed by its claim events: `FOCUS`). */
  focus?: number;
  /** What the sequence exercised (counted into the run's coverage figures). */
  events?: Record<string, number>;
}

export interface RunStats {
  sequences: number;
  commands: number;
  /** Commands generated for the random sequences, and those of them skipped (their `check` found nothing to act on). */
  generated: number;
  skipped: number;
  commandsByName: Record<string, number>;
  /** Wall milliseconds per command name (the command and its wait for quiescence), to see where a run's time goes. */
  msByName: Record<string, number>;
  /** The command running now (name, start), for msByName. */
  current?: { name: string; t0: number };
  kills: { worker: number; temporal: number };
  /** Processes that died on their own and were started again (test/model/real.ts: restartCrashed), by name. */
  crashes: Record<string, number>;
  violations: number;
  violationsByCheck: Record<string, number>;
  /** What the sequences exercised on one claim (money reversed, trimmed, returned, resolved by staff before a return …). */
  coverage: Record<string, number>;
  failures: string[];
  notes: string[];
  startedAt: number;
}

export interface Real {
  stack: FaultStack;
  s: Scenario;
  /** When this sequence started (its runs are the ones started since). */
  startedAt: number;
  stats: RunStats;
  keepGoing: boolean;
}

export const DATES_OF_SERVICE = ['2026-11-20', '2026-11-21', '2026-11-22'];
export const VISITS = DATES_OF_SERVICE.length;

export function newStats(): RunStats {
  return {
    sequences: 0, commands: 0, generated: 0, skipped: 0, commandsByName: {}, msByName: {}, kills: { worker: 0, temporal: 0 }, crashes: {}, violations: 0, violationsByCheck: {}, coverage: {}, failures: [], notes: [],
    startedAt: Date.now(),
  };
}

/** A new practice, patient and three visits with their payer-held claims (version 1), through the reference-data upserts. */
export async function seedSequence(db: Db): Promise<{ s: Scenario; claims: MClaim[] }> {
  const s = await seedScenario(db, { dateOfService: DATES_OF_SERVICE[0] });
  const claims: MClaim[] = [];
  for (const [i, dateOfService] of DATES_OF_SERVICE.entries()) {
    let visitId = s.visitId;
    let visitExternalId = s.visitExternalId;
    let externalId = s.claimExternalId;
    if (i > 0) {
      visitExternalId = `${s.visitExternalId}-${i}`;
      externalId = `${s.claimExternalId}-${i}`;
      visitId = (await upsertVisit(db, { practiceExternalId: s.practiceExternalId, patientExternalId: s.patientExternalId, externalId: visitExternalId, version: 1, dateOfService })).id;
      await upsertClaim(db, { ...s.claim, visitExternalId, externalId, version: 1 });
    }
    const row = await db('claims').where({ visit_id: visitId }).first<{ id: string }>('id');
    claims.push({ claimId: row.id, visitId, visitExternalId, externalId, dateOfService, version: 1, responsibility: 'payer', patientResponsibilityCents: 0 });
  }
  return { s, claims };
}

export function claimRecord(s: Scenario, c: MClaim, version: number, responsibility: 'payer' | 'patient', cents: number): ClaimRecord {
  return {
    practiceExternalId: s.practiceExternalId, visitExternalId: c.visitExternalId, externalId: c.externalId, version, responsibility,
    payerName: 'Test Payer', payerStatus: responsibility === 'payer' ? 'reprocessing' : cents === 0 ? 'paid_in_full' : 'adjudicated',
    patientResponsibilityCents: cents,
    lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 18000 - cents, adjustmentCents: 0, patientResponsibilityCents: cents }],
  };
}

export const newKey = (m: Model, prefix: string) => `${prefix}${++m.seq}`;
export const externalPaymentId = () => `pay_model_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

// ---------------------------------------------------------------------------------------------------------------
// Money in the model

const standing = (p: MPayment) => p.apps.filter((a) => !a.reversed).reduce((s, a) => s + a.cents, 0);
export const unapplied = (p: MPayment) => p.amountCents - standing(p) - p.refundedCents;
export const appliedOn = (m: Model, claim: number) =>
  m.payments.flatMap((p) => p.apps).filter((a) => a.claim === claim && !a.reversed).reduce((s, a) => s + a.cents, 0);
export const openBalance = (m: Model, claim: number) => Math.max(0, m.claims[claim]!.patientResponsibilityCents - appliedOn(m, claim));
/** The patient's balance a new statement would list: its patient-owned claims with an open balance. */
export const statementClaims = (m: Model) => m.claims.map((_, i) => i).filter((i) => m.claims[i]!.responsibility === 'patient' && openBalance(m, i) > 0);
/**
 * What the statement still asks for (db/queries/statements.ts statementDue): its total less what was paid through it
 * (refunds are not paid), never more than its claims still have open for the patient (both ways after reversals).
 */
export function statementDue(m: Model): number {
  const st = m.statement;
  if (!st) return 0;
  const paid = m.payments.filter((p) => m.collections.find((c) => c.key === p.collectionKey)?.path === 'statement').reduce((s, p) => s + p.amountCents - p.refundedCents, 0);
  const open = st.claims.filter((i) => m.claims[i]!.responsibility === 'patient').reduce((s, i) => s + openBalance(m, i), 0);
  return Math.max(0, Math.min(st.totalCents - paid, open));
}
export const paymentOf = (m: Model, c: MCollection) => m.payments.find((p) => p.key === c.paymentKey);
export const liveCopay = (m: Model, visit: number) => m.collections.find((c) => c.path === 'copay' && c.visit === visit && !['expired', 'cancelled'].includes(c.status));
export const liveBalance = (m: Model) => m.collections.find((c) => c.path === 'balance' && ['starting', 'awaiting_capture'].includes(c.status));

export const note = (m: Model, what: string) => {
  m.events ??= {};
  m.events[what] = (m.events[what] ?? 0) + 1;
};
/** From here on the model cannot predict this sequence exactly (the first reason is kept; the run's coverage counts them). */
export const inexact = (m: Model, why: string, where = '') => {
  if (m.inexact) return;
  m.inexact = where ? `${why} (${where})` : why;
  note(m, `inexact: ${why}`);
};
/** A new model transaction: what follows is written together (the product's created_at ties inside it). */
export const beginTxn = (m: Model) => (m.txn = (m.txn ?? 0) + 1);
export const applyMoney = (m: Model, p: MPayment, claim: number, cents: number, kind: 'auto' | 'manual', own = false) =>
  p.apps.push({ claim, cents, kind, reversed: false, txn: m.txn ?? 0, ...(own ? { own } : {}) });

function openTask(m: Model, t: Omit<MTask, 'key' | 'open'>): MTask {
  const task: MTask = { key: newKey(m, 't'), open: true, txn: m.txn ?? 0, ...t };
  m.tasks.push(task);
  return task;
}

/** The copay rule (domain.md), once its payment is recorded or its claim changed: apply, flag, or keep waiting. */
export function placeCopay(m: Model, c: MCollection): void {
  const p = paymentOf(m, c)!;
  const claim = m.claims[c.visit!]!;
  if (claim.responsibility !== 'patient') {
    c.status = 'awaiting_transfer';
    return;
  }
  const left = unapplied(p);
  if (p.paymentDate !== claim.dateOfService) {
    c.taskKey = openTask(m, { reason: 'date_mismatch', paymentKey: p.key, amountCents: left }).key;
    c.status = 'needs_attention';
    return;
  }
  beginTxn(m);
  const amount = Math.min(left, openBalance(m, c.visit!));
  if (amount > 0) applyMoney(m, p, c.visit!, amount, 'auto', c.path === 'copay');
  if (left - amount > 0) {
    c.taskKey = openTask(m, { reason: 'credit_remaining', paymentKey: p.key, amountCents: left - amount }).key;
    c.status = 'needs_attention';
  } else c.status = 'applied';
}

/**
 * The outstanding-balance rule (patient page and statement paths): the patient's patient-owned claims with an open
 * balance, first those the payment names (a statement payment: the statement's claims), each group oldest date of
 * service first.
 */
export function placeBalance(m: Model, c: MCollection): void {
  const p = paymentOf(m, c)!;
  beginTxn(m);
  let left = unapplied(p);
  const named = c.path === 'statement' ? new Set(m.statement?.claims ?? []) : new Set<number>();
  const order = m.claims.map((cl, i) => ({ cl, i }))
    .filter(({ cl, i }) => cl.responsibility === 'patient' && openBalance(m, i) > 0)
    .sort((a, b) => (named.has(a.i) !== named.has(b.i) ? (named.has(a.i) ? -1 : 1)
      : a.cl.dateOfService !== b.cl.dateOfService ? (a.cl.dateOfService < b.cl.dateOfService ? -1 : 1) : a.cl.claimId < b.cl.claimId ? -1 : 1));
  for (const { i } of order) {
    if (left === 0) break;
    const amount = Math.min(left, openBalance(m, i));
    applyMoney(m, p, i, amount, 'auto');
    left -= amount;
  }
  if (left > 0) {
    c.taskKey = openTask(m, { reason: 'credit_remaining', paymentKey: p.key, amountCents: left }).key;
    c.status = 'needs_attention';
  } else c.status = 'applied';
}

/**
 * A newer claim version arrived (not stale), in the webhook's one transaction: held by the payer → every standing
 * application is dealt with (`reverse`); the patient's → what stands beyond the (maybe lowered) patient responsibility
 * comes off (`trim`), then money a reversal or trim sent to staff goes back (`returnReversed`); then a copay run
 * waiting for the transfer places its money.
 */
export function claimChanged(m: Model, i: number, version: number, responsibility: 'payer' | 'patient', cents: number): void {
  const claim = m.claims[i]!;
  const was = { responsibility: claim.responsibility, cents: claim.patientResponsibilityCents };
  Object.assign(claim, { version, responsibility, patientResponsibilityCents: cents });
  beginTxn(m);
  if (responsibility === 'payer') {
    if (was.responsibility === 'patient') note(m, appliedOn(m, i) > 0 ? 'reversal with money on the claim' : 'reversal');
    reverse(m, i, version);
    return;
  }
  if (was.responsibility === 'patient') note(m, cents < was.cents ? 'lowered' : cents > was.cents ? 'raised' : 'same responsibility');
  trim(m, i, version);
  returnReversed(m, i);
  applyCredits(m);
  for (const c of m.collections) if (c.path === 'copay' && c.visit === i && c.status === 'awaiting_transfer') placeCopay(m, c);
}

/** Issue 12: every standing application on the claim (at every payer-held version: manual money gets its task again). */
function reverse(m: Model, i: number, version: number): void {
  // A copay run watching this claim wakes: something automatic reversed → it waits for the next transfer; nothing →
  // it ends (its row still says `applied`).
  const anyAuto = standingOn(m, i).some((x) => x.a.kind === 'auto');
  const woken = new Set<string>();
  for (const c of m.collections) {
    if (c.path !== 'copay' || c.visit !== i || c.status !== 'applied' || c.finished) continue;
    if (anyAuto) {
      c.status = 'awaiting_transfer';
      woken.add(c.key);
    } else c.finished = true;
  }
  for (const p of m.payments) {
    const col = m.collections.find((c) => c.key === p.collectionKey)!;
    const runKeeps = woken.has(col.key);
    let reversedCents = 0;
    let manualCents = 0;
    for (const a of p.apps) {
      if (a.claim !== i || a.reversed) continue;
      if (a.kind === 'auto') {
        a.reversed = true;
        a.reversedAt = version;
        if (!(runKeeps && a.own)) reversedCents += a.cents;
      } else manualCents += a.cents;
    }
    if (manualCents > 0) openTask(m, { reason: 'claim_reversed', paymentKey: p.key, claim: i, amountCents: manualCents, version });
    // The run keeps the money of its own applications (and places it at the next transfer); the rest of its payment's
    // money on the claim (put back by a return or a trim) goes to staff like anyone's.
    if (reversedCents > 0) openTask(m, { reason: 'credit_remaining', paymentKey: p.key, claim: i, amountCents: reversedCents, version });
  }
}

/** The claim's standing applications, oldest first (as the product orders them: created_at, i.e. transaction). */
const standingOn = (m: Model, i: number) => m.payments.flatMap((p) => p.apps.filter((a) => a.claim === i && !a.reversed).map((a) => ({ p, a })))
  .sort((x, y) => (x.a.txn ?? 0) - (y.a.txn ?? 0));

/**
 * decisions.md, "A lowered patient responsibility takes the excess off": newest automatic money first, each such
 * application reversed and the part that still fits applied again; the part taken off → a `credit_remaining` task per
 * payment (with the claim); a staff member's application is not undone: manual money alone over → its payments get a
 * `claim_reversed` task.
 */
function trim(m: Model, i: number, version: number): void {
  const standing = standingOn(m, i);
  let excess = standing.reduce((s, x) => s + x.a.cents, 0) - m.claims[i]!.patientResponsibilityCents;
  if (excess <= 0) return;
  note(m, 'trimmed');
  const newestFirst = [...standing].reverse();
  // Applications written in one transaction tie on created_at (the product then orders by a random id): when the
  // excess ends inside such a group of automatic applications of different payments, which one is cut is not known.
  const autoOf = (txn?: number) => newestFirst.filter((x) => x.a.kind === 'auto' && x.a.txn === txn);
  const taken = new Map<MPayment, number>();
  for (const { p, a } of newestFirst) {
    if (excess <= 0) break;
    if (a.kind !== 'auto') continue;
    const group = autoOf(a.txn);
    if (new Set(group.map((x) => x.p.key)).size > 1 && group.reduce((s, x) => s + x.a.cents, 0) > excess) inexact(m, 'a trim cuts into applications written together', `claim ${i}`);
    a.reversed = true;
    a.reversedAt = version;
    const off = Math.min(a.cents, excess);
    if (a.cents - off > 0) applyMoney(m, p, i, a.cents - off, 'auto');
    excess -= off;
    taken.set(p, (taken.get(p) ?? 0) + off);
  }
  for (const [p, cents] of taken) openTask(m, { reason: 'credit_remaining', paymentKey: p.key, claim: i, amountCents: cents, version });
  if (excess > 0) {
    for (const key of new Set(standing.filter((x) => x.a.kind === 'manual').map((x) => x.p.key))) {
      openTask(m, { reason: 'claim_reversed', paymentKey: key, claim: i, amountCents: 0, version });
    }
  }
}

/**
 * decisions.md, "Reversed money that went to staff … goes back by itself": the claim is the patient's (again, or
 * with a raised responsibility); each still-open `credit_remaining` task a reversal or trim opened for this claim,
 * oldest first, puts its money back by the payment's rule (decideReapplication: a copay only on its date of service;
 * a balance payment up to the claim's open balance; never more than the task's reversed money still out, nor than the
 * payment has unapplied). A task closes when all of its money is back or its payment has nothing unapplied left.
 */
function returnReversed(m: Model, i: number): void {
  const claim = m.claims[i]!;
  const tasks = m.tasks.filter((t) => t.open && t.reason === 'credit_remaining' && t.claim === i && t.version !== undefined);
  const wants = (t: MTask) => {
    const p = m.payments.find((x) => x.key === t.paymentKey)!;
    if (p.reason === 'copay' && p.paymentDate !== claim.dateOfService) return 0;
    return Math.min(t.amountCents - (t.returnedCents ?? 0), unapplied(p));
  };
  // Tasks opened in one transaction tie on created_at (then a random id): when they compete for what the older tasks
  // left of the open balance, which one gets it is not known. (Against the whole open balance, as before, missed a pair
  // that older tasks had left too little: found at b03ce69, seed 1033.)
  for (const txn of new Set(tasks.map((t) => t.txn ?? 0))) {
    const group = tasks.filter((t) => (t.txn ?? 0) === txn && wants(t) > 0);
    if (group.length > 1 && group.reduce((s, t) => s + wants(t), 0) > openBalance(m, i)) inexact(m, 'tasks of one transaction compete for a claim', `claim ${i}`);
    for (const t of group) {
      const p = m.payments.find((x) => x.key === t.paymentKey)!;
      const cents = Math.min(wants(t), openBalance(m, i));
      if (cents <= 0) continue;
      applyMoney(m, p, i, cents, 'auto');
      t.returnedCents = (t.returnedCents ?? 0) + cents;
      note(m, 'returned');
      if (t.returnedCents === t.amountCents || unapplied(p) === 0) Object.assign(t, { open: false, resolution: 'applied' });
    }
  }
}

const IN_FLIGHT: CollectionStatus[] = ['starting', 'awaiting_capture', 'awaiting_transfer', 'needs_attention'];
const FREE_TASK_REASONS = ['credit_remaining', 'no_open_balance', 'transfer_timeout'];

/**
 * Issue 18, credits that apply themselves (docs/card-on-file-and-plans.md): in the same transaction, the patient's credits (money
 * unapplied that no live run holds and no staff decision is pending on) go onto the patient's open balance, oldest
 * credit first: a copay only onto its own visit on its date of service, any other oldest date of service first. The open
 * balance a live copay's held money will take is not offered. A payment whose money is all placed closes its open tasks.
 */
function applyCredits(m: Model): void {
  const live = (p: MPayment) => IN_FLIGHT.includes(m.collections.find((c) => c.key === p.collectionKey)!.status);
  const credits = m.payments.filter((p) => unapplied(p) > 0 && !live(p)
    && !m.tasks.some((t) => t.open && t.paymentKey === p.key && !FREE_TASK_REASONS.includes(t.reason)));
  if (credits.length === 0) return;
  const heldFor = (i: number) => m.payments.filter((p) => live(p)).filter((p) => m.collections.find((c) => c.key === p.collectionKey)!.visit === i)
    .reduce((s, p) => s + unapplied(p), 0);
  const room = (i: number) => (m.claims[i]!.responsibility === 'patient' ? Math.max(0, openBalance(m, i) - heldFor(i)) : 0);
  const targetsOf = (p: MPayment) => {
    const col = m.collections.find((c) => c.key === p.collectionKey)!;
    return p.reason === 'copay'
      ? (col.visit !== undefined && m.claims[col.visit]!.dateOfService === p.paymentDate ? [col.visit] : [])
      : m.claims.map((_, i) => i); // claims are indexed in date-of-service order
  };
  credits.sort((a, b) => (a.paymentDate < b.paymentDate ? -1 : a.paymentDate > b.paymentDate ? 1 : 0));
  for (const p of credits) {
    // Credits of one date are served in the order of their ids in the product (unknown here): when that order changes
    // where the money goes (they compete for what older credits left, or a balance credit takes a copay's own visit),
    // the model is inexact. Judged when the date's first credit comes, on the room left then.
    const sameDate = credits.filter((x) => x.paymentDate === p.paymentDate);
    if (sameDate[0] === p && sameDate.length > 1) {
      const results = new Set(permutations(sameDate).map((order) => allocation(order, targetsOf, room)));
      if (results.size > 1) inexact(m, 'credits of one date compete');
    }
    for (const i of targetsOf(p)) {
      const cents = Math.min(unapplied(p), room(i));
      if (cents <= 0) continue;
      applyMoney(m, p, i, cents, 'auto');
      note(m, 'credit applied');
    }
    if (unapplied(p) === 0) for (const t of m.tasks) if (t.open && t.paymentKey === p.key) Object.assign(t, { open: false, resolution: 'applied' });
  }
}

/** Where credits served in this order would go (payment:claim:cents, sorted), on a copy of the room left now. */
function allocation(order: MPayment[], targetsOf: (p: MPayment) => number[], room: (i: number) => number): string {
  const left = new Map<number, number>();
  const placed: string[] = [];
  for (const p of order) {
    let rest = unapplied(p);
    for (const i of targetsOf(p)) {
      const cents = Math.min(rest, left.get(i) ?? room(i));
      if (cents <= 0) continue;
      left.set(i, (left.get(i) ?? room(i)) - cents);
      rest -= cents;
      placed.push(`${p.key}:${i}:${cents}`);
    }
  }
  return placed.sort().join(' ');
}

const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, k) => permutations([...xs.slice(0, k), ...xs.slice(k + 1)]).map((rest) => [x, ...rest])));

/** What the model expects of the stored claims (invariant 6). */
export const expectedVersions = (m: Model) => m.claims.map((c) => ({ claimId: c.claimId, version: c.version, responsibility: c.responsibility }));

export function describeModel(m: Model): string {
  const claims = m.claims.map((c, i) => `claim${i}: v${c.version} ${c.responsibility} pr=${c.patientResponsibilityCents} applied=${appliedOn(m, i)}`).join('; ');
  const cols = m.collections.map((c) => `${c.key}(${c.path}${c.visit !== undefined ? ` v${c.visit}` : ''} ${c.status}${c.paymentKey ? ` ${c.paymentKey}` : ''})`).join(' ');
  const pays = m.payments.map((p) => `${p.key}=${p.amountCents} unapplied=${unapplied(p)} refunded=${p.refundedCents}`).join(' ');
  const tasks = m.tasks.filter((t) => t.open).map((t) => `${t.key}:${t.reason}(${t.paymentKey ?? '-'} ${t.amountCents})`).join(' ');
  return `${claims}\ncollections: ${cols || '-'}\npayments: ${pays || '-'}\nopen tasks: ${tasks || '-'}${m.inexact ? `\n(inexact: ${m.inexact})` : ''}`;
}
