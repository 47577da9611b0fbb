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
  /** Absent: left as stored; null: cleared. The EHR's value never overrides a choice the patient or staff made. */
  preferredChannel?: 'email' | 'text' | 'mail' | null;
  /** Absent: left as stored; null: cleared. */
  mailingAddress?: MailingAddressRecord | null;
}
export interface MailingAddressRecord { line1: string; line2?: string | null; city: string; state: string; postalCode: string }
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
async function versionedUpsert(db: Db, table: string, row: Record<string, unknown>, updatable: string[], extraSets?: string): Promise<{ id: string; outcome: UpsertOutcome }> {
  const sets = [...updatable.map((c) => `${c} = excluded.${c}`), ...(extraSets ? [extraSets] : [])].join(', ');
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
  const row: Record<string, unknown> = {
    practice_id: practice, external_id: p.externalId, source_version: p.version,
    first_name: p.firstName, last_name: p.lastName, date_of_birth: p.dateOfBirth, email: p.email ?? null, phone: p.phone ?? null,
  };
  const updatable = ['first_name', 'last_name', 'date_of_birth', 'email', 'phone', 'source_version'];
  // Sent (a value or null): stored; absent: left as stored (an EHR that does not know these fields changes nothing).
  if (p.mailingAddress !== undefined) {
    const a = p.mailingAddress;
    Object.assign(row, {
      mailing_line1: a?.line1 ?? null, mailing_line2: a?.line2 ?? null, mailing_city: a?.city ?? null, mailing_state: a?.state ?? null, mailing_postal_code: a?.postalCode ?? null,
    });
    updatable.push('mailing_line1', 'mailing_line2', 'mailing_city', 'mailing_state', 'mailing_postal_code');
  }
  // The preferred channel from the EHR only while no person chose one (the portal's or staff's choice stands).
  const preferred = p.preferredChannel !== undefined
    ? { channel: p.preferredChannel, sets: `preferred_channel = case when patients.preferred_channel_source in ('portal', 'staff') then patients.preferred_channel else excluded.preferred_channel end, `
      + `preferred_channel_source = case when patients.preferred_channel_source in ('portal', 'staff') then patients.preferred_channel_source when excluded.preferred_channel is null then null else 'reference_data' end, `
      + `preferred_channel_changed_at = case when patients.preferred_channel_source in ('portal', 'staff') or patients.preferred_channel is not distinct from excluded.preferred_channel then patients.preferred_channel_changed_at else now() end` }
    : undefined;
  if (preferred) {
    Object.assign(row, {
      preferred_channel: preferred.channel, preferred_channel_source: preferred.channel ? 'reference_data' : null, preferred_channel_changed_at: preferred.channel ? db.fn.now() : null,
    });
  }
  // The account id is ours, minted once on insert; a collision (about 1 in 10^15 per pair) just retries.
  for (let attempt = 0; ; attempt++) {
    try {
      return await versionedUpsert(db, 'patients', { ...row, account_id: newAccountId() }, updatable, preferred?.sets);
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

/**
 * Upserts a claim and, when it is newer than the stored one, replaces its lines: one statement (a remittance
 * carries many claims, and this is on the transfer webhook's path). The visit is found within the practice; a claim
 * naming an unknown practice or visit is a ReferenceError (the sender retries once it has sent them).
 */
export async function upsertClaim(db: Db, c: ClaimRecord): Promise<{ id: string; visitId: string; outcome: UpsertOutcome }> {
  const lines = c.lines.map((l) => ({
    line_number: l.lineNumber, procedure_code: l.procedureCode, description: l.description ?? null, charge_cents: l.chargeCents,
    insurer_paid_cents: l.insurerPaidCents, adjustment_cents: l.adjustmentCents, patient_responsibility_cents: l.patientResponsibilityCents,
  }));
  const { rows } = await db.raw<{ rows: { practice_id: string; visit_id: string | null; claim_id: string | null; inserted: boolean | null }[] }>(
    `with ref as (
       select p.id as practice_id, v.id as visit_id, v.patient_id
         from practices p left join visits v on v.practice_id = p.id and v.external_id = :visitExternalId
        where p.external_id = :practiceExternalId
     ), claim as (
       insert into claims (practice_id, patient_id, visit_id, external_id, source_version, responsibility, payer_name, payer_status, patient_responsibility_cents)
       select practice_id, patient_id, visit_id, :externalId, :version, :responsibility, :payerName, :payerStatus, :patientResponsibilityCents
         from ref where visit_id is not null
       on conflict (practice_id, external_id) do update
          set responsibility = excluded.responsibility, payer_name = excluded.payer_name, payer_status = excluded.payer_status,
              patient_responsibility_cents = excluded.patient_responsibility_cents, source_version = excluded.source_version, updated_at = now()
        where claims.source_version < excluded.source_version
       returning id, (xmax = 0) as inserted
     ), new_lines as (
       select * from jsonb_to_recordset(cast(:lines as jsonb)) as l(line_number int, procedure_code text, description text,
         charge_cents int, insurer_paid_cents int, adjustment_cents int, patient_responsibility_cents int)
     ), removed as (
       -- Lines are part of the claim's version: a newer version's set replaces the stored one.
       delete from claim_lines where claim_id in (select id from claim) and line_number not in (select line_number from new_lines)
     ), upserted as (
       insert into claim_lines (claim_id, line_number, procedure_code, description, charge_cents, insurer_paid_cents, adjustment_cents, patient_responsibility_cents)
       select claim.id, l.line_number, l.procedure_code, l.description, l.charge_cents, l.insurer_paid_cents, l.adjustment_cents, l.patient_responsibility_cents
         from claim, new_lines l
       on conflict (claim_id, line_number) do update
          set procedure_code = excluded.procedure_code, description = excluded.description, charge_cents = excluded.charge_cents,
              insurer_paid_cents = excluded.insurer_paid_cents, adjustment_cents = excluded.adjustment_cents,
              patient_responsibility_cents = excluded.patient_responsibility_cents
     )
     select ref.practice_id, ref.visit_id, claim.id as claim_id, claim.inserted from ref left join claim on true`,
    {
      practiceExternalId: c.practiceExternalId, visitExternalId: c.visitExternalId, externalId: c.externalId, version: c.version,
      responsibility: c.responsibility, payerName: c.payerName ?? null, payerStatus: c.payerStatus,
      patientResponsibilityCents: c.patientResponsibilityCents, lines: JSON.stringify(lines),
    },
  );
  const row = rows[0];
  if (!row) throw new ReferenceError(`unknown practice ${c.practiceExternalId}`);
  if (!row.visit_id) throw new ReferenceError(`unknown visit ${c.visitExternalId}`);
  if (row.claim_id) return { id: row.claim_id, visitId: row.visit_id, outcome: row.inserted ? 'inserted' : 'updated' };
  // Stale: a newer version is stored, and nothing changed.
  const existing = await db('claims').where({ practice_id: row.practice_id, external_id: c.externalId }).first<{ id: string }>('id');
  return { id: existing.id, visitId: row.visit_id, outcome: 'stale' };
}
