/**
 * Remittances received as X12 835 files (issue 16, ingest; docs/remittances.md#ingest):
 * - the file is read whole (edi/x835 `readRemittance`: parsed, envelopes and balances checked); an X12Error is a 422
 *   naming the segment and its position, and nothing is stored;
 * - then ONE transaction: the file once per practice by the SHA-256 of its bytes (the same bytes again: the first
 *   answer, `duplicate: true`), each payment (ST … SE) once per (practice, payer TRN03, trace TRN02) (the same trace in
 *   other bytes: 409, everything rolled back), each claim payment once per (trace, CLP01, occurrence), and for each CLP
 *   that names one of our claims (CLP01 = the claim's external id, within the practice) the very change a clearinghouse
 *   `claim.upserted` makes (app/ehr-events.ts recordClaimChange: the new version, reversals, the message to the
 *   visit's copay run through the outbox), in this same transaction;
 * - versions: the claim is locked and its next version is the stored one + 1. A re-sent file never gets that far (its
 *   hash, its traces and its claim keys are all stored with the change), so a claim's version moves once per claim
 *   payment, whatever is re-sent.
 * Staff part (docs/remittances.md#staff-pages): a CLP01 that is no claim's external id matches the claim staff taught for
 * that payer's CLP01 (an alias); staff match an unmatched claim payment by hand (matchRemittanceClaim) through the very
 * same change (applyClaimPayment), once; a file refused as a whole is noted for the staff page (its hash and problem).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../db/connection';
import {
  aliasesFor, claimOfPractice, claimRemittanceFile, claimRemittanceTrace, finishRemittanceFile, insertRemittanceClaims, insertRemittanceMatch, lockClaims,
  lockRemittanceClaim, payerNameOf, recordRefusal, rememberAlias, remittanceFile, remittanceFiles, remittanceRefusals, searchClaims,
  type ClaimCandidate, type LockedClaim, type NewRemittanceClaim, type PrAdjustment, type RemittanceClaimRow, type RemittanceRefusal, type StoredServiceLine,
} from '../db/queries/remittances';
import { writeAudit } from '../db/queries/audit';
import type { Staff } from '../db/queries/staff';
import type { ClaimLineRecord, ClaimRecord } from '../db/queries/reference-data';
import type { ResponseBody } from '../contracts/operation';
import type { remittanceIngestSchema, remittanceMatchSchema } from '../contracts/remittances';
import { patientResponsibilityLines } from '../domain/remittance-reasons';
import { X12Error } from '../edi/x12/errors';
import type { Claim835, Remittance835, Transaction835 } from '../edi/x835/model';
import { readRemittance } from '../edi/x835/validate';
import { AppError, conflict, validationFailed } from '../lib/errors';
import { recordClaimChange } from './ehr-events';

export interface RemittanceDeps { db: Db; reversalWatchMs: number }
export type IngestAnswer = ResponseBody<typeof remittanceIngestSchema>;

/** CLP02 codes that mean the payer adjudicated the claim: what is left is the patient's. */
const PROCESSED = new Set(['1', '2', '3', '19', '20', '21']);

/** The file, read whole, or a 422 naming the segment and position of its first problem (never its contents: PHI). */
export function readRemittanceFile(text: string): Remittance835 {
  try {
    return readRemittance(text);
  } catch (err) {
    if (err instanceof X12Error) throw validationFailed([{ field: `segment ${err.segment} at position ${err.position}`, reason: err.reason }]);
    throw err;
  }
}

const payerOf = (t: Transaction835) => ({ id: t.trace.payerId || t.payer.id?.value || t.payer.name, name: t.payer.name });
const paymentCentsOf = (t: Transaction835) => (t.payment.creditDebit === 'D' ? -t.payment.totalCents : t.payment.totalCents);

/** The group PR adjustments of a claim (claim level, then its lines, 1-based). */
export function prAdjustmentsOf(claim: Claim835): PrAdjustment[] {
  return [
    ...claim.adjustments.filter((a) => a.group === 'PR').map((a) => ({ code: a.reasonCode, amountCents: a.amountCents })),
    ...claim.serviceLines.flatMap((line, i) => line.adjustments.filter((a) => a.group === 'PR').map((a) => ({ code: a.reasonCode, amountCents: a.amountCents, lineNumber: i + 1 }))),
  ];
}

