/**
 * What the staff billing pages show: a patient's Balance pane (claims, who owes them, open balances), visits with
 * their superbill's Copayment Collected panel (the visit's copay collections), and a collection's page. Scoped to the
 * practice: another practice's patient or visit is not found.
 */
import type { Db } from '../connection';
import type { Cents } from '../../domain/money';

const APPLIED_OF_CLAIM = `coalesce((select sum(a.amount_cents) from payment_applications a
   where a.claim_id = c.id and not exists (select 1 from application_reversals r where r.application_id = a.id)), 0)`;

export interface PatientProfile { patientId: string; externalId: string; firstName: string; lastName: string; dateOfBirth: string; timeZone: string }

export async function patientProfile(db: Db, practiceId: string, patientId: string): Promise<PatientProfile | undefined> {
  const row = await db('patients as pt')
    .join('practices as pr', 'pr.id', 'pt.practice_id')
    .where({ 'pt.id': patientId, 'pt.practice_id': practiceId })
    .first<{ id: string; external_id: string; first_name: string; last_name: string; date_of_birth: string; time_zone: string } | undefined>(
      'pt.id', 'pt.external_id', 'pt.first_name', 'pt.last_name', 'pt.date_of_birth', 'pr.time_zone',
    );
  return row && { patientId: row.id, externalId: row.external_id, firstName: row.first_name, lastName: row.last_name, dateOfBirth: row.date_of_birth, timeZone: row.time_zone };
}

export interface PatientClaim {
  claimId: string; externalId: string; visitId: string; visitExternalId: string; dateOfService: string; payerName: string | null;
  payerStatus: string; responsibility: 'payer' | 'patient'; patientResponsibilityCents: Cents; appliedCents: Cents; openCents: Cents;
  chargeCents: Cents; insurerPaidCents: Cents; adjustmentCents: Cents;
}

/** Every claim of the patient, newest date of service first. */
export async function patientClaims(db: Db, patientId: string): Promise<PatientClaim[]> {
  const { rows } = await db.raw<{ rows: {
    id: string; external_id: string; visit_id: string; visit_external_id: string; date_of_service: string; payer_name: string | null; payer_status: string;
    responsibility: 'payer' | 'patient'; patient_responsibility_cents: number; applied: number; charge: number; insurer_paid: number; adjustment: number;
  }[] }>(
    `select c.id, c.external_id, c.visit_id, v.external_id as visit_external_id, v.date_of_service, c.payer_name, c.payer_status, c.responsibility,
            c.patient_responsibility_cents, ${APPLIED_OF_CLAIM}::int as applied,
            coalesce((select sum(l.charge_cents) from claim_lines l where l.claim_id = c.id), 0)::int as charge,
            coalesce((select sum(l.insurer_paid_cents) from claim_lines l where l.claim_id = c.id), 0)::int as insurer_paid,
            coalesce((select sum(l.adjustment_cents) from claim_lines l where l.claim_id = c.id), 0)::int as adjustment
       from claims c join visits v on v.id = c.visit_id
      where c.patient_id = ?
      order by v.date_of_service desc, c.id`,
    [patientId],
  );
  return rows.map((r) => ({
    claimId: r.id, externalId: r.external_id, visitId: r.visit_id, visitExternalId: r.visit_external_id, dateOfService: r.date_of_service,
    payerName: r.payer_name, payerStatus: r.payer_status, responsibility: r.responsibility, patientResponsibilityCents: r.patient_responsibility_cents,
    appliedCents: r.applied, openCents: r.responsibility === 'patient' ? Math.max(0, r.patient_responsibility_cents - r.applied) : 0,
    chargeCents: r.charge, insurerPaidCents: r.insurer_paid, adjustmentCents: r.adjustment,
  }));
}

export interface VisitSummary { visitId: string; externalId: string; dateOfService: string; providerName: string | null }

export async function patientVisits(db: Db, patientId: string): Promise<VisitSummary[]> {
  const rows = await db('visits').where({ patient_id: patientId }).orderBy([{ column: 'date_of_service', order: 'desc' }, { column: 'id' }])
    .select<{ id: string; external_id: string; date_of_service: string; provider_name: string | null }[]>('id', 'external_id', 'date_of_service', 'provider_name');
  return rows.map((v) => ({ visitId: v.id, externalId: v.external_id, dateOfService: v.date_of_service, providerName: v.provider_name }));
}

export interface CollectionSummary {
  collectionId: string; path: string; status: string; requestedAmountCents: Cents; paymentRequestUrl: string | null; createdAt: Date;
  visitId: string | null; payment: { amountCents: Cents; method: string; paymentDate: string } | null; openTaskId: string | null;
}

/** Collections of a patient (or of one visit), newest first. */
export async function collectionsOf(db: Db, where: { patientId: string; path?: string; visitId?: string }): Promise<CollectionSummary[]> {
  const q = db('collections as c')
    .leftJoin('payments as p', 'p.collection_id', 'c.id')
    .where('c.patient_id', where.patientId)
    .orderBy([{ column: 'c.created_at', order: 'desc' }, { column: 'c.id' }])
    .select<{ id: string; path: string; status: string; requested_amount_cents: number; payment_request_url: string | null; created_at: Date; visit_id: string | null; amount_cents: number | null; method: string | null; payment_date: string | null; task_id: string | null }[]>(
      'c.id', 'c.path', 'c.status', 'c.requested_amount_cents', 'c.payment_request_url', 'c.created_at', 'c.visit_id', 'p.amount_cents', 'p.method', 'p.payment_date',
      db.raw("(select t.id from manual_tasks t where t.collection_id = c.id and t.status = 'open' order by t.created_at limit 1) as task_id"),
    );
  if (where.path) void q.andWhere('c.path', where.path);
  if (where.visitId) void q.andWhere('c.visit_id', where.visitId);
  const rows = await q;
  return rows.map((r) => ({
    collectionId: r.id, path: r.path, status: r.status, requestedAmountCents: r.requested_amount_cents, paymentRequestUrl: r.payment_request_url,
    createdAt: r.created_at, visitId: r.visit_id, openTaskId: r.task_id,
    payment: r.amount_cents !== null && r.method !== null && r.payment_date !== null ? { amountCents: r.amount_cents, method: r.method, paymentDate: r.payment_date } : null,
  }));
}

