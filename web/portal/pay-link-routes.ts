/**
 * Pay links (text-to-pay, issue 17): the link in a statement email opens the portal scoped to that statement, so the
 * patient does not type the account ID; the date of birth is still asked.
 *   GET  /portal/link/:token   the date-of-birth form (nothing about the patient or the statement shows before it)
 *   POST /portal/link/:token   → the portal's own lookup with the statement's account id (app/portal-sessions.ts
 *                                lookUp: the same per-account and per-client counting and lock-out, counted before it
 *                                is compared, the same answer for every kind of failure); on success one use of the
 *                                link is taken (atomically, in PostgreSQL), a session starts, 303 /portal/statement
 * The token (mail/pay-link.ts) is signed and expiring; the link's row says its statement, expiry and uses left
 * (PAY_LINK_MAX_USES successful sign-ins, default 3, within PAY_LINK_TTL, default 30 days). A tampered or unknown
 * link: 404; expired or used up: 410; each with a page that points to the normal sign-in. Request logs name the route
 * template only (server/app.ts), never the token; the date of birth never leaves this handler.
 */
import express, { Router, type Request, type Response } from 'express';
import { checkPayLink, signInWithPayLink } from '../../app/pay-links';
import type { PortalPaymentDeps } from '../../app/portal-payments';
import { clientAddress } from '../../http/client-address';
import { messagePage, payLinkPage } from './pages';
import { csrfOf, csrfValid, ensureCsrf, normaliseDateOfBirth, sendPage, sessionCookieOf, startSession } from './security';

const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

/** Reached by a signed link: the link goes to no one else as a Referer. */
const send = (res: Response, status: number, body: string) => sendPage(res, status, body, { 'Referrer-Policy': 'no-referrer' });

type LinkCheck = { ok: true; linkId: string; statementId: string } | { ok: false; status: 404 | 410; page: string };

const SIGN_IN = { href: '/portal', text: 'Sign in with your account ID' };

export function payLinkRoutes(deps: PortalPaymentDeps): Router {
  const router = Router();
  const s = deps.settings;

  const INVALID = messagePage('This link is not valid', 'This pay link is not valid. You can still pay online with the account ID printed on your statement.', SIGN_IN);
  const EXPIRED = messagePage('This link has expired', 'For your security, pay links work for a limited time. You can still pay online with the account ID printed on your statement.', SIGN_IN);
  const USED_UP = messagePage('This link has been used', 'For your security, a pay link works only a few times. You can still pay online with the account ID printed on your statement.', SIGN_IN);

  async function check(token: string | undefined): Promise<LinkCheck> {
    const link = await checkPayLink(deps, token);
    if (link.ok) return link;
    return link.reason === 'invalid' ? { ok: false, status: 404, page: INVALID } : { ok: false, status: 410, page: link.reason === 'expired' ? EXPIRED : USED_UP };
  }

  const tokenOf = (req: Request): string | undefined => {
    const t = req.params.token;
    return typeof t === 'string' ? t : undefined;
  };

  router.get('/portal/link/:token', async (req, res) => {
    const link = await check(tokenOf(req));
    if (!link.ok) return send(res, link.status, link.page);
    send(res, 200, payLinkPage({ csrf: ensureCsrf(req, res, s), action: req.originalUrl.split('?')[0]! }));
  });

  router.post('/portal/link/:token', form, async (req, res) => {
    const action = req.originalUrl.split('?')[0]!;
    if (!csrfValid(req, s)) {
      ensureCsrf(req, res, s);
      return send(res, 403, messagePage('This form has expired', 'For your security, forms expire. Please open the link from your email again.', { href: action, text: 'Try again' }));
    }
    const csrf = csrfOf(req, s);
    const link = await check(tokenOf(req));
    if (!link.ok) return send(res, link.status, link.page);
    const raw = (req.body as Record<string, unknown> | undefined)?.dateOfBirth;
    const dateOfBirth = normaliseDateOfBirth(typeof raw === 'string' ? raw : '');
    // Input that could never match is refused before any lookup: nothing is read, counted or written.
    if (!dateOfBirth) return send(res, 422, payLinkPage({ csrf, action, errors: [{ field: 'dateOfBirth', message: 'Enter the date of birth as a real date, for example 03/12/1984.' }] }));

    // The portal's own lookup (counted for the client and the account before the date of birth is compared), then
    // one use of the link, taken atomically: a link used up meanwhile (another tab) signs nobody in.
    const result = await signInWithPayLink(deps, {
      linkId: link.linkId, statementId: link.statementId, dateOfBirth, clientAddress: clientAddress(req, s.trustedProxyHops), previousSession: sessionCookieOf(req),
    });
    if (!result.ok) {
      if (result.reason === 'lookup_failed') return send(res, 403, payLinkPage({ csrf, action, failed: true }));
      return result.reason === 'used_up' ? send(res, 410, USED_UP) : send(res, 404, INVALID);
    }
    startSession(res, s, result.sessionCookie);
    res.status(303).set('Cache-Control', 'no-store').location('/portal/statement').end();
  });

  return router;
}
