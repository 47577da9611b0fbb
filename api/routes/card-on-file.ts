/**
 * Card on file over JSON (the logic is app/card-on-file.ts, shared with the staff pages and the portal):
 *   POST /v1/patients/{patientId}/card-setups                  start saving a card with the processor (front desk, billing)
 *   POST /v1/patients/{patientId}/card-authorisations          the patient's authorisation for a saved card (front desk, billing; Idempotency-Key)
 *   GET  /v1/patients/{patientId}/card-authorisations          the patient's authorisations (any staff role)
 *   POST /v1/card-authorisations/{authorisationId}/revoke      no charge under it from now on (any staff role)
 * Another practice's patient or authorisation answers 404.
 */
import { Router } from 'express';
import {
  authorisationsOf, authoriseCard, revokeCardAuthorisation, startCardSetup, type CardActor, type CardOnFileDeps,
} from '../../app/card-on-file';
import { authorisationListSchema, authorisationSchema, cardSetupSchema, revokeResultSchema } from '../../contracts/card-on-file';
import { emptyBody } from '../../contracts/operation';
import type { Staff } from '../../db/queries/staff';
import { parseBody } from '../../lib/validate';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';
import { idempotency } from '../idempotency';

const asActor = (staff: Staff): CardActor => ({ practiceId: staff.practiceId, actor: `staff:${staff.id}`, via: 'front_desk' });

export function cardOnFileRoutes(deps: CardOnFileDeps): Router {
  const router = Router();

  router.post('/v1/patients/:patientId/card-setups', requireRole('front_desk', 'billing'), async (req, res) => {
    parseBody(emptyBody, req.body ?? {});
    sendJson(res, 201, cardSetupSchema, await startCardSetup(deps, asActor(staffOf(req)), req.params.patientId));
  });

  router.post('/v1/patients/:patientId/card-authorisations', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    const { created, body } = await authoriseCard(deps, asActor(staffOf(req)), req.params.patientId, req.body);
    sendJson(res, created ? 201 : 200, authorisationSchema, body);
  });

  router.get('/v1/patients/:patientId/card-authorisations', async (req, res) => {
    sendJson(res, 200, authorisationListSchema, await authorisationsOf(deps, staffOf(req), req.params.patientId));
  });

  router.post('/v1/card-authorisations/:authorisationId/revoke', async (req, res) => {
    parseBody(emptyBody, req.body ?? {});
    sendJson(res, 200, revokeResultSchema, await revokeCardAuthorisation(deps, asActor(staffOf(req)), req.params.authorisationId));
  });

  return router;
}