export interface VisitPanel {
  visit: VisitSummary;
  patient: { patientId: string; externalId: string; firstName: string; lastName: string };
  timeZone: string;
  claim: PatientClaim | null;
}

export async function visitPanel(db: Db, practiceId: string, visitId: string): Promise<VisitPanel | undefined> {
  const v = await db('visits as v')
    .join('patients as pt', 'pt.id', 'v.patient_id')
    .join('practices as pr', 'pr.id', 'v.practice_id')
    .where({ 'v.id': visitId, 'v.practice_id': practiceId })
    .first<{ id: string; external_id: string; date_of_service: string; provider_name: string | null; patient_id: string; patient_external_id: string; first_name: string; last_name: string; time_zone: string } | undefined>(
      'v.id', 'v.external_id', 'v.date_of_service', 'v.provider_name', 'pt.id as patient_id', 'pt.external_id as patient_external_id', 'pt.first_name', 'pt.last_name', 'pr.time_zone',
    );
  if (!v) return undefined;
  const claims = await patientClaims(db, v.patient_id);
  return {
    visit: { visitId: v.id, externalId: v.external_id, dateOfService: v.date_of_service, providerName: v.provider_name },
    patient: { patientId: v.patient_id, externalId: v.patient_external_id, firstName: v.first_name, lastName: v.last_name },
    timeZone: v.time_zone,
    claim: claims.find((c) => c.visitId === v.id) ?? null,
  };
}

/** Open tasks of a patient, oldest first. */
export async function patientOpenTasks(db: Db, patientId: string): Promise<{ taskId: string; reason: string; createdAt: Date }[]> {
  const rows = await db('manual_tasks').where({ patient_id: patientId, status: 'open' }).orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select<{ id: string; reason: string; created_at: Date }[]>('id', 'reason', 'created_at');
  return rows.map((r) => ({ taskId: r.id, reason: r.reason, createdAt: r.created_at }));
}

export interface CollectionPage {
  collectionId: string; path: string; status: string; requestedAmountCents: Cents; paymentRequestUrl: string | null; workflowId: string;
  createdAt: Date; updatedAt: Date; timeZone: string;
  patient: { patientId: string; externalId: string; firstName: string; lastName: string };
  visit: VisitSummary | null;
}

export async function collectionPage(db: Db, practiceId: string, collectionId: string): Promise<CollectionPage | undefined> {
  const r = await db('collections as c')
    .join('patients as pt', 'pt.id', 'c.patient_id')
    .join('practices as pr', 'pr.id', 'c.practice_id')
    .leftJoin('visits as v', 'v.id', 'c.visit_id')
    .where({ 'c.id': collectionId, 'c.practice_id': practiceId })
    .first<{ id: string; path: string; status: string; requested_amount_cents: number; payment_request_url: string | null; workflow_id: string; created_at: Date; updated_at: Date; time_zone: string; patient_id: string; patient_external_id: string; first_name: string; last_name: string; visit_id: string | null; visit_external_id: string | null; date_of_service: string | null; provider_name: string | null } | undefined>(
      'c.id', 'c.path', 'c.status', 'c.requested_amount_cents', 'c.payment_request_url', 'c.workflow_id', 'c.created_at', 'c.updated_at', 'pr.time_zone',
      'pt.id as patient_id', 'pt.external_id as patient_external_id', 'pt.first_name', 'pt.last_name', 'v.id as visit_id', 'v.external_id as visit_external_id',
      'v.date_of_service', 'v.provider_name',
    );
  if (!r) return undefined;
  return {
    collectionId: r.id, path: r.path, status: r.status, requestedAmountCents: r.requested_amount_cents, paymentRequestUrl: r.payment_request_url,
    workflowId: r.workflow_id, createdAt: r.created_at, updatedAt: r.updated_at, timeZone: r.time_zone,
    patient: { patientId: r.patient_id, externalId: r.patient_external_id, firstName: r.first_name, lastName: r.last_name },
    visit: r.visit_id && r.date_of_service ? { visitId: r.visit_id, externalId: r.visit_external_id ?? '', dateOfService: r.date_of_service, providerName: r.provider_name } : null,
  };
}

/** The practice's patients with their open patient balance (patient-owned claims only), by name. */
export async function patientsWithBalances(db: Db, practiceId: string): Promise<{ patientId: string; externalId: string; firstName: string; lastName: string; openCents: Cents }[]> {
  const { rows } = await db.raw<{ rows: { id: string; external_id: string; first_name: string; last_name: string; open: number }[] }>(
    `select pt.id, pt.external_id, pt.first_name, pt.last_name,
            coalesce((select sum(greatest(0, c.patient_responsibility_cents - ${APPLIED_OF_CLAIM}))
                        from claims c where c.patient_id = pt.id and c.responsibility = 'patient'), 0)::int as open
       from patients pt where pt.practice_id = ? order by pt.last_name, pt.first_name, pt.id`,
    [practiceId],
  );
  return rows.map((r) => ({ patientId: r.id, externalId: r.external_id, firstName: r.first_name, lastName: r.last_name, openCents: r.open }));
}
