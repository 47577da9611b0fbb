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
 * The practice's claims with these external ids or these ids (a remembered alias, a staff match), locked (`for
 * update`, in id order so two files naming the same claims cannot deadlock): their version is read and bumped under the
 * lock. Keyed by claim id.
 */
export async function lockClaims(trx: Db, practiceId: string, which: { externalIds?: string[]; ids?: string[] }): Promise<Map<string, LockedClaim>> {
  const externalIds = which.externalIds ?? [];
  const ids = which.ids ?? [];
  if (externalIds.length === 0 && ids.length === 0) return new Map();
  const { rows } = await trx.raw<{ rows: {
    id: string; external_id: string; source_version: string; practice_external_id: string; visit_external_id: string;
    responsibility: 'payer' | 'patient'; payer_name: string | null; payer_status: string; patient_responsibility_cents: number;
  }[] }>(
    `select c.id, c.external_id, c.source_version, p.external_id as practice_external_id, v.external_id as visit_external_id,
            c.responsibility, c.payer_name, c.payer_status, c.patient_responsibility_cents
       from claims c join practices p on p.id = c.practice_id join visits v on v.id = c.visit_id
      where c.practice_id = ? and (c.external_id = any(?) or c.id = any(?::uuid[]))
      order by c.id
        for update of c`,
    [practiceId, externalIds, ids],
  );
  const lines = rows.length === 0 ? [] : await trx('claim_lines').whereIn('claim_id', rows.map((r) => r.id)).orderBy('line_number')
    .select<{ claim_id: string; line_number: number; procedure_code: string; description: string | null; charge_cents: number; insurer_paid_cents: number; adjustment_cents: number; patient_responsibility_cents: number }[]>('*');
  return new Map(rows.map((r) => [r.id, {
    id: r.id, externalId: r.external_id, version: Number(r.source_version), practiceExternalId: r.practice_external_id, visitExternalId: r.visit_external_id,
    responsibility: r.responsibility, payerName: r.payer_name, payerStatus: r.payer_status, patientResponsibilityCents: r.patient_responsibility_cents,
    lines: lines.filter((l) => l.claim_id === r.id).map((l) => ({
      lineNumber: l.line_number, procedureCode: l.procedure_code, description: l.description, chargeCents: l.charge_cents,
      insurerPaidCents: l.insurer_paid_cents, adjustmentCents: l.adjustment_cents, patientResponsibilityCents: l.patient_responsibility_cents,
    })),
  }]));
}

/** The claims staff taught for these CLP01s (any payer: the caller picks the payer's). */
export async function aliasesFor(trx: Db, practiceId: string, clp01s: string[]): Promise<{ payerId: string; clp01: string; claimId: string }[]> {
  if (clp01s.length === 0) return [];
  return trx('remittance_claim_aliases').where({ practice_id: practiceId }).whereIn('clp01', clp01s)
    .select<{ payerId: string; clp01: string; claimId: string }[]>('payer_id as payerId', 'clp01', 'claim_id as claimId');
}

export type RemittanceClaimOutcome = 'updated' | 'stale' | 'ignored' | 'unmatched';

/** What an 835 says of one service line (SVC) that a claim's new version needs: codes and amounts, no PHI. */
export interface StoredServiceLine { procedureCode: string; chargeCents: number; paidCents: number }

export interface NewRemittanceClaim {
  serviceLines: StoredServiceLine[];
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
      matched_claim_id: c.matchedClaimId, applied_version: c.appliedVersion, outcome: c.outcome, service_lines: JSON.stringify(c.serviceLines),
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

/**
 * A file's totals as they stand: the counts stored at ingest, with the claim payments staff matched since moved from
 * unmatched to matched (the file row keeps what the upload found; the matches are rows of their own).
 */
const fileColumns = [
  'f.id', 'f.payer_id as payerId', 'f.payer_name as payerName', 'f.trace_number as traceNumber', 'f.transactions', 'f.byte_size as byteSize',
  'f.payment_cents as paymentCents', 'f.claims_count as claims', 'f.received_at as receivedAt', 'f.received_by as receivedBy',
];
const MATCHED_SINCE = '(select count(*) from remittance_claim_matches m where m.file_id = f.id)';
const fileSelect = (db: Db) => db('remittance_files as f').select(...fileColumns, db.raw(`f.matched_count + ${MATCHED_SINCE} as matched`), db.raw(`f.unmatched_count - ${MATCHED_SINCE} as unmatched`));
const fileOf = (r: RemittanceFileRow): RemittanceFileRow => ({ ...r, paymentCents: Number(r.paymentCents), matched: Number(r.matched), unmatched: Number(r.unmatched) });

/** The practice's files, newest first (at most `limit`). */
export async function remittanceFiles(db: Db, practiceId: string, limit: number): Promise<RemittanceFileRow[]> {
  const rows = await fileSelect(db).where({ 'f.practice_id': practiceId }).whereNotNull('f.answer')
    .orderBy([{ column: 'f.received_at', order: 'desc' }, { column: 'f.id', order: 'desc' }]).limit(limit) as RemittanceFileRow[];
  return rows.map(fileOf);
}

/** A staff member's match of a claim payment: who, when. */
export interface ManualMatch { staffId: string; staffName: string; matchedAt: Date }

export interface RemittanceClaimRow {
  id: string; traceNumber: string; payerId: string; clp01: string; occurrence: number; statusCode: string; chargeCents: number; paidCents: number;
  patientResponsibilityCents: number; prAdjustments: PrAdjustment[]; serviceLines: StoredServiceLine[] | null;
  /** The claim it matched at ingest or by staff (then `manualMatch`), with its external id and visit. */
  matchedClaimId: string | null; matchedClaimExternalId: string | null; matchedVisitId: string | null;
  appliedVersion: number | null; outcome: RemittanceClaimOutcome; manualMatch: ManualMatch | null;
}

type ClaimRowRaw = Omit<RemittanceClaimRow, 'appliedVersion' | 'manualMatch'> & {
  appliedVersion: string | null; matchedBy: string | null; matchedByName: string | null; matchedAt: Date | null;
};

const claimSelect = (db: Db) => db('remittance_claims as rc')
  .leftJoin('remittance_claim_matches as m', 'm.remittance_claim_id', 'rc.id')
  .leftJoin('claims as c', 'c.id', db.raw('coalesce(rc.matched_claim_id, m.claim_id)'))
  .leftJoin('staff_users as s', 's.id', 'm.matched_by')
  .select(
    'rc.id', 'rc.trace_number as traceNumber', 'rc.payer_id as payerId', 'rc.clp01', 'rc.occurrence', 'rc.status_code as statusCode', 'rc.charge_cents as chargeCents',
    'rc.paid_cents as paidCents', 'rc.patient_responsibility_cents as patientResponsibilityCents', 'rc.pr_adjustments as prAdjustments',
    'rc.service_lines as serviceLines', 'c.id as matchedClaimId', 'c.external_id as matchedClaimExternalId', 'c.visit_id as matchedVisitId',
    db.raw('coalesce(m.applied_version, rc.applied_version) as "appliedVersion"'), db.raw('coalesce(m.outcome, rc.outcome) as outcome'),
    'm.matched_by as matchedBy', 's.display_name as matchedByName', 'm.matched_at as matchedAt',
  );
const claimOf = (c: ClaimRowRaw): RemittanceClaimRow => {
  const { matchedBy, matchedByName, matchedAt, ...rest } = c;
  return {
    ...rest, appliedVersion: c.appliedVersion === null ? null : Number(c.appliedVersion),
    manualMatch: matchedBy && matchedAt ? { staffId: matchedBy, staffName: matchedByName ?? '', matchedAt } : null,
  };
};

/** One file of the practice with its claim payments in file order; another practice's id is RowNotFound like an unknown one. */
export async function remittanceFile(db: Db, practiceId: string, fileId: string): Promise<{ file: RemittanceFileRow; claims: RemittanceClaimRow[] }> {
  const file = await fileSelect(db).where({ 'f.practice_id': practiceId, 'f.id': fileId }).whereNotNull('f.answer').first() as RemittanceFileRow | undefined;
  if (!file) throw new RowNotFound('remittance file');
  const claims = await claimSelect(db).where('rc.file_id', fileId).orderBy('rc.position') as ClaimRowRaw[];
  return { file: fileOf(file), claims: claims.map(claimOf) };
}

/**
 * One claim payment of one of the practice's files, locked (`for update`) so two staff matching it at once are taken one
 * after the other: the second sees the first's match. RowNotFound for another practice's, like an unknown one.
 */
export async function lockRemittanceClaim(trx: Db, practiceId: string, fileId: string, remittanceClaimId: string): Promise<RemittanceClaimRow> {
  const locked = await trx('remittance_claims').where({ practice_id: practiceId, file_id: fileId, id: remittanceClaimId }).forUpdate().first<{ id: string } | undefined>('id');
  if (!locked) throw new RowNotFound('remittance claim');
  return claimOf(await claimSelect(trx).where('rc.id', remittanceClaimId).first() as ClaimRowRaw);
}

export async function insertRemittanceMatch(trx: Db, m: {
  practiceId: string; fileId: string; remittanceClaimId: string; claimId: string; matchedBy: string; appliedVersion: number | null; outcome: 'updated' | 'stale' | 'ignored';
}): Promise<{ matchedAt: Date }> {
  const [row] = await trx('remittance_claim_matches').insert({
    practice_id: m.practiceId, file_id: m.fileId, remittance_claim_id: m.remittanceClaimId, claim_id: m.claimId, matched_by: m.matchedBy,
    applied_version: m.appliedVersion, outcome: m.outcome,
  }).returning<{ matched_at: Date }[]>('matched_at');
  return { matchedAt: row!.matched_at };
}

/** Remembers (practice, payer, CLP01) → claim; the claim already remembered for it when there is one (then nothing changes). */
export async function rememberAlias(trx: Db, a: { practiceId: string; payerId: string; clp01: string; claimId: string; createdBy: string; remittanceClaimId: string }): Promise<{ claimId: string; created: boolean }> {
  const [row] = await trx('remittance_claim_aliases').insert({
    practice_id: a.practiceId, payer_id: a.payerId, clp01: a.clp01, claim_id: a.claimId, created_by: a.createdBy, remittance_claim_id: a.remittanceClaimId,
  }).onConflict(['practice_id', 'payer_id', 'clp01']).ignore().returning<{ claim_id: string }[]>('claim_id');
  if (row) return { claimId: row.claim_id, created: true };
  const stored = await trx('remittance_claim_aliases').where({ practice_id: a.practiceId, payer_id: a.payerId, clp01: a.clp01 }).first<{ claim_id: string }>('claim_id');
  return { claimId: stored.claim_id, created: false };
}

/** The payer's name of one payment of the file, as the upload's answer lists it (the claim payment rows keep its id only). */
export async function payerNameOf(db: Db, fileId: string, payerId: string, traceNumber: string): Promise<string | undefined> {
  const row = await db('remittance_files').where({ id: fileId }).first<{ answer: { transactions?: { traceNumber: string; payer: { id: string; name: string } }[] } | null }>('answer');
  return row?.answer?.transactions?.find((t) => t.traceNumber === traceNumber && t.payer.id === payerId)?.payer.name;
}

/** The practice's claim with this id (its external id and visit), or undefined: another practice's is unknown too. */
export async function claimOfPractice(db: Db, practiceId: string, claimId: string): Promise<{ id: string; externalId: string; visitId: string } | undefined> {
  return db('claims').where({ practice_id: practiceId, id: claimId }).first<{ id: string; externalId: string; visitId: string } | undefined>('id', 'external_id as externalId', 'visit_id as visitId');
}

/** A claim staff may match a claim payment to: enough to recognise it (the page is PHI-bearing, as every staff page). */
export interface ClaimCandidate {
  claimId: string; externalId: string; visitId: string; visitExternalId: string; dateOfService: string; patientFirstName: string; patientLastName: string;
  payerName: string | null; payerStatus: string; responsibility: string;
}

/** The practice's claims whose external id or whose visit's external id starts with `q` (case-insensitive), newest visits first. */
export async function searchClaims(db: Db, practiceId: string, q: string, limit: number): Promise<ClaimCandidate[]> {
  const prefix = `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db('claims as c').join('visits as v', 'v.id', 'c.visit_id').join('patients as p', 'p.id', 'c.patient_id')
    .where('c.practice_id', practiceId)
    .andWhereRaw('(c.external_id ilike ? or v.external_id ilike ?)', [prefix, prefix])
    .orderBy([{ column: 'v.date_of_service', order: 'desc' }, { column: 'c.external_id' }]).limit(limit)
    .select<ClaimCandidate[]>(
      'c.id as claimId', 'c.external_id as externalId', 'v.id as visitId', 'v.external_id as visitExternalId', db.raw(`to_char(v.date_of_service, 'YYYY-MM-DD') as "dateOfService"`),
      'p.first_name as patientFirstName', 'p.last_name as patientLastName', 'c.payer_name as payerName', 'c.payer_status as payerStatus', 'c.responsibility',
    );
}

