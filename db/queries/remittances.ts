/**
 * Remittance files (X12 835) as stored (db/migrations/016_remittances.ts): the file once per practice by its content
 * hash, each payment (transaction) once per (practice, payer, trace), each claim payment once per (practice, payer,
 * trace, CLP01, occurrence). The caller (app/remittances.ts) runs all of it in one transaction with the claim changes.
 */
import type { Db } from '../connection';
import { RowNotFound } from '../errors';
import type { ClaimLineRecord } from './reference-data';

export interface PrAdjustment { code: string; amountCents: number; lineNumber?: number }

export interface NewRemittanceFile {
  practiceId: string; contentSha256: string; payerId: string; payerName: string; traceNumber: string;
  transactions: number; byteSize: number; receivedBy: string;
}

/**
 * Stores the file, or finds the one stored with the same bytes: then its first answer. A concurrent upload of the same
 * bytes waits here on the unique key until the first commits (then finds its answer) or rolls back (then goes on).
 */
export async function claimRemittanceFile(trx: Db, f: NewRemittanceFile): Promise<{ kind: 'new'; fileId: string } | { kind: 'duplicate'; answer: unknown }> {
  const [row] = await trx('remittance_files')
    .insert({
      practice_id: f.practiceId, content_sha256: f.contentSha256, payer_id: f.payerId, payer_name: f.payerName, trace_number: f.traceNumber,
      transactions: f.transactions, byte_size: f.byteSize, payment_cents: 0, claims_count: 0, matched_count: 0, unmatched_count: 0, received_by: f.receivedBy,
    })
    .onConflict(['practice_id', 'content_sha256']).ignore()
    .returning<{ id: string }[]>('id');
  if (row) return { kind: 'new', fileId: row.id };
  const stored = await trx('remittance_files').where({ practice_id: f.practiceId, content_sha256: f.contentSha256 }).first<{ answer: unknown }>('answer');
  return { kind: 'duplicate', answer: stored.answer };
}

/** One payment (transaction) of the file, once per (practice, payer, trace): false when another file holds it. */
export async function claimRemittanceTrace(trx: Db, t: { practiceId: string; fileId: string; payerId: string; traceNumber: string; paymentCents: number }): Promise<boolean> {
  const rows = await trx('remittance_traces')
    .insert({ practice_id: t.practiceId, file_id: t.fileId, payer_id: t.payerId, trace_number: t.traceNumber, payment_cents: t.paymentCents })
    .onConflict(['practice_id', 'payer_id', 'trace_number']).ignore()
    .returning<{ id: string }[]>('id');
  return rows.length === 1;
}

/** Our claim a remittance names, locked for the rest of the transaction, with what a new version needs. */
export interface LockedClaim {
  id: string; externalId: string; version: number; practiceExternalId: string; visitExternalId: string;
  responsibility: 'payer' | 'patient'; payerName: string | null; payerStatus: string; patientResponsibilityCents: number;
  lines: ClaimLineRecord[];
}

/**
 * The practice's claims with these external ids, locked (`for update`, in id order so two files naming the same
 * claims cannot deadlock): their version is read and bumped under the lock.
 */
export async function lockClaimsByExternalId(trx: Db, practiceId: string, externalIds: string[]): Promise<Map<string, LockedClaim>> {
  if (externalIds.length === 0) return new Map();
  const { rows } = await trx.raw<{ rows: {
    id: string; external_id: string; source_version: string; practice_external_id: string; visit_external_id: string;
    responsibility: 'payer' | 'patient'; payer_name: string | null; payer_status: string; patient_responsibility_cents: number;
  }[] }>(
    `select c.id, c.external_id, c.source_version, p.external_id as practice_external_id, v.external_id as visit_external_id,
            c.responsibility, c.payer_name, c.payer_status, c.patient_responsibility_cents
       from claims c join practices p on p.id = c.practice_id join visits v on v.id = c.visit_id
      where c.practice_id = ? and c.external_id = any(?)
      order by c.id
        for update of c`,
    [practiceId, externalIds],
  );
  const lines = rows.length === 0 ? [] : await trx('claim_lines').whereIn('claim_id', rows.map((r) => r.id)).orderBy('line_number')
    .select<{ claim_id: string; line_number: number; procedure_code: string; description: string | null; charge_cents: number; insurer_paid_cents: number; adjustment_cents: number; patient_responsibility_cents: number }[]>('*');
  return new Map(rows.map((r) => [r.external_id, {
    id: r.id, externalId: r.external_id, version: Number(r.source_version), practiceExternalId: r.practice_external_id, visitExternalId: r.visit_external_id,
    responsibility: r.responsibility, payerName: r.payer_name, payerStatus: r.payer_status, patientResponsibilityCents: r.patient_responsibility_cents,
    lines: lines.filter((l) => l.claim_id === r.id).map((l) => ({
      lineNumber: l.line_number, procedureCode: l.procedure_code, description: l.description, chargeCents: l.charge_cents,
      insurerPaidCents: l.insurer_paid_cents, adjustmentCents: l.adjustment_cents, patientResponsibilityCents: l.patient_responsibility_cents,
    })),
  }]));
}

