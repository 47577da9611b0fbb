/**
 * Payment plans on the staff pages (issue 18; docs/card-on-file-and-plans.md "Payment plans"), mounted by routes.ts after
 * the session check (its error pages are routes.ts's):
 *   POST /staff/payment-plans/:planId/(skip|pause|resume|cancel)   front desk, billing: the plan's run's update
 *                                                                   (app/payment-plans.ts actOnPaymentPlan, audited as the
 *                                                                   staff member); 303 to the patient page's Payment plan card
 * Every POST: the session's CSRF token and a same-origin browser. Another practice's plan: 404; a change the plan's state
 * forbids: 409; Temporal down: 503.
 */
import { Router, type Request } from 'express';
import { actOnPaymentPlan, type PaymentPlanDeps, type PlanAction } from '../../app/payment-plans';
import type { Staff } from '../../db/queries/staff';
import { notFound } from '../../lib/errors';
import { UUID } from '../../lib/validate';
import type { StaffCardRouteHelpers } from './card-on-file-routes';

const ACTIONS: PlanAction[] = ['skip', 'pause', 'resume', 'cancel'];
const staffOf = (req: Request): Staff => req.staffSession!.staff;

export function staffPaymentPlanRoutes(deps: PaymentPlanDeps, h: StaffCardRouteHelpers): Router {
  const router = Router();
  const acting = h.pageRole(['front_desk', 'billing'], 'Changing a payment plan is for front desk and billing staff.');
  for (const action of ACTIONS) {
    router.post(`/staff/payment-plans/:planId/${action}`, h.form, h.formGuard, acting, async (req, res) => {
      const planId = req.params.planId;
      if (typeof planId !== 'string' || !UUID.test(planId)) throw notFound('payment plan');
      const plan = await actOnPaymentPlan(deps, staffOf(req), planId, action);
      res.redirect(303, `/staff/patients/${plan.patientId}?done=plan-${action}#payment-plan`);
    });
  }
  return router;
}
