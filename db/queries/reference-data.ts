/**
 * Reference data pushed by the EHR and the clearinghouse (practices, patients, visits, claims), upserted
 * idempotently by external id. Every row carries the source's version: an older version never overwrites a
 * newer one, so events may arrive late, twice or out of order.
 */
import type { Db } from '../connection';
import { newAccountId } from '../../lib/account-id';
import type { Cents } from '../../domain/money';
import type { LocalDate } from '../../domain/dates';

export interface PracticeRecord { externalId: string; name: string; timeZone: string; paymentPageUrl: string }
export interface PatientRecord {
  practiceExternalId: string; externalId: string; version: number;
  firstName: string; lastName: string; dateOfBirth: LocalDate; email?: string | null; phone?: string | null;
}
export interface VisitRecord {
  practiceExternalId: string; patientExternalId: string; externalId: string; version: number;
  dateOfService: LocalDate; providerName?: string | null;
}
export interface ClaimLineRecord {
  lineNumber: number; procedureCode: string; description?: string | null;
  chargeCents: Cents; insurerPaidCents: Cents; adjustmentCents: Cents; patientResponsibilityCents: Cents;
}
export interface ClaimRecord {
  practiceExternalId: string; visitExternalId: string; externalId: string; version: number;
  responsibility: 'payer' | 'patient'; payerName?: string | null; payerStatus: string;
  patientResponsibilityCents: Cents; lines: ClaimLineRecord[];
}

export type UpsertOutcome = 'inserted' | 'updated' | 'stale';

export async function upsertPractice(db: Db, p: PracticeRecord): Promise<string> {
  const [row] = await db('practices')
    .insert({ external_id: p.externalId, name: p.name, time_zone: p.timeZone, payment_page_url: p.paymentPageUrl })
    .onConflict('external_id')
    .merge(['name', 'time_zone', 'payment_page_url'])
    .returning<{ id: string }[]>('id');
  return row!.id;
}

export async function practiceId(db: Db, externalId: string): Promise<string> {
  const row = await db('practices').where({ external_id: externalId }).first<{ id: string } | undefined>('id');
  if (!row) throw new ReferenceError(`unknown practice ${externalId}`);
  return row.id;
}

async function patientOfPractice(db: Db, practice: string, externalId: string): Promise<string> {
  const row = await db('patients').where({ practice_id: practice, external_id: externalId }).first<{ id: string } | undefined>('id');
  if (!row) throw new ReferenceError(`unknown patient ${externalId}`);
  return row.id;
}

/** insert … on conflict do update … where stored.version < incoming.version; tells which happened. */
async function versionedUpsert(db: Db, table: string, row: Record<string, unknown>, updatable: string[]): Promise<{ id: string; outcome: UpsertOutcome }> {
  const sets = updatable.map((c) => `${c} = excluded.${c}`).join(', ');
  const result = await db.raw<{ rows: { id: string; inserted: boolean }[] }>(
    `? on conflict (practice_id, external_id) do update set ${sets}, updated_at = now()
       where ${table}.source_version < excluded.source_version
     returning id, (xmax = 0) as inserted`,
    [db(table).insert(row)],
  );
  const hit = result.rows[0];
  if (hit) return { id: hit.id, outcome: hit.inserted ? 'inserted' : 'updated' };
  const existing = await db(table).where({ practice_id: row.practice_id, external_id: row.external_id }).first<{ id: string } | undefined>('id');
  return { id: existing!.id, outcome: 'stale' };
}

export async function upsertPatient(db: Db, p: PatientRecord): Promise<{ id: string; outcome: UpsertOutcome }> {
  const practice = await practiceId(db, p.practiceExternalId);
  const row = {
    practice_id: practice, external_id: p.externalId, source_version: p.version,
    first_name: p.firstName, last_name: p.lastName, date_of_birth: p.dateOfBirth, email: p.email ?? null, phone: p.phone ?? null,
  };
  // The account id is ours, minted once on insert; a collision (about 1 in 10^15 per pair) just retries.
  for (let attempt = 0; ; attempt++) {
    try {
      return await versionedUpsert(db, 'patients', { ...row, account_id: newAccountId() }, ['first_name', 'last_name', 'date_of_birth', 'email', 'phone', 'source_version']);
    } catch (err) {
      if (attempt < 3 && (err as { constraint?: string }).constraint === 'patients_account_id_unique') continue;
      throw err;
    }
  }
}

export async function upsertVisit(db: Db, v: VisitRecord): Promise<{ id: string; outcome: UpsertOutcome }> {
  const practice = await practiceId(db, v.practiceExternalId);
  const patientId = await patientOfPractice(db, practice, v.patientExternalId);
  return versionedUpsert(db, 'visits', {
    practice_id: practice, patient_id: patientId, external_id: v.externalId, source_version: v.version,
    date_of_service: v.dateOfService, provider_name: v.providerName ?? null,
  }, ['date_of_service', 'provider_name', 'source_version']);
}

/** A visit by its external id within a practice's, in one query (a remittance's claim names both). */
async function visitOfPractice(db: Db, practiceExternalId: string, visitExternalId: string) {
  const row = await db('practices as p')
    .leftJoin('visits as v', function joinVisit() {
      this.on('v.practice_id', '=', 'p.id').andOnVal('v.external_id', '=', visitExternalId);
    })
    .where('p.external_id', practiceExternalId)
    .first<{ practice_id: string; visit_id: string | null; patient_id: string | null } | undefined>('p.id as practice_id', 'v.id as visit_id', 'v.patient_id');
  if (!row) throw new ReferenceError(`unknown practice ${practiceExternalId}`);
  if (!row.visit_id || !row.patient_id) throw new ReferenceError(`unknown visit ${visitExternalId}`);
  return { practiceId: row.practice_id, visitId: row.visit_id, patientId: row.patient_id };
}

/** Upserts a claim and, when it is newer than the stored one, replaces its lines (one statement for all of them). */
export async function upsertClaim(db: Db, c: ClaimRecord): Promise<{ id: string; visitId: string; outcome: UpsertOutcome }> {
  return db.transaction(async (trx) => {
    const { practiceId: practice, visitId, patientId } = await visitOfPractice(trx, c.practiceExternalId, c.visitExternalId);
    const result = await versionedUpsert(trx, 'claims', {
      practice_id: practice, patient_id: patientId, visit_id: visitId, external_id: c.externalId,
      source_version: c.version, responsibility: c.responsibility, payer_name: c.payerName ?? null,
      payer_status: c.payerStatus, patient_responsibility_cents: c.patientResponsibilityCents,
    }, ['responsibility', 'payer_name', 'payer_status', 'patient_responsibility_cents', 'source_version']);
    if (result.outcome !== 'stale') {
      // Claim lines are part of the claim's version: replace them with the newer set.
      await trx('claim_lines').where({ claim_id: result.id }).whereNotIn('line_number', c.lines.map((l) => l.lineNumber)).delete();
      if (c.lines.length > 0) {
        await trx('claim_lines')
          .insert(c.lines.map((l) => ({
            claim_id: result.id, line_number: l.lineNumber, procedure_code: l.procedureCode, description: l.description ?? null,
            charge_cents: l.chargeCents, insurer_paid_cents: l.insurerPaidCents, adjustment_cents: l.adjustmentCents,
            patient_responsibility_cents: l.patientResponsibilityCents,
          })))
          .onConflict(['claim_id', 'line_number'])
          .merge();
      }
    }
    return { ...result, visitId };
  });
}