export type RemittanceClaimOutcome = 'updated' | 'stale' | 'ignored' | 'unmatched';

export interface NewRemittanceClaim {
  id: string; practiceId: string; fileId: string; payerId: string; traceNumber: string; clp01: string; occurrence: number; position: number;
  statusCode: string; chargeCents: number; paidCents: number; patientResponsibilityCents: number; prAdjustments: PrAdjustment[];
  matchedClaimId: string | null; appliedVersion: number | null; outcome: RemittanceClaimOutcome;
}

export async function insertRemittanceClaims(trx: Db, rows: NewRemittanceClaim[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await trx('remittance_claims').insert(rows.slice(i, i + 500).map((c) => ({
      id: c.id, practice_id: c.practiceId, file_id: c.fileId, payer_id: c.payerId, trace_number: c.traceNumber, clp01: c.clp01,
      occurrence: c.occurrence, position: c.position, status_code: c.statusCode, charge_cents: c.chargeCents, paid_cents: c.paidCents,
      patient_responsibility_cents: c.patientResponsibilityCents, pr_adjustments: JSON.stringify(c.prAdjustments),
      matched_claim_id: c.matchedClaimId, applied_version: c.appliedVersion, outcome: c.outcome,
    })));
  }
}

export async function finishRemittanceFile(trx: Db, fileId: string, totals: { paymentCents: number; claims: number; matched: number; unmatched: number }, answer: unknown): Promise<void> {
  await trx('remittance_files').where({ id: fileId }).update({
    payment_cents: totals.paymentCents, claims_count: totals.claims, matched_count: totals.matched, unmatched_count: totals.unmatched, answer: JSON.stringify(answer),
  });
}

export interface RemittanceFileRow {
  id: string; payerId: string; payerName: string; traceNumber: string; transactions: number; byteSize: number; paymentCents: number;
  claims: number; matched: number; unmatched: number; receivedAt: Date; receivedBy: string;
}

const fileColumns = [
  'id', 'payer_id as payerId', 'payer_name as payerName', 'trace_number as traceNumber', 'transactions', 'byte_size as byteSize',
  'payment_cents as paymentCents', 'claims_count as claims', 'matched_count as matched', 'unmatched_count as unmatched',
  'received_at as receivedAt', 'received_by as receivedBy',
];
const fileOf = (r: RemittanceFileRow): RemittanceFileRow => ({ ...r, paymentCents: Number(r.paymentCents) });

/** The practice's files, newest first (at most `limit`). */
export async function remittanceFiles(db: Db, practiceId: string, limit: number): Promise<RemittanceFileRow[]> {
  const rows = await db('remittance_files').where({ practice_id: practiceId }).whereNotNull('answer')
    .orderBy([{ column: 'received_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit).select<RemittanceFileRow[]>(fileColumns);
  return rows.map(fileOf);
}

export interface RemittanceClaimRow {
  id: string; traceNumber: string; payerId: string; clp01: string; occurrence: number; statusCode: string; chargeCents: number; paidCents: number;
  patientResponsibilityCents: number; prAdjustments: PrAdjustment[]; matchedClaimId: string | null; appliedVersion: number | null; outcome: RemittanceClaimOutcome;
}

/** One file of the practice with its claim payments in file order; another practice's id is RowNotFound like an unknown one. */
export async function remittanceFile(db: Db, practiceId: string, fileId: string): Promise<{ file: RemittanceFileRow; claims: RemittanceClaimRow[] }> {
  const file = await db('remittance_files').where({ practice_id: practiceId, id: fileId }).whereNotNull('answer').first<RemittanceFileRow | undefined>(fileColumns);
  if (!file) throw new RowNotFound('remittance file');
  const claims = await db('remittance_claims').where({ file_id: fileId }).orderBy('position').select<(RemittanceClaimRow & { appliedVersion: string | null })[]>(
    'id', 'trace_number as traceNumber', 'payer_id as payerId', 'clp01', 'occurrence', 'status_code as statusCode', 'charge_cents as chargeCents',
    'paid_cents as paidCents', 'patient_responsibility_cents as patientResponsibilityCents', 'pr_adjustments as prAdjustments',
    'matched_claim_id as matchedClaimId', 'applied_version as appliedVersion', 'outcome',
  );
  return { file: fileOf(file), claims: claims.map((c) => ({ ...c, appliedVersion: c.appliedVersion === null ? null : Number(c.appliedVersion) })) };
}
