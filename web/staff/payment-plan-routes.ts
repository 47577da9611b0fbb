/**
 * Payment plans on the staff pages (issue 18; docs/card-on-file-and-plans.md "Payment plans"), mounted by routes.ts after
 * the session check (its error pages are routes.ts's):
 *   POST /staff/patients/:patientId/payment-plans                  front desk, billing: sets up a plan of the open balance
 *                                                                   (app/payment-plans.ts createPaymentPlan, the API's rules);
 *                                                                   303 to the patient page, or it again with the refused
 *                                                                   fields (422); another live plan: 409
 *   POST /staff/payment-plans/:planId/(skip|pause|resume|cancel)   front desk, billing: the plan's run's update
 *                                                                   (app/payment-plans.ts actOnPaymentPlan, audited as the
 *                                                                   staff member); 303 to the patient page's Payment plan card
 * Every POST: the session's CSRF token and a same-origin browser. Another practice's plan: 404; a change the plan's state
 * forbids: 409; Temporal down: 503.
 */
import { Router, type Request, type Response } from 'express';
import { appErrorOf } from '../../app/errors';
import { actOnPaymentPlan, createPaymentPlan, type PaymentPlanDeps, type PlanAction } from '../../app/payment-plans';
import type { Staff } from '../../db/queries/staff';
import { notFound } from '../../lib/errors';
import { UUID } from '../../lib/validate';
import { planFormErrorsOf, readPlanForm } from '../plan-form';
import type { StaffCardRouteHelpers } from './card-on-file-routes';
import type { PatientPageExtra } from './pages';

/** The patient page again (routes.ts), with a refused form. */
type RenderPatient = (req: Request, res: Response, status: number, patientId: string, extra: PatientPageExtra) => Promise<void>;

const ACTIONS: PlanAction[] = ['skip', 'pause', 'resume', 'cancel'];
const staffOf = (req: Request): Staff => req.staffSession!.staff;

export function staffPaymentPlanRoutes(deps: PaymentPlanDeps, h: StaffCardRouteHelpers & { renderPatient: RenderPatient }): Router {
  const router = Router();
  const acting = h.pageRole(['front_desk', 'billing'], 'Changing a payment plan is for front desk and billing staff.');

  router.post('/staff/patients/:patientId/payment-plans', h.form, h.formGuard, acting, async (req, res) => {
    const patientId = req.params.patientId;
    if (typeof patientId !== 'string' || !UUID.test(patientId)) throw notFound('patient');
    const { values, errors, request } = readPlanForm(req.body as Record<string, unknown>, { words: { one: 'installment', many: 'installments' }, every: true });
    if (!request) return h.renderPatient(req, res, 422, patientId, { planForm: { values, errors } });
    try {
      await createPaymentPlan(deps, staffOf(req), patientId, request);
    } catch (caught) {
      const refused = planFormErrorsOf(appErrorOf(caught));
      if (!refused) throw caught;
      // A refusal about no field of the form (the balance was paid meanwhile, so the form may be gone): a notice.
      const aboutForm = refused.filter((e) => e.field === 'form');
      return h.renderPatient(req, res, 422, patientId, {
        planForm: { values, errors: refused.filter((e) => e.field !== 'form') },
        ...(aboutForm.length > 0 ? { notice: { kind: 'bad', title: 'The payment plan was not set up', text: aboutForm.map((e) => e.message).join(' '), focus: true } } : {}),
      });
    }
    res.redirect(303, `/staff/patients/${patientId}?done=plan-created#payment-plan`);
  });
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
