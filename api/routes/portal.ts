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
 * (api/portal/security.ts); pages get helmet's headers with a script-free CSP, and every answer `no-store`. Errors on
 * forms are friendly pages, never problem+json. Nothing here logs what the patient typed.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../../db/connection';
import { setCollectionStatus } from '../../db/queries/collections';
import { portalPaymentFor } from '../../db/queries/portal';
import { portalStatementOf, statementCollection, statementCurrentBalances, statementDocument, statementDue, type StatementRow } from '../../db/queries/statements';
import { centsToDollarsField, checkPaymentAmount, parseDollars } from '../../domain/statements';
import { formatCents } from '../../domain/money';
import { ACCOUNT_ID_PATTERN } from '../../lib/account-id';
import { AppError } from '../../lib/errors';
import { safeError, type Logger } from '../../lib/logger';
import { updateFailureToAppError } from '../../app/temporal-errors';
import { outageOf, RETRY_AFTER_SECONDS } from '../../lib/outage';
import { signPaymentLink, verifyPaymentLink, withPaymentLink } from '../../lib/payment-link';
import { registerPaymentUpdate } from '../../workflows/statement-messages';
import { portalUrlOf } from '../../activities/statement-notices';
import { contentSecurityPolicy, helmetOptions, noStore } from '../portal/headers';
import {
  formatInstant, lookupPage, messagePage, printableStatementPage, receiptPage, statementPage, type StatementPageModel,
} from '../portal/pages';
import {
  clientAddress, csrfOf, csrfValid, endSession, ensureCsrf, lookUp, normaliseAccountId, normaliseDateOfBirth, readSession, sessionCookieOf,
  sessionCsrfValid, startSession, type SignedIn,
} from '../portal/security';
import type { StatementsSettings } from '../portal/settings';
import { ensureStatementRun, runSettingsOf } from '../portal/statement-runs';
import { PORTAL_CSS, STATEMENT_CSS } from '../portal/styles';
import { requestFaultOf } from '../request-faults';
import { portalLines } from './statements';

export interface PortalRouteDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  settings: StatementsSettings;
  captureWindowMs: number;
}

/** How long after its link expired a receipt may still be shown from the link alone. */
const RECEIPT_GRACE_SECONDS = 7 * 86_400;
const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

function send(res: Response, status: number, body: string, csp?: string): void {
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  if (csp) res.set('Content-Security-Policy', csp);
  res.send(body);
}