/**
 * What one claim payment (CLP) says that a claim's next version needs: read from the file at ingest, or from the
 * stored row when staff match it later, so both take exactly the same change.
 */
export interface ClaimPayment {
  status: string; chargeCents: number; paidCents: number; patientResponsibilityCents: number;
  prAdjustments: PrAdjustment[]; serviceLines: StoredServiceLine[];
}

export const serviceLinesOf = (claim: Claim835): StoredServiceLine[] =>
  claim.serviceLines.map((l) => ({ procedureCode: l.procedure.code, chargeCents: l.chargeCents, paidCents: l.paidCents }));

export const claimPaymentOf = (claim: Claim835): ClaimPayment => ({
  status: claim.status, chargeCents: claim.chargeCents, paidCents: claim.paidCents, patientResponsibilityCents: claim.patientResponsibilityCents,
  prAdjustments: prAdjustmentsOf(claim), serviceLines: serviceLinesOf(claim),
});

/** A stored claim payment; one stored before its service lines were kept (migration 017) has none: the claim's totals apply. */
const claimPaymentOfRow = (c: RemittanceClaimRow): ClaimPayment => ({
  status: c.statusCode, chargeCents: c.chargeCents, paidCents: c.paidCents, patientResponsibilityCents: c.patientResponsibilityCents,
  prAdjustments: c.prAdjustments, serviceLines: c.serviceLines ?? [],
});

/**
 * Our claim's lines after an adjudication: each line takes the amounts of the first service line (SVC) with its
 * procedure code; a single-line claim with no such SVC takes the claim's totals; other lines keep what they had (a
 * payer may report only what it adjudicated). Never a negative amount (the ledger's lines are never negative).
 */
function adjudicatedLines(ours: ClaimLineRecord[], claim: ClaimPayment, owedCents: number): ClaimLineRecord[] {
  const used = new Set<number>();
  const lines = ours.map((line) => {
    const i = claim.serviceLines.findIndex((svc, n) => !used.has(n) && svc.procedureCode === line.procedureCode);
    if (i < 0) return line;
    used.add(i);
    const svc = claim.serviceLines[i]!;
    const pr = claim.prAdjustments.filter((a) => a.lineNumber === i + 1).reduce((s, a) => s + a.amountCents, 0);
    const adjustment = svc.chargeCents - svc.paidCents - pr;
    if (svc.paidCents < 0 || pr < 0 || adjustment < 0) return line;
    return { ...line, insurerPaidCents: svc.paidCents, adjustmentCents: adjustment, patientResponsibilityCents: pr };
  });
  if (used.size === 0 && lines.length === 1 && claim.paidCents >= 0) {
    const only = lines[0]!;
    return [{ ...only, insurerPaidCents: claim.paidCents, patientResponsibilityCents: owedCents, adjustmentCents: Math.max(0, claim.chargeCents - claim.paidCents - owedCents) }];
  }
  return lines;
}

/** The claim's next version as this claim payment makes it: what a clearinghouse `claim.upserted` would carry. */
export function claimRecordFor(ours: LockedClaim, claim: ClaimPayment, payerName: string): ClaimRecord | undefined {
  const base = {
    practiceExternalId: ours.practiceExternalId, visitExternalId: ours.visitExternalId, externalId: ours.externalId,
    version: ours.version + 1, payerName,
  };
  if (claim.status === '22') {
    // The payer takes its adjudication back: the claim is the payer's again (the reversal machinery acts).
    return { ...base, responsibility: 'payer', payerStatus: 'reprocessing', patientResponsibilityCents: ours.patientResponsibilityCents, lines: ours.lines };
  }
  if (claim.status === '4') return { ...base, responsibility: 'payer', payerStatus: 'denied', patientResponsibilityCents: ours.patientResponsibilityCents, lines: ours.lines };
  if (!PROCESSED.has(claim.status)) return undefined; // 23: not our claim, forwarded: nothing to change
  const pr = claim.prAdjustments;
  const owed = Math.max(0, pr.length > 0 ? pr.reduce((s, a) => s + a.amountCents, 0) : claim.patientResponsibilityCents);
  return {
    ...base, responsibility: 'patient', payerStatus: owed === 0 ? 'paid_in_full' : 'adjudicated', patientResponsibilityCents: owed,
    lines: adjudicatedLines(ours.lines, claim, owed),
  };
}

type ChangeOutcome = 'updated' | 'stale' | 'ignored';