export interface RemittanceRefusal { contentSha256: string; byteSize: number; status: number; detail: string; attempts: number; firstRefusedAt: Date; lastRefusedAt: Date }

/** An upload refused as a whole, once per (practice, content hash): a repeat counts and moves its last time. */
export async function recordRefusal(db: Db, r: { practiceId: string; contentSha256: string; byteSize: number; status: 409 | 422; detail: string; refusedBy: string }): Promise<void> {
  await db('remittance_refusals').insert({
    practice_id: r.practiceId, content_sha256: r.contentSha256, byte_size: r.byteSize, status: r.status, detail: r.detail, last_refused_by: r.refusedBy,
  }).onConflict(['practice_id', 'content_sha256']).merge({
    attempts: db.raw('remittance_refusals.attempts + 1'), last_refused_at: db.fn.now(), status: r.status, detail: r.detail, last_refused_by: r.refusedBy,
  });
}

/** The practice's refused uploads, last refused first (at most `limit`). */
export async function remittanceRefusals(db: Db, practiceId: string, limit: number): Promise<RemittanceRefusal[]> {
  return db('remittance_refusals').where({ practice_id: practiceId }).orderBy([{ column: 'last_refused_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)
    .select<RemittanceRefusal[]>('content_sha256 as contentSha256', 'byte_size as byteSize', 'status', 'detail', 'attempts', 'first_refused_at as firstRefusedAt', 'last_refused_at as lastRefusedAt');
}
