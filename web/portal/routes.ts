/**
 * The patient portal (shared/domain.md, path 3), server-rendered HTML under /portal:
 *   GET  /portal                    date of birth + account id
 *   POST /portal/lookup             → session cookie, 303 to the statement; any failure: one identical answer
 *   GET  /portal/statement          first name, statement lines, total due, pay form
 *   POST /portal/pay                → a statement payment (collection) registered with the statement's workflow,
 *                                     303 to the practice's payment page with a signed, expiring reference (no PHI);
 *                                     pressed again with the same amount, the same open payment; 429 past the cap
 *   POST /portal/sign-out           ends the session on the server
 *   GET  /portal/receipt?ref=…      the receipt once the capture is recorded (it waits and refreshes until then)
 *   GET  /portal/statement/print    the printable statement
 *   GET  /portal/static/*.css
 * The sign-in form carries a signed double-submit CSRF token, every signed-in form the server-side session's own token
 * (security.ts); pages get helmet's headers with a script-free CSP, and every answer `no-store`. Errors on
 * forms are friendly pages, never problem+json. Nothing here logs what the patient typed. What happens is app/'s:
 * the lookup and sessions app/portal-sessions.ts, the statement and a payment app/portal-payments.ts.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { StatementRow } from '../../db/queries/statements';
import { checkPaymentAmount } from '../../domain/statements';
import { centsToDollarsField, formatCents, parseDollars } from '../../domain/money';
import { ACCOUNT_ID_PATTERN } from '../../lib/account-id';
import { safeError } from '../../lib/logger';
import { outageOf, RETRY_AFTER_SECONDS } from '../../lib/outage';
import {
  portalStatementOfPatient, portalStatementView, receiptPaymentOf, startPortalPayment, statementDueCents, type PortalPaymentDeps,
} from '../../app/portal-payments';
import { lookUp } from '../../app/portal-sessions';
import { printablePortalStatement } from '../../app/statements';
import { clientAddress } from '../../http/client-address';
import { requestFaultOf } from '../../http/request-faults';
import { contentSecurityPolicy, helmetOptions, noStore } from '../../http/security-headers';
import {
  formatInstant, lookupPage, messagePage, printableStatementPage, receiptPage, statementPage, type StatementPageModel,
} from './pages';
import {
  csrfOf, csrfValid, endSession, ensureCsrf, normaliseAccountId, normaliseDateOfBirth, readSession, seeOther, sessionCookieOf,
  sessionCsrfValid, signedInOrRedirect, startSession,
} from './security';
import { portalStylesheets } from './static';
import { payLinkRoutes } from './pay-link-routes';
import { unsubscribeRoutes } from './unsubscribe-routes';
import { preferencesRoutes } from './preferences-routes';
import { cardNoticeRoutes } from './card-notice-routes';
import { cardOnFileRoutes } from './card-on-file-routes';
import { paymentPlanRoutes } from './payment-plan-routes';

export type PortalRouteDeps = PortalPaymentDeps;

const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

function send(res: Response, status: number, body: string, csp?: string): void {
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  if (csp) res.set('Content-Security-Policy', csp);
  res.send(body);
}

const field = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};
/** The patient's sentence when the statement has started as many portal payments as it may. */
function cappedMessage(retryAfterSeconds: number): string {
  const hours = Math.ceil(retryAfterSeconds / 3600);
  const when = retryAfterSeconds < 3600 ? 'within the hour' : `in about ${hours} hour${hours === 1 ? '' : 's'}`;
  return `This statement has had too many payments started recently, so we cannot start another one now. Nothing was charged. `
    + `A payment you already started can still be finished: enter the same amount again. Otherwise please try again ${when}, or call the practice.`;
}

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