/**
 * The one path by which a claim payment changes our claim, at ingest and when staff match it: the clearinghouse's
 * `claim.upserted` (recordClaimChange: the new version, reversals, the message to the visit's copay run through the
 * outbox), inside the caller's transaction, with the claim locked by the caller.
 */
async function applyClaimPayment(deps: RemittanceDeps, trx: Db, o: { rowId: string; ours: LockedClaim; payment: ClaimPayment; payerName: string }): Promise<{ outcome: ChangeOutcome; record?: ClaimRecord }> {
  const record = claimRecordFor(o.ours, o.payment, o.payerName);
  if (!record) return { outcome: 'ignored' };
  const changed = await recordClaimChange({ db: trx, reversalWatchMs: deps.reversalWatchMs }, {
    eventId: `remittance-claim-${o.rowId}`, type: 'claim.upserted', occurredAt: new Date().toISOString(), data: record,
  });
  return { outcome: changed.status === 'stale' ? 'stale' : 'updated', record };
}

/** Receives one 835 file for the staff member's practice: 201 with what it did, or 200 with the first answer. */
export async function ingestRemittance(deps: RemittanceDeps, staff: Staff, body: Buffer): Promise<{ status: 200 | 201; answer: IngestAnswer }> {
  try {
    return await ingestOnce(deps, staff, body);
  } catch (err) {
    // A file refused as a whole is remembered for staff (its hash and the problem, never its contents), after the
    // rollback: nothing of the file itself is stored.
    if (err instanceof AppError && (err.status === 422 || err.status === 409)) {
      // Best effort: the sender's answer is the refusal itself, never an outage of this note about it.
      await recordRefusal(deps.db, {
        practiceId: staff.practiceId, contentSha256: createHash('sha256').update(body).digest('hex'), byteSize: body.length, status: err.status,
        detail: err.message, refusedBy: `staff:${staff.id}`,
      }).catch(() => undefined);
    }
    throw err;
  }
}

