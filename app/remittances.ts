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
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../db/connection';
import {
  claimRemittanceFile, claimRemittanceTrace, finishRemittanceFile, insertRemittanceClaims, lockClaimsByExternalId, remittanceFile, remittanceFiles,
  type LockedClaim, type NewRemittanceClaim, type PrAdjustment,
} from '../db/queries/remittances';
import type { Staff } from '../db/queries/staff';
import type { ClaimLineRecord, ClaimRecord } from '../db/queries/reference-data';
import type { ResponseBody } from '../contracts/operation';
import type { remittanceDetailSchema, remittanceFileSchema, remittanceIngestSchema } from '../contracts/remittances';
import { patientResponsibilityLines } from '../domain/remittance-reasons';
import { X12Error } from '../edi/x12/errors';
import type { Claim835, Remittance835, Transaction835 } from '../edi/x835/model';
import { readRemittance } from '../edi/x835/validate';
import { conflict, validationFailed } from '../lib/errors';
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
 * Our claim's lines after an adjudication: each line takes the amounts of the first service line (SVC) with its
 * procedure code; a single-line claim with no such SVC takes the claim's totals; other lines keep what they had (a
 * payer may report only what it adjudicated). Never a negative amount (the ledger's lines are never negative).
 */
function adjudicatedLines(ours: ClaimLineRecord[], claim: Claim835, owedCents: number): ClaimLineRecord[] {
  const used = new Set<number>();
  const lines = ours.map((line) => {
    const i = claim.serviceLines.findIndex((svc, n) => !used.has(n) && svc.procedure.code === line.procedureCode);
    if (i < 0) return line;
    used.add(i);
    const svc = claim.serviceLines[i]!;
    const pr = svc.adjustments.filter((a) => a.group === 'PR').reduce((s, a) => s + a.amountCents, 0);
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
export function claimRecordFor(ours: LockedClaim, claim: Claim835, payerName: string): ClaimRecord | undefined {
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
  const pr = prAdjustmentsOf(claim);
  const owed = Math.max(0, pr.length > 0 ? pr.reduce((s, a) => s + a.amountCents, 0) : claim.patientResponsibilityCents);
  return {
    ...base, responsibility: 'patient', payerStatus: owed === 0 ? 'paid_in_full' : 'adjudicated', patientResponsibilityCents: owed,
    lines: adjudicatedLines(ours.lines, claim, owed),
  };
}

/** Receives one 835 file for the staff member's practice: 201 with what it did, or 200 with the first answer. */
export async function ingestRemittance(deps: RemittanceDeps, staff: Staff, body: Buffer): Promise<{ status: 200 | 201; answer: IngestAnswer }> {
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

    const ours = await lockClaimsByExternalId(trx, staff.practiceId, [...new Set(transactions.flatMap((t) => t.claims.map((c) => c.patientControlNumber)))]);
    const rows: NewRemittanceClaim[] = [];
    for (const t of transactions) {
      const payer = payerOf(t);
      const occurrences = new Map<string, number>();
      for (const claim of t.claims) {
        const clp01 = claim.patientControlNumber;
        const occurrence = occurrences.get(clp01) ?? 0;
        occurrences.set(clp01, occurrence + 1);
        const rowId = randomUUID();
        const matched = ours.get(clp01);
        const record = matched ? claimRecordFor(matched, claim, payer.name) : undefined;
        let outcome: NewRemittanceClaim['outcome'] = matched ? 'ignored' : 'unmatched';
        if (matched && record) {
          const changed = await recordClaimChange({ db: trx, reversalWatchMs: deps.reversalWatchMs }, {
            eventId: `remittance-claim-${rowId}`, type: 'claim.upserted', occurredAt: new Date().toISOString(), data: record,
          });
          outcome = changed.status === 'stale' ? 'stale' : 'updated';
          // The next CLP of this claim in the file (a reversal, then its re-adjudication) builds on this version.
          ours.set(clp01, { ...matched, version: record.version, responsibility: record.responsibility, payerStatus: record.payerStatus, patientResponsibilityCents: record.patientResponsibilityCents, lines: record.lines });
        }
        rows.push({
          id: rowId, practiceId: staff.practiceId, fileId, payerId: payer.id, traceNumber: t.trace.number, clp01, occurrence, position: rows.length,
          statusCode: claim.status, chargeCents: claim.chargeCents, paidCents: claim.paidCents, patientResponsibilityCents: claim.patientResponsibilityCents,
          prAdjustments: prAdjustmentsOf(claim), matchedClaimId: matched?.id ?? null, appliedVersion: outcome === 'updated' ? record!.version : null, outcome,
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

type FileView = ResponseBody<typeof remittanceFileSchema>;
const fileView = (f: Awaited<ReturnType<typeof remittanceFiles>>[number]): FileView => ({
  fileId: f.id, traceNumber: f.traceNumber, payer: { id: f.payerId, name: f.payerName }, transactions: f.transactions, byteSize: f.byteSize,
  paymentCents: f.paymentCents, claims: f.claims, matched: f.matched, unmatched: f.unmatched, receivedAt: f.receivedAt, receivedBy: f.receivedBy,
});

export async function listRemittances(deps: { db: Db }, staff: Staff): Promise<FileView[]> {
  return (await remittanceFiles(deps.db, staff.practiceId, MAX_LISTED)).map(fileView);
}

/** One file of the practice (404 for another practice's, like an unknown id) with its claim payments in plain words. */
export async function remittanceDetail(deps: { db: Db }, staff: Staff, fileId: string): Promise<ResponseBody<typeof remittanceDetailSchema>> {
  const { file, claims } = await remittanceFile(deps.db, staff.practiceId, fileId);
  return {
    file: fileView(file),
    claims: claims.map((c) => ({
      id: c.id, traceNumber: c.traceNumber, patientControlNumber: c.clp01, occurrence: c.occurrence, statusCode: c.statusCode,
      chargeCents: c.chargeCents, paidCents: c.paidCents, patientResponsibilityCents: c.patientResponsibilityCents,
      matchedClaimId: c.matchedClaimId, outcome: c.outcome, appliedVersion: c.appliedVersion,
      patientOwes: patientResponsibilityLines({ adjustments: c.prAdjustments.map((a) => ({ group: 'PR', reasonCode: a.code, amountCents: a.amountCents })), serviceLines: [] }),
      prAdjustments: c.prAdjustments,
    })),
  };
}
