/**
 * The signed-in patient's payment plan (issue 18; docs/card-on-file-and-plans.md "Payment plans"):
 *   GET  /portal/payment-plan    their live plan (installments, next payment), or the form to set one up
 *   POST /portal/payment-plan    sets one up: monthly, on one of their yearly card authorisations, within the practice's
 *                                limits (app/payment-plans.ts createPortalPlan: created via 'portal', audited as the
 *                                patient); a refused field is shown next to it (422); the session's CSRF token
 * Without a session: to /portal.
 */
import express, { Router, type Request, type Response } from 'express';
import { preferencesOf } from '../../app/channel-consents';
import { appErrorOf } from '../../app/errors';
import { createPortalPlan, planSetupOf, type PaymentPlanDeps } from '../../app/payment-plans';
import type { PortalPaymentDeps } from '../../app/portal-payments';
import { AppError } from '../../lib/errors';
import { planFormErrorsOf, readPlanForm, type PlanFormValues } from '../plan-form';
import type { FieldError } from './layout';
import { messagePage } from './pages';
import { paymentPlanPage } from './pages/payment-plan';
import { seeOther, sendPage, sessionCsrfValid, type SignedIn, signedInOrRedirect } from './security';

const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });

const send = (res: Response, status: number, body: string) => sendPage(res, status, body);

export function paymentPlanRoutes(deps: PortalPaymentDeps & PaymentPlanDeps): Router {
  const router = Router();

  const signedIn = (req: Request, res: Response) => signedInOrRedirect(deps, req, res);

  async function render(res: Response, status: number, session: SignedIn, extra: { values?: PlanFormValues; errors?: FieldError[]; created?: boolean } = {}) {
    const p = await preferencesOf(deps.db, session.patientId);
    if (!p) return seeOther(res, '/portal');
    const data = await planSetupOf(deps, session.patientId);
    send(res, status, paymentPlanPage({ csrf: session.csrfToken, practiceName: p.practiceName, firstName: p.firstName, data, ...extra }));
  }

  router.get('/portal/payment-plan', async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    await render(res, 200, session, { created: req.query.created === '1' });
  });

  router.post('/portal/payment-plan', form, async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    if (!sessionCsrfValid(req, session)) {
      return send(res, 403, messagePage('This form has expired', 'For your security, forms expire. Please open the page again and try again.', { href: '/portal/payment-plan', text: 'Open it again' }));
    }
    const { values, errors, request } = readPlanForm(req.body as Record<string, unknown>, { words: { one: 'payment', many: 'monthly payments' }, every: false });
    if (!request) return render(res, 422, session, { values, errors });
    try {
      await createPortalPlan(deps, session.patientId, request); // monthly: the portal's form has no interval
    } catch (caught) {
      const err = appErrorOf(caught);
      const refused = planFormErrorsOf(err);
      if (refused) return render(res, 422, session, { values, errors: refused.map((e) => (e.field === 'form' ? { ...e, field: 'installments' } : e)) });
      if (err instanceof AppError && err.status === 409) {
        return render(res, 409, session, { values, errors: [{ field: 'installments', message: 'You already have a payment plan.' }] });
      }
      throw err;
    }
    seeOther(res, '/portal/payment-plan?created=1');
  });

  return router;
}