async function ingestOnce(deps: RemittanceDeps, staff: Staff, body: Buffer): Promise<{ status: 200 | 201; answer: IngestAnswer }> {
  const remittance = readRemittanceFile(body.toString('utf8'));
  const transactions = remittance.groups.flatMap((g) => g.transactions);
  const first = transactions[0]!;
  const traces = transactions.map((t) => `${payerOf(t).id}\u0000${t.trace.number}`);
  const repeated = traces.findIndex((k, i) => traces.indexOf(k) !== i);
  if (repeated >= 0) {
    throw validationFailed([{ field: `transaction ${repeated + 1}`, reason: 'repeats the payer and trace number (TRN02, TRN03) of an earlier transaction of this file' }]);
  }
  const sha = createHash('sha256').update(body).digest('hex');
  return deps.db.transaction(async (trx) => {
    const file = await claimRemittanceFile(trx, {
      practiceId: staff.practiceId, contentSha256: sha, payerId: payerOf(first).id, payerName: payerOf(first).name, traceNumber: first.trace.number,
      transactions: transactions.length, byteSize: body.length, receivedBy: `staff:${staff.id}`,
    });
    if (file.kind === 'duplicate') return { status: 200 as const, answer: { ...(file.answer as IngestAnswer), duplicate: true } };
    const fileId = file.fileId;

    for (const t of transactions) {
      const claimed = await claimRemittanceTrace(trx, { practiceId: staff.practiceId, fileId, payerId: payerOf(t).id, traceNumber: t.trace.number, paymentCents: paymentCentsOf(t) });
      // Rolls the whole file back: a payment is received once, whichever file carries it.
      if (!claimed) throw conflict(`Payer ${payerOf(t).id} trace ${t.trace.number} was already received in another file (other content); nothing of this file was stored.`);
    }

    // CLP01 is our claim's external id; failing that, the claim staff taught for that payer's CLP01 (a remembered alias).
    const clp01s = [...new Set(transactions.flatMap((t) => t.claims.map((c) => c.patientControlNumber)))];
    const aliases = new Map((await aliasesFor(trx, staff.practiceId, clp01s)).map((a) => [`${a.payerId}\u0000${a.clp01}`, a.claimId]));
    const ours = await lockClaims(trx, staff.practiceId, { externalIds: clp01s, ids: [...new Set(aliases.values())] });
    const byExternalId = new Map([...ours.values()].map((c) => [c.externalId, c.id]));
    const rows: NewRemittanceClaim[] = [];
    for (const t of transactions) {
      const payer = payerOf(t);
      const occurrences = new Map<string, number>();
      for (const claim of t.claims) {
        const clp01 = claim.patientControlNumber;
        const occurrence = occurrences.get(clp01) ?? 0;
        occurrences.set(clp01, occurrence + 1);
        const rowId = randomUUID();
        const matchedId = byExternalId.get(clp01) ?? aliases.get(`${payer.id}\u0000${clp01}`);
        const matched = matchedId === undefined ? undefined : ours.get(matchedId);
        const payment = claimPaymentOf(claim);
        let outcome: NewRemittanceClaim['outcome'] = 'unmatched';
        let appliedVersion: number | null = null;
        if (matched) {
          const applied = await applyClaimPayment(deps, trx, { rowId, ours: matched, payment, payerName: payer.name });
          outcome = applied.outcome;
          const record = applied.record;
          if (record) {
            if (outcome === 'updated') appliedVersion = record.version;
            // The next CLP of this claim in the file (a reversal, then its re-adjudication) builds on this version.
            ours.set(matched.id, { ...matched, version: record.version, responsibility: record.responsibility, payerStatus: record.payerStatus, patientResponsibilityCents: record.patientResponsibilityCents, lines: record.lines });
          }
        }
        rows.push({
          id: rowId, practiceId: staff.practiceId, fileId, payerId: payer.id, traceNumber: t.trace.number, clp01, occurrence, position: rows.length,
          statusCode: claim.status, chargeCents: claim.chargeCents, paidCents: claim.paidCents, patientResponsibilityCents: claim.patientResponsibilityCents,
          prAdjustments: payment.prAdjustments, serviceLines: payment.serviceLines, matchedClaimId: matched?.id ?? null, appliedVersion, outcome,
        });
      }
    }
    await insertRemittanceClaims(trx, rows);

    const matchedCount = rows.filter((r) => r.matchedClaimId !== null).length;
    const answer: IngestAnswer = {
      fileId, traceNumber: first.trace.number, payer: payerOf(first), paymentCents: transactions.reduce((s, t) => s + paymentCentsOf(t), 0),
      claims: rows.length, matched: matchedCount, unmatched: rows.length - matchedCount,
      transactions: transactions.map((t) => ({ traceNumber: t.trace.number, payer: payerOf(t), paymentCents: paymentCentsOf(t), claims: t.claims.length })),
      duplicate: false,
    };
    await finishRemittanceFile(trx, fileId, { paymentCents: answer.paymentCents, claims: answer.claims, matched: answer.matched, unmatched: answer.unmatched }, answer);
    return { status: 201 as const, answer };
  });
}

const MAX_LISTED = 200;

// Inferred types (ids are strings, instants Dates): the pages use them as they are; the routes' sendJson checks that they
// are what the contract's schemas describe.
const fileView = (f: Awaited<ReturnType<typeof remittanceFiles>>[number]) => ({
  fileId: f.id, traceNumber: f.traceNumber, payer: { id: f.payerId, name: f.payerName }, transactions: f.transactions, byteSize: f.byteSize,
  paymentCents: f.paymentCents, claims: f.claims, matched: f.matched, unmatched: f.unmatched, receivedAt: f.receivedAt, receivedBy: f.receivedBy,
});

export async function listRemittances(deps: { db: Db }, staff: Staff) {
  return (await remittanceFiles(deps.db, staff.practiceId, MAX_LISTED)).map(fileView);
}

/** One file of the practice (404 for another practice's, like an unknown id) with its claim payments in plain words. */
export async function remittanceDetail(deps: { db: Db }, staff: Staff, fileId: string) {
  const { file, claims } = await remittanceFile(deps.db, staff.practiceId, fileId);
  return {
    file: fileView(file),
    claims: claims.map((c) => ({
      id: c.id, traceNumber: c.traceNumber, patientControlNumber: c.clp01, occurrence: c.occurrence, statusCode: c.statusCode,
      chargeCents: c.chargeCents, paidCents: c.paidCents, patientResponsibilityCents: c.patientResponsibilityCents,
      matchedClaimId: c.matchedClaimId, matchedClaimExternalId: c.matchedClaimExternalId, matchedVisitId: c.matchedVisitId,
      outcome: c.outcome, appliedVersion: c.appliedVersion,
      manualMatch: c.manualMatch && { staffId: c.manualMatch.staffId, staffName: c.manualMatch.staffName, matchedAt: c.manualMatch.matchedAt },
      patientOwes: patientResponsibilityLines({ adjustments: c.prAdjustments.map((a) => ({ group: 'PR', reasonCode: a.code, amountCents: a.amountCents })), serviceLines: [] }),
      prAdjustments: c.prAdjustments,
    })),
  };
}

