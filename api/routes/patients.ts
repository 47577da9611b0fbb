/** Patients for staff (app/patients.ts): the list (or the one with an EHR external id), a patient's visits, and a
 *  patient's payments and where each went (applications, reversals, refunds), scoped to the staff's practice. */
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { patientsOf, paymentsOfPatient, visitsOfPatient } from '../../app/patients';
import { parseBody } from '../../lib/validate';
import { staffOf } from '../../http/auth';

/** `externalId`: the EHR's id of the patient (exact match), how an integrator finds our patientId. */
const listQuery = z.strictObject({ externalId: z.string({ error: 'must be one external id' }).min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }).optional() });

export function patientRoutes(deps: { db: Db }): Router {
  const router = Router();

  router.get('/v1/patients', async (req, res) => {
    const q = parseBody(listQuery, req.query);
    res.json(await patientsOf(deps, staffOf(req), q));
  });

  router.get('/v1/patients/:patientId/visits', async (req, res) => {
    res.json(await visitsOfPatient(deps, staffOf(req), req.params.patientId));
  });

  router.get('/v1/patients/:patientId/payments', async (req, res) => {
    res.json(await paymentsOfPatient(deps, staffOf(req), req.params.patientId));
  });
  return router;
}