export function portalRoutes(deps: PortalRouteDeps): Router {
  const router = Router();
  const { settings: s } = deps;

  router.use('/portal', helmet(helmetOptions));

  router.use('/portal/static', portalStylesheets);
  router.use('/portal', noStore);
  router.use(payLinkRoutes(deps)); // GET/POST /portal/link/:token: the pay link from a statement email (pay-link-routes.ts)
  router.use(unsubscribeRoutes(deps)); // GET/POST /portal/unsubscribe/:token: the email's unsubscribe link (unsubscribe-routes.ts)
  router.use(preferencesRoutes(deps)); // GET/POST /portal/preferences: the signed-in patient's contact preferences (preferences-routes.ts)
  router.use(cardNoticeRoutes(deps)); // GET/POST /portal/card-notice/:token: a card-on-file notice's "pay another way" (card-notice-routes.ts)
  router.use(cardOnFileRoutes(deps)); // GET /portal/card-on-file, POST …/:authorisationId/revoke: the signed-in patient's cards on file (card-on-file-routes.ts)
  router.use(paymentPlanRoutes(deps)); // GET/POST /portal/payment-plan: the signed-in patient's payment plan, or setting one up (payment-plan-routes.ts)

  router.get('/portal', (req, res) => {
    const notice = req.query.notice === 'expired' || req.query.notice === 'signed-out' ? req.query.notice : undefined;
    send(res, 200, lookupPage({ csrf: ensureCsrf(req, res, s), notice }));
  });

  /** A form without a valid CSRF token: nothing happens, the patient starts again. */
  function csrfFailed(req: Request, res: Response): void {
    ensureCsrf(req, res, s);
    send(res, 403, messagePage('This form has expired', 'For your security, forms expire. Please go back to the start and try again.'));
  }

  router.post('/portal/lookup', form, async (req, res) => {
    if (!csrfValid(req, s)) return csrfFailed(req, res);
    const csrf = csrfOf(req, s);
    const rawAccount = field(req.body, 'accountId');
    const accountId = normaliseAccountId(rawAccount);
    const dateOfBirth = normaliseDateOfBirth(field(req.body, 'dateOfBirth'));
    const errors = [
      ...(ACCOUNT_ID_PATTERN.test(accountId) ? [] : [{ field: 'accountId', message: rawAccount.trim() === '' ? 'Enter your account ID.' : 'Enter the account ID as printed on your statement: 10 letters and numbers.' }]),
      ...(dateOfBirth ? [] : [{ field: 'dateOfBirth', message: 'Enter your date of birth as a real date, for example 03/12/1984.' }]),
    ];
    // Input that could never match is refused before any lookup: nothing is read, counted or written.
    if (errors.length > 0 || !dateOfBirth) return send(res, 422, lookupPage({ csrf, errors, values: { accountId: rawAccount.slice(0, 20) } }));

    const result = await lookUp(deps.db, s, { accountId, dateOfBirth, clientAddress: clientAddress(req, s.trustedProxyHops), previousSession: sessionCookieOf(req) });
    if (!result.ok) return send(res, 403, lookupPage({ csrf, failed: true })); // the same bytes for every kind of failure
    startSession(res, s, result.sessionCookie);
    seeOther(res, '/portal/statement');
  });

  const signedIn = (req: Request, res: Response) => signedInOrRedirect(deps, req, res);

  async function statementModel(statement: StatementRow, csrf: string): Promise<{ model: StatementPageModel; paymentOrigin?: string } | undefined> {
    const view = await portalStatementView(deps, statement);
    if (!view) return undefined;
    return {
      model: {
        csrf, firstName: view.firstName, practiceName: view.practiceName, statementDate: view.statementDate,
        status: view.status, lines: view.lines, totalCents: view.totalCents, paidCents: view.paidCents,
        dueCents: view.dueCents, amount: centsToDollarsField(view.dueCents), ...(view.planNote ? { planNote: view.planNote } : {}),
      },
      paymentOrigin: originOf(view.paymentPageUrl),
    };
  }

  function sendStatement(res: Response, status: number, page: { model: StatementPageModel; paymentOrigin?: string }, patch: Partial<StatementPageModel> = {}): void {
    // The pay form's redirect goes to the practice's payment page: the CSP's form-action must allow its origin.
    send(res, status, statementPage({ ...page.model, ...patch }), contentSecurityPolicy(page.paymentOrigin ? [page.paymentOrigin] : []));
  }

  router.get('/portal/statement', async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    const csrf = session.csrfToken;
    const statement = await portalStatementOfPatient(deps, session.patientId);
    const page = statement && (await statementModel(statement, csrf));
    if (!page) return send(res, 200, messagePage('No statement to pay', 'There is no statement on this account right now. Thank you.', { href: '/portal', text: 'Back' }));
    sendStatement(res, 200, page);
  });

  router.post('/portal/pay', form, async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    if (!sessionCsrfValid(req, session)) return csrfFailed(req, res);
    const { patientId, csrfToken: csrf } = session;
    const statement = await portalStatementOfPatient(deps, patientId);
    const page = statement && (await statementModel(statement, csrf));
    if (!statement || !page) return send(res, 409, messagePage('No statement to pay', 'There is no statement on this account right now.', { href: '/portal/statement', text: 'Back' }));
    const typed = field(req.body, 'amount').slice(0, 30);
    if (statement.status !== 'open' || page.model.dueCents === 0) return sendStatement(res, 409, page, { amount: typed });

    // Never more than the balance shown, never less than a cent; nothing is written for a refused amount.
    const amountCents = parseDollars(typed);
    const check = checkPaymentAmount(amountCents, page.model.dueCents);
    if (check !== 'ok' || amountCents === undefined) {
      const message = check === 'over_balance'
        ? `Enter an amount no more than the balance due, ${formatCents(page.model.dueCents)}.`
        : check === 'too_small' ? 'Enter an amount of at least $0.01.' : 'Enter an amount in dollars and cents, for example 45.00.';
      return sendStatement(res, 422, page, { amount: typed, errors: [{ field: 'amount', message }] });
    }

    // Pressed again with the same amount: the same open payment request. Otherwise a new one, within the cap.
    const outcome = await startPortalPayment(deps, { patientId, statement, amountCents });
    switch (outcome.kind) {
      case 'capped':
        res.set('Retry-After', String(outcome.retryAfterSeconds));
        return sendStatement(res, 429, page, { amount: typed, problem: cappedMessage(outcome.retryAfterSeconds) });
      case 'refused':
        return sendStatement(res, 409, (await statementModel(statement, csrf))!, { amount: typed, problem: `This payment could not be started: ${outcome.message} Nothing was charged.` });
      case 'unavailable':
        return sendStatement(res, 503, (await statementModel(statement, csrf))!, { amount: typed, problem: 'Nothing was charged. Please try again in a few minutes.' });
      case 'redirect':
        return seeOther(res, outcome.url);
    }
  });

  router.get('/portal/receipt', async (req, res) => {
    const ref = typeof req.query.ref === 'string' ? req.query.ref : undefined;
    const row = await receiptPaymentOf(deps, ref);
    if (!row) {
      return send(res, 400, messagePage('We could not find this payment', 'This receipt link is not valid. If you paid, your payment is safe: sign in to see your statement.', { href: '/portal', text: 'Sign in' }));
    }
    const session = await readSession(deps, req);
    const own = typeof session === 'object' && session.patientId === row.patient_id ? session : undefined;
    if (row.payment_id && row.amount_cents !== null && row.paid_at && row.external_id) {
      const due = own ? await statementDueCents(deps, row.statement_id) : undefined;
      return send(res, 200, receiptPage({
        state: 'received', practiceName: row.practice_name, amountCents: row.amount_cents, paidAt: formatInstant(row.paid_at, row.time_zone),
        confirmation: row.external_id, applied: row.status === 'applied' ? 'applied' : row.status === 'needs_attention' ? 'staff' : 'applying', dueCents: due, signedIn: own !== undefined, csrf: own?.csrfToken,
      }));
    }
    if (row.status === 'expired' || row.status === 'cancelled' || req.query.cancelled === '1') {
      return send(res, 200, receiptPage({ state: 'not_completed', practiceName: row.practice_name, cancelled: req.query.cancelled === '1' }));
    }
    send(res, 200, receiptPage({ state: 'pending', practiceName: row.practice_name, amountCents: row.requested_amount_cents }));
  });

  router.get('/portal/statement/print', async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    const printable = await printablePortalStatement(deps, session.patientId);
    if (!printable) return send(res, 404, messagePage('No statement', 'There is no statement on this account right now.', { href: '/portal/statement', text: 'Back' }));
    send(res, 200, printableStatementPage({ ...printable, backHref: '/portal/statement' }));
  });

  // Ends the session on the server, so a copy of the cookie stops working too. Without a live session there is
  // nothing to protect: the cookie is cleared all the same.
  router.post('/portal/sign-out', form, async (req, res) => {
    const session = await readSession(deps, req);
    if (typeof session === 'object' && !sessionCsrfValid(req, session)) return csrfFailed(req, res);
    await endSession(res, s, { deps, req });
    seeOther(res, '/portal?notice=signed-out');
  });

  // Anything unexpected on a portal page: a friendly page, logged without the request's contents.
  router.use('/portal', (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    // A form the body parser refused (too large, too many fields, a bad Content-Encoding): the patient's 4xx page.
    const fault = requestFaultOf(err);
    if (fault) return send(res, fault.error.status, messagePage(fault.page.title, fault.page.text));
    const outage = outageOf(err);
    if (outage) {
      deps.log.warn({ outage, reqId: req.id }, 'portal: dependency unavailable');
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS[outage]));
      return send(res, 503, messagePage('Temporarily unavailable', 'We cannot reach part of our system right now. Nothing was charged. Please try again in a minute.'));
    }
    deps.log.error({ err: safeError(err), reqId: req.id }, 'portal error');
    send(res, 500, messagePage('Something went wrong', 'Something went wrong on our side. Nothing was charged. Please try again in a few minutes.'));
  });

  return router;
}
