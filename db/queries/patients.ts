import type { Db } from '../connection';

/** The patient, if it belongs to this practice (another practice's ids are simply not found), and the practice's time zone. */
export async function patientInPractice(db: Db, patientId: string, practiceId: string): Promise<{ id: string; timeZone: string } | undefined> {
  const row = await db('patients as pt')
    .join('practices as pr', 'pr.id', 'pt.practice_id')
    .where({ 'pt.id': patientId, 'pt.practice_id': practiceId })
    .first<{ id: string; time_zone: string } | undefined>('pt.id', 'pr.time_zone');
  return row && { id: row.id, timeZone: row.time_zone };
}

/** The practice's patients, for staff (authenticated; PHI stays out of URLs and logs); or the one with this EHR id. */
export async function listPatients(db: Db, practiceId: string, filter: { externalId?: string } = {}) {
  return db('patients')
    .where({ practice_id: practiceId, ...(filter.externalId !== undefined ? { external_id: filter.externalId } : {}) })
    .orderBy(['last_name', 'first_name'])
    .select<{ id: string; external_id: string; first_name: string; last_name: string }[]>('id', 'external_id', 'first_name', 'last_name');
}

/** A patient's visits with their claim's state, newest first. */
export async function listVisits(db: Db, patientId: string) {
  return db('visits as v')
    .leftJoin('claims as c', 'c.visit_id', 'v.id')
    .where('v.patient_id', patientId)
    .orderBy('v.date_of_service', 'desc')
    .select<{ id: string; external_id: string; date_of_service: string; claim_id: string | null; responsibility: string | null; payer_status: string | null; patient_responsibility_cents: number | null }[]>(
      'v.id', 'v.external_id', 'v.date_of_service', 'c.id as claim_id', 'c.responsibility', 'c.payer_status', 'c.patient_responsibility_cents',
    );
}