const seeOther = (res: Response, location: string) => res.status(303).set('Cache-Control', 'no-store').location(location).end();
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
  const { db, settings: s } = deps;

  router.use('/portal', helmet(helmetOptions));

  router.get('/portal/static/portal.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(PORTAL_CSS);
  });
  router.get('/portal/static/statement.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STATEMENT_CSS);
  });
  router.use('/portal', noStore);

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

    const result = await lookUp(db, s, { accountId, dateOfBirth, clientAddress: clientAddress(req, s.trustedProxyHops), previousSession: sessionCookieOf(req) });
    if (!result.ok) return send(res, 403, lookupPage({ csrf, failed: true })); // the same bytes for every kind of failure
    startSession(res, s, result.sessionCookie);
    seeOther(res, '/portal/statement');
  });

  /** The signed-in patient's session, or a redirect to the sign-in page (saying why, if the session ran out). */
  async function signedIn(req: Request, res: Response): Promise<SignedIn | undefined> {
    const session = await readSession(db, req);
    if (typeof session === 'object') return session;
    if (session === 'expired') await endSession(res, s);
    seeOther(res, session === 'expired' ? '/portal?notice=expired' : '/portal');
    return undefined;
  }

  async function statementModel(statement: StatementRow, csrf: string): Promise<{ model: StatementPageModel; paymentOrigin?: string } | undefined> {
    const doc = await statementDocument(db, statement.id);
    if (!doc) return undefined;
    return {
      model: {
        csrf, firstName: doc.patient.firstName, practiceName: doc.practice.name, statementDate: doc.statement.statement_date,
        status: doc.statement.status, lines: portalLines(doc, await statementCurrentBalances(db, doc.statement)), totalCents: doc.due.totalCents, paidCents: doc.due.paidCents,
        dueCents: doc.due.dueCents, amount: centsToDollarsField(doc.due.dueCents),
      },
      paymentOrigin: originOf(doc.practice.paymentPageUrl),
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
    const statement = await portalStatementOf(db, session.patientId);
    const page = statement && (await statementModel(statement, csrf));
    if (!page) return send(res, 200, messagePage('No statement to pay', 'There is no statement on this account right now. Thank you.', { href: '/portal', text: 'Back' }));
    sendStatement(res, 200, page);
  });

  router.post('/portal/pay', form, async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    if (!sessionCsrfValid(req, session)) return csrfFailed(req, res);
    const { patientId, csrfToken: csrf } = session;
    const statement = await portalStatementOf(db, patientId);
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
    const claim = await portalPaymentFor(db, {
      statement, amountCents, patientId, reuseWithinMs: deps.captureWindowMs - s.paymentLinkTtlMs,
      limit: { max: s.maxPortalPaymentsPerStatement, windowMs: s.portalPaymentWindowMs },
    });
    if (claim.kind === 'capped') {
      res.set('Retry-After', String(claim.retryAfterSeconds));
      return sendStatement(res, 429, page, { amount: typed, problem: cappedMessage(claim.retryAfterSeconds) });
    }
    const { collection } = claim;
    if (collection.status === 'starting') {
      try {
        const register = () => deps.temporal.workflow.getHandle(statement.workflow_id)
          .executeUpdate(registerPaymentUpdate, { updateId: `register:${collection.id}`, args: [{ collectionId: collection.id, amountCents }] });
        await register().catch(async (err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          // The statement's run is not there (never started): start it, then register.
          await ensureStatementRun(deps.temporal, deps.taskQueue, statement, runSettingsOf(s, deps.captureWindowMs));
          return register();
        });
      } catch (err) {
        deps.log.warn({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, collectionId: collection.id }, 'statement payment not registered');
        // Only this press's own collection: a reused one may be registering from another press right now.
        if (claim.kind === 'created') await setCollectionStatus(db, { collectionId: collection.id, status: 'cancelled', actor: 'system:portal' });
        const fresh = (await statementModel(statement, csrf))!;
        // The run refused it (closed meanwhile, or more than the statement can still take): say so, it is not an outage.
        const refused = updateFailureToAppError(err, 'statement');
        if (refused instanceof AppError && refused.status < 500) {
          return sendStatement(res, 409, fresh, { amount: typed, problem: `This payment could not be started: ${refused.message} Nothing was charged.` });
        }
        return sendStatement(res, 503, fresh, { amount: typed, problem: 'Nothing was charged. Please try again in a few minutes.' });
      }
      await setCollectionStatus(db, { collectionId: collection.id, status: 'awaiting_capture', actor: `patient:${patientId}` });
    }

    const doc = (await statementDocument(db, statement.id))!;
    const token = signPaymentLink({
      c: collection.id, a: amountCents, p: doc.practice.externalId, n: doc.practice.name, r: `${s.publicBaseUrl}/portal/receipt`,
      exp: Math.floor((Date.now() + s.paymentLinkTtlMs) / 1000),
    }, s.paymentLinkSecret);
    seeOther(res, withPaymentLink(doc.practice.paymentPageUrl, token));
  });

  router.get('/portal/receipt', async (req, res) => {
    const ref = typeof req.query.ref === 'string' ? req.query.ref : undefined;
    const link = verifyPaymentLink(ref, [s.paymentLinkSecret], Math.floor(Date.now() / 1000), RECEIPT_GRACE_SECONDS);
    const row = link.ok ? await statementCollection(db, link.payload.c) : undefined;
    if (!link.ok || !row) {
      return send(res, 400, messagePage('We could not find this payment', 'This receipt link is not valid. If you paid, your payment is safe: sign in to see your statement.', { href: '/portal', text: 'Sign in' }));
    }
    const session = await readSession(db, req);
    const own = typeof session === 'object' && session.patientId === row.patient_id ? session : undefined;
    if (row.payment_id && row.amount_cents !== null && row.paid_at && row.external_id) {
      const due = own ? (await statementDue(db, row.statement_id)).dueCents : undefined;
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
    const statement = await portalStatementOf(db, session.patientId);
    const doc = statement && (await statementDocument(db, statement.id));
    if (!doc) return send(res, 404, messagePage('No statement', 'There is no statement on this account right now.', { href: '/portal/statement', text: 'Back' }));
    send(res, 200, printableStatementPage({
      practiceName: doc.practice.name, patientName: `${doc.patient.firstName} ${doc.patient.lastName}`, accountId: doc.patient.accountId,
      statementDate: doc.statement.statement_date, lines: portalLines(doc, await statementCurrentBalances(db, doc.statement)), totalCents: doc.due.totalCents,
      paidCents: doc.due.paidCents, dueCents: doc.due.dueCents, portalUrl: portalUrlOf(s.publicBaseUrl), backHref: '/portal/statement',
    }));
  });

  // Ends the session on the server, so a copy of the cookie stops working too. Without a live session there is
  // nothing to protect: the cookie is cleared all the same.
  router.post('/portal/sign-out', form, async (req, res) => {
    const session = await readSession(db, req);
    if (typeof session === 'object' && !sessionCsrfValid(req, session)) return csrfFailed(req, res);
    await endSession(res, s, { db, req });
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
