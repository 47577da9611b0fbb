/** Patients for staff (app/patients.ts): the list (or the one with an EHR external id), a patient's visits, and a
 *  patient's payments and where each went (applications, reversals, refunds), scoped to the staff's practice. */
import { Router } from 'express';
import type { Db } from '../../db/connection';
import { patientsOf, paymentsOfPatient, visitsOfPatient } from '../../app/patients';
import { patientListQuery, patientListSchema, patientPaymentsSchema, patientVisitsSchema } from '../../contracts/patients';
import { parseBody } from '../../lib/validate';
import { staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';

export function patientRoutes(deps: { db: Db }): Router {
  const router = Router();

  router.get('/v1/patients', async (req, res) => {
    const q = parseBody(patientListQuery, req.query);
    sendJson(res, 200, patientListSchema, await patientsOf(deps, staffOf(req), q));
  });

  router.get('/v1/patients/:patientId/visits', async (req, res) => {
    sendJson(res, 200, patientVisitsSchema, await visitsOfPatient(deps, staffOf(req), req.params.patientId));
  });

  router.get('/v1/patients/:patientId/payments', async (req, res) => {
    sendJson(res, 200, patientPaymentsSchema, await paymentsOfPatient(deps, staffOf(req), req.params.patientId));
  });
  return router;
}
