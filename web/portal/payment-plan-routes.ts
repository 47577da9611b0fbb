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
import { createPortalPlan, portalPlanOf, type PaymentPlanDeps } from '../../app/payment-plans';
import type { PortalPaymentDeps } from '../../app/portal-payments';
import { parseDollars } from '../../domain/money';
import { AppError } from '../../lib/errors';
import type { FieldError } from './layout';
import { messagePage } from './pages';
import { paymentPlanPage, type PlanFormValues } from './pages/payment-plan';
import { seeOther, sendPage, sessionCsrfValid, type SignedIn, signedInOrRedirect } from './security';

const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });

const send = (res: Response, status: number, body: string) => sendPage(res, status, body);
const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
/** The words of the API's reasons for the patient ("installmentCents makes installments of …"). */
const FIELD_WORDS: Record<string, string> = {
  authorisationId: 'The card', installments: 'The number of payments', installmentCents: 'The amount of each payment', firstDueDate: 'The first payment date', totalCents: 'The amount',
};

export function paymentPlanRoutes(deps: PortalPaymentDeps & PaymentPlanDeps): Router {
  const router = Router();

  const signedIn = (req: Request, res: Response) => signedInOrRedirect(deps, req, res);

  async function render(res: Response, status: number, session: SignedIn, extra: { values?: PlanFormValues; errors?: FieldError[]; created?: boolean } = {}) {
    const p = await preferencesOf(deps.db, session.patientId);
    if (!p) return seeOther(res, '/portal');
    const data = await portalPlanOf(deps, session.patientId);
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
    const raw = req.body as Record<string, unknown>;
    const values: PlanFormValues = { authorisationId: str(raw.authorisationId), installments: str(raw.installments), amount: str(raw.amount), firstDueDate: str(raw.firstDueDate) };
    const errors: FieldError[] = [];
    const installments = values.installments ? (/^\d{1,3}$/.test(values.installments) ? Number(values.installments) : NaN) : undefined;
    const installmentCents = values.amount ? parseDollars(values.amount) ?? NaN : undefined;
    if (Number.isNaN(installments)) errors.push({ field: 'installments', message: 'Enter the number of payments as a whole number, for example 6.' });
    if (Number.isNaN(installmentCents)) errors.push({ field: 'installmentCents', message: 'Enter the amount in dollars and cents, for example 50.00.' });
    if (installments === undefined && installmentCents === undefined) errors.push({ field: 'installments', message: 'Enter the number of monthly payments, or the amount of each payment.' });
    if (installments !== undefined && installmentCents !== undefined && errors.length === 0) {
      errors.push({ field: 'installments', message: 'Enter the number of payments or the amount of each payment, not both.' });
    }
    if (!values.authorisationId) errors.push({ field: 'authorisationId', message: 'Choose the card to charge.' });
    if (errors.length > 0) return render(res, 422, session, { values, errors });
    try {
      await createPortalPlan(deps, session.patientId, {
        authorisationId: values.authorisationId!, firstDueDate: values.firstDueDate!,
        ...(installments !== undefined ? { installments } : {}), ...(installmentCents !== undefined ? { installmentCents } : {}),
      });
    } catch (caught) {
      const err = appErrorOf(caught);
      if (err instanceof AppError && err.status === 422) {
        const fields = err.fields?.length ? err.fields : [{ field: 'installments', reason: err.message }];
        return render(res, 422, session, { values, errors: fields.map((f) => ({ field: f.field in FIELD_WORDS ? f.field : 'installments', message: `${FIELD_WORDS[f.field] ?? ''} ${f.reason}`.trim() })) });
      }
      if (err instanceof AppError && err.status === 409) {
        return render(res, 409, session, { values, errors: [{ field: 'installments', message: 'You already have a payment plan.' }] });
      }
      throw err;
    }
    seeOther(res, '/portal/payment-plan?created=1');
  });

  return router;
}
