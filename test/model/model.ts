/**
 * The model-based run's in-memory model (issue 12): what one sequence's patient, visits, claims, collections, payments
 * and tasks should look like after each command, by the rules of shared/domain.md and issue 12 (every payer reversal
 * reaches every standing application: automatic ones reversed, the reversed money of a copay run still watching kept
 * by that run, any other reversed money → one `credit_remaining` task per payment, manual ones stay → one
 * `claim_reversed` task per payment; when the claim comes back to the patient, money still in such a `credit_remaining`
 * task goes back on it by the payment's rule).
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
  path: 'copay' | 'balance';
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
}

export interface MApplication { claim: number; cents: number; kind: 'auto' | 'manual'; reversed: boolean }

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
  /** The real task's id, once matched. */
  realId?: string;
}

export interface Model {
  claims: MClaim[];
  collections: MCollection[];
  payments: MPayment[];
  tasks: MTask[];
  /** Set when the model can no longer predict exactly (then only the invariants are checked); with the reason. */
  inexact?: string;
  seq: number;
}

export interface RunStats {
  sequences: number;
  commands: number;
  /** Commands generated for the random sequences, and those of them skipped (their `check` found nothing to act on). */
  generated: number;
  skipped: number;
  commandsByName: Record<string, number>;
  kills: { worker: number; temporal: number };
  violations: number;
  violationsByCheck: Record<string, number>;
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
    sequences: 0, commands: 0, generated: 0, skipped: 0, commandsByName: {}, kills: { worker: 0, temporal: 0 }, violations: 0, violationsByCheck: {}, failures: [], notes: [],
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
export const paymentOf = (m: Model, c: MCollection) => m.payments.find((p) => p.key === c.paymentKey);
export const liveCopay = (m: Model, visit: number) => m.collections.find((c) => c.path === 'copay' && c.visit === visit && !['expired', 'cancelled'].includes(c.status));
export const liveBalance = (m: Model) => m.collections.find((c) => c.path === 'balance' && ['starting', 'awaiting_capture'].includes(c.status));

function openTask(m: Model, t: Omit<MTask, 'key' | 'open'>): MTask {
  const task: MTask = { key: newKey(m, 't'), open: true, ...t };
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
  const amount = Math.min(left, openBalance(m, c.visit!));
  if (amount > 0) p.apps.push({ claim: c.visit!, cents: amount, kind: 'auto', reversed: false });
  if (left - amount > 0) {
    c.taskKey = openTask(m, { reason: 'credit_remaining', paymentKey: p.key, amountCents: left - amount }).key;
    c.status = 'needs_attention';
  } else c.status = 'applied';
}

/** The outstanding-balance rule: the patient's patient-owned claims with an open balance, oldest date of service first. */
export function placeBalance(m: Model, c: MCollection): void {
  const p = paymentOf(m, c)!;
  let left = unapplied(p);
  const order = m.claims.map((cl, i) => ({ cl, i }))
    .filter(({ cl, i }) => cl.responsibility === 'patient' && openBalance(m, i) > 0)
    .sort((a, b) => (a.cl.dateOfService !== b.cl.dateOfService ? (a.cl.dateOfService < b.cl.dateOfService ? -1 : 1) : a.cl.claimId < b.cl.claimId ? -1 : 1));
  for (const { i } of order) {
    if (left === 0) break;
    const amount = Math.min(left, openBalance(m, i));
    p.apps.push({ claim: i, cents: amount, kind: 'auto', reversed: false });
    left -= amount;
  }
  if (left > 0) {
    c.taskKey = openTask(m, { reason: 'credit_remaining', paymentKey: p.key, amountCents: left }).key;
    c.status = 'needs_attention';
  } else c.status = 'applied';
}

/** A newer claim version arrived (not stale): the claim changes; reversals and transfers take effect. */
export function claimChanged(m: Model, i: number, version: number, responsibility: 'payer' | 'patient', cents: number): void {
  const claim = m.claims[i]!;
  const wasPatient = claim.responsibility === 'patient';
  Object.assign(claim, { version, responsibility, patientResponsibilityCents: cents });
  if (responsibility === 'payer' && wasPatient) reverse(m, i);
  if (responsibility === 'patient') {
    returnReversed(m, i); // in the webhook's transaction: before any run hears of the transfer

    for (const c of m.collections) if (c.path === 'copay' && c.visit === i && c.status === 'awaiting_transfer') placeCopay(m, c);
  }
}

/** Issue 12: every standing application on the claim. */
function reverse(m: Model, i: number): void {
  for (const p of m.payments) {
    const col = m.collections.find((c) => c.key === p.collectionKey)!;
    const watching = col.path === 'copay' && col.status === 'applied';
    let reversedCents = 0;
    let manualCents = 0;
    for (const a of p.apps) {
      if (a.claim !== i || a.reversed) continue;
      if (a.kind === 'auto') {
        a.reversed = true;
        reversedCents += a.cents;
      } else manualCents += a.cents;
    }
    if (reversedCents > 0) {
      if (watching && col.visit === i) col.status = 'awaiting_transfer'; // the run keeps its money and waits for the next transfer
      else openTask(m, { reason: 'credit_remaining', paymentKey: p.key, claim: i, amountCents: reversedCents });
    }
    if (manualCents > 0) openTask(m, { reason: 'claim_reversed', paymentKey: p.key, claim: i, amountCents: manualCents });
  }
}

/**
 * The claim is the patient's again: money a reversal sent to staff (`credit_remaining` task on this claim, still open)
 * goes back on it by its payment's rule, oldest task first; a task whose money is all back closes.
 */
function returnReversed(m: Model, i: number): void {
  const claim = m.claims[i]!;
  for (const t of m.tasks) {
    if (!t.open || t.reason !== 'credit_remaining' || t.claim !== i) continue;
    const p = m.payments.find((x) => x.key === t.paymentKey)!;
    if (p.reason === 'copay' && p.paymentDate !== claim.dateOfService) continue;
    const cents = Math.min(t.amountCents, unapplied(p), openBalance(m, i));
    if (cents > 0) p.apps.push({ claim: i, cents, kind: 'auto', reversed: false });
    if (cents > 0 && cents === t.amountCents) Object.assign(t, { open: false, resolution: 'applied' });
  }
}

/** What the model expects of the stored claims (invariant 6). */
export const expectedVersions = (m: Model) => m.claims.map((c) => ({ claimId: c.claimId, version: c.version, responsibility: c.responsibility }));

export function describeModel(m: Model): string {
  const claims = m.claims.map((c, i) => `claim${i}: v${c.version} ${c.responsibility} pr=${c.patientResponsibilityCents} applied=${appliedOn(m, i)}`).join('; ');
  const cols = m.collections.map((c) => `${c.key}(${c.path}${c.visit !== undefined ? ` v${c.visit}` : ''} ${c.status}${c.paymentKey ? ` ${c.paymentKey}` : ''})`).join(' ');
  const pays = m.payments.map((p) => `${p.key}=${p.amountCents} unapplied=${unapplied(p)} refunded=${p.refundedCents}`).join(' ');
  const tasks = m.tasks.filter((t) => t.open).map((t) => `${t.key}:${t.reason}(${t.paymentKey ?? '-'} ${t.amountCents})`).join(' ');
  return `${claims}\ncollections: ${cols || '-'}\npayments: ${pays || '-'}\nopen tasks: ${tasks || '-'}${m.inexact ? `\n(inexact: ${m.inexact})` : ''}`;
}