/** The practice's uploads refused as a whole, last refused first. */
export async function refusedRemittances(deps: { db: Db }, staff: Staff): Promise<RemittanceRefusal[]> {
  return remittanceRefusals(deps.db, staff.practiceId, 20);
}

/** The practice's claims a claim payment could be matched to: by claim or visit external id (a prefix). */
export async function matchCandidates(deps: { db: Db }, staff: Staff, q: string): Promise<ClaimCandidate[]> {
  const text = q.trim();
  return text === '' ? [] : searchClaims(deps.db, staff.practiceId, text.slice(0, 100), 20);
}

export type MatchAnswer = ResponseBody<typeof remittanceMatchSchema>;

/**
 * Staff match an unmatched claim payment to one of the practice's claims (docs/remittances.md#staff-pages). In one
 * transaction: the claim payment is locked (two staff at once: one after the other), refused when it already has a
 * claim (409 naming the claim, who and when); the claim takes the very change the ingest makes (applyClaimPayment:
 * its version + 1 under the lock, reversals, the copay run woken through the outbox); the match row (unique per claim
 * payment: exactly once, whatever races) with who and when; the alias (practice, payer, CLP01) → claim, so later files
 * match by themselves; an audit row. An alias already teaching another claim for that payer's CLP01 is a 409: nothing
 * changes.
 */
export async function matchRemittanceClaim(deps: RemittanceDeps, staff: Staff, fileId: string, remittanceClaimId: string, claimId: string): Promise<MatchAnswer> {
  return deps.db.transaction(async (trx) => {
    const rc = await lockRemittanceClaim(trx, staff.practiceId, fileId, remittanceClaimId);
    if (rc.matchedClaimId) {
      const how = rc.manualMatch ? `by ${rc.manualMatch.staffName} at ${rc.manualMatch.matchedAt.toISOString()}` : 'automatically when the file was received';
      throw conflict(`This claim payment is already matched to claim ${rc.matchedClaimId}, ${how}; it changes a claim once.`);
    }
    const target = await claimOfPractice(trx, staff.practiceId, claimId);
    if (!target) throw validationFailed([{ field: 'claimId', reason: 'no claim of this practice has this id' }]);
    const alias = await rememberAlias(trx, { practiceId: staff.practiceId, payerId: rc.payerId, clp01: rc.clp01, claimId, createdBy: staff.id, remittanceClaimId: rc.id });
    if (alias.claimId !== claimId) {
      throw conflict(`This payer's claim number is already remembered as claim ${alias.claimId} (an earlier match); match this claim payment to that claim.`);
    }
    const ours = (await lockClaims(trx, staff.practiceId, { ids: [claimId] })).get(claimId)!;
    const payerName = (await payerNameOf(trx, fileId, rc.payerId, rc.traceNumber)) ?? ours.payerName ?? rc.payerId;
    const { outcome, record } = await applyClaimPayment(deps, trx, { rowId: rc.id, ours, payment: claimPaymentOfRow(rc), payerName });
    const appliedVersion = outcome === 'updated' ? record!.version : null;
    const { matchedAt } = await insertRemittanceMatch(trx, { practiceId: staff.practiceId, fileId, remittanceClaimId: rc.id, claimId, matchedBy: staff.id, appliedVersion, outcome });
    // Ids, codes and versions only: CLP01 (a claim number the payer echoes) stays out of the audit trail.
    await writeAudit(trx, {
      practiceId: staff.practiceId, actor: `user:${staff.id}`, action: 'remittance_claim.matched', entityType: 'remittance_claim', entityId: rc.id,
      before: { matchedClaimId: null, outcome: 'unmatched' },
      after: { matchedClaimId: claimId, outcome, appliedVersion, statusCode: rc.statusCode, aliasRemembered: alias.created },
    });
    return {
      fileId, remittanceClaimId: rc.id, claimId, visitId: target.visitId, outcome, appliedVersion,
      matchedBy: { staffId: staff.id, staffName: staff.displayName }, matchedAt, aliasRemembered: alias.created,
    };
  });
}
