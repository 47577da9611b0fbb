/** Patients for staff, scoped to the staff's practice: the list (or the one with an EHR external id), a patient's
 *  visits with their claim's state, and a patient's payments and where each went (applications, reversals, refunds). */
import type { Db } from '../db/connection';
import { patientLedger } from '../db/queries/ledger';
import { listPatients, listVisits, patientInPractice } from '../db/queries/patients';
import type { Staff } from '../db/queries/staff';
import { notFound } from '../lib/errors';
import { UUID } from '../lib/validate';

export async function patientsOf(deps: { db: Db }, staff: Staff, filter: { externalId?: string }) {
  const patients = await listPatients(deps.db, staff.practiceId, filter.externalId !== undefined ? { externalId: filter.externalId } : {});
  return { patients: patients.map((p) => ({ patientId: p.id, externalId: p.external_id, firstName: p.first_name, lastName: p.last_name })) };
}

async function patientOf(db: Db, staff: Staff, patientId: unknown): Promise<{ id: string }> {
  const patient = typeof patientId === 'string' && UUID.test(patientId) ? await patientInPractice(db, patientId, staff.practiceId) : undefined;
  if (!patient) throw notFound('patient');
  return patient;
}

export async function visitsOfPatient(deps: { db: Db }, staff: Staff, patientId: unknown) {
  const patient = await patientOf(deps.db, staff, patientId);
  const visits = await listVisits(deps.db, patient.id);
  return {
    patientId: patient.id,
    visits: visits.map((v) => ({
      visitId: v.id, externalId: v.external_id, dateOfService: v.date_of_service,
      claim: v.claim_id ? { claimId: v.claim_id, responsibility: v.responsibility, payerStatus: v.payer_status, patientResponsibilityCents: v.patient_responsibility_cents } : null,
    })),
  };
}

export async function paymentsOfPatient(deps: { db: Db }, staff: Staff, patientId: unknown) {
  const patient = await patientOf(deps.db, staff, patientId);
  return { patientId: patient.id, payments: await patientLedger(deps.db, patient.id) };
}
