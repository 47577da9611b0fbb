/**
 * Payment plans over JSON (the logic is app/payment-plans.ts):
 *   POST /v1/patients/{patientId}/payment-plans          the patient's balance in installments (front desk, billing; Idempotency-Key)
 *   GET  /v1/patients/{patientId}/payment-plans          the patient's plans (any staff role)
 *   GET  /v1/payment-plans/{planId}                      one plan with its installments (any staff role)
 *   POST /v1/payment-plans/{planId}/(skip|pause|resume|cancel)   staff's changes (front desk, billing; audited)
 * Another practice's patient or plan answers 404; Temporal down, 503 with Retry-After.
 */
import { Router } from 'express';
import { actOnPaymentPlan, createPaymentPlan, paymentPlanOf, paymentPlansOf, type PaymentPlanDeps, type PlanAction } from '../../app/payment-plans';
import { emptyBody } from '../../contracts/operation';
import { planListSchema, planSchema } from '../../contracts/payment-plans';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';
import { parseBody } from '../../lib/validate';
import { idempotency } from '../idempotency';

const ACTIONS: PlanAction[] = ['skip', 'pause', 'resume', 'cancel'];

export function paymentPlanRoutes(deps: PaymentPlanDeps): Router {
  const router = Router();

  router.post('/v1/patients/:patientId/payment-plans', requireRole('front_desk', 'billing'), idempotency(deps.db), async (req, res) => {
    const { created, body } = await createPaymentPlan(deps, staffOf(req), req.params.patientId, req.body);
    sendJson(res, created ? 201 : 200, planSchema, body);
  });

  router.get('/v1/patients/:patientId/payment-plans', async (req, res) => {
    sendJson(res, 200, planListSchema, await paymentPlansOf(deps, staffOf(req), req.params.patientId));
  });

  router.get('/v1/payment-plans/:planId', async (req, res) => {
    sendJson(res, 200, planSchema, await paymentPlanOf(deps, staffOf(req), req.params.planId));
  });

  for (const action of ACTIONS) {
    router.post(`/v1/payment-plans/:planId/${action}`, requireRole('front_desk', 'billing'), async (req, res) => {
      parseBody(emptyBody, req.body ?? {});
      sendJson(res, 200, planSchema, await actOnPaymentPlan(deps, staffOf(req), req.params.planId, action));
    });
  }

  return router;
}
