/** Patients for staff: the list (or the one with an EHR external id), a patient's visits, and a patient's payments and
 *  where each went (applications, reversals, refunds), scoped to the staff's practice. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { patientLedger } from '../../db/queries/ledger';
import { listPatients, listVisits, patientInPractice } from '../../db/queries/patients';
import { notFound } from '../../lib/errors';
import { staffOf } from '../auth';
import { parseBody, UUID } from '../validate';

/** `externalId`: the EHR's id of the patient (exact match), how an integrator finds our patientId. */
const listQuery = z.strictObject({ externalId: z.string({ error: 'must be one external id' }).min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }).optional() });

export function patientRoutes(deps: { db: Db }): Router {
  const router = Router();

  async function patientOf(req: Request): Promise<{ id: string }> {
    const patientId = req.params.patientId;
    const patient = typeof patientId === 'string' && UUID.test(patientId) ? await patientInPractice(deps.db, patientId, staffOf(req).practiceId) : undefined;
    if (!patient) throw notFound('patient');
    return patient;
  }

  router.get('/v1/patients', async (req, res) => {
    const q = parseBody(listQuery, req.query);
    const patients = await listPatients(deps.db, staffOf(req).practiceId, q.externalId !== undefined ? { externalId: q.externalId } : {});
    res.json({ patients: patients.map((p) => ({ patientId: p.id, externalId: p.external_id, firstName: p.first_name, lastName: p.last_name })) });
  });

  router.get('/v1/patients/:patientId/visits', async (req, res) => {
    const patient = await patientOf(req);
    const visits = await listVisits(deps.db, patient.id);
    res.json({
      patientId: patient.id,
      visits: visits.map((v) => ({
        visitId: v.id, externalId: v.external_id, dateOfService: v.date_of_service,
        claim: v.claim_id ? { claimId: v.claim_id, responsibility: v.responsibility, payerStatus: v.payer_status, patientResponsibilityCents: v.patient_responsibility_cents } : null,
      })),
    });
  });

  router.get('/v1/patients/:patientId/payments', async (req, res) => {
    const patient = await patientOf(req);
    res.json({ patientId: patient.id, payments: await patientLedger(deps.db, patient.id) });
  });
  return router;
}
