/**
 * The "pay another way" link of a notice before a card-on-file charge (issue 18; lib/card-objection-link.ts):
 *   GET  /portal/card-notice/:token   a page with one button; opening it changes nothing (mail scanners open links)
 *   POST /portal/card-notice/:token   no charge for that claim under that authorisation: a statement instead, audited
 *                                     (app/card-on-file.ts `objectToCardCharge`); the signed token is the authority, and
 *                                     all it can do is stop one charge
 * A tampered or expired token: 404. Nothing about the patient shows on either page; request logs name the route only.
 */
import express, { Router, type Request, type Response } from 'express';
import { objectToCardCharge } from '../../app/card-on-file';
import type { PortalPaymentDeps } from '../../app/portal-payments';
import { verifyCardObjectionToken } from '../../lib/card-objection-link';
import { cardNoticePage, messagePage } from './pages';
import { sendPage } from './security';

const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });

/** Reached by a signed link: the link goes to no one else as a Referer. */
const send = (res: Response, status: number, body: string) => sendPage(res, status, body, { 'Referrer-Policy': 'no-referrer' });

const DONE = messagePage('Your card will not be charged', 'We will not charge your card on file for this visit. A statement will follow.', { href: '/portal', text: 'Pay your bill online' });
const ALREADY = messagePage('Your card was already charged', 'The charge was made before we received your request. Call the billing office if you would like it refunded.', { href: '/portal', text: 'Go to the portal' });
const INVALID = messagePage('This link is not valid', 'This link is not valid or has expired. Call the billing office if you have a question about a charge.', { href: '/portal', text: 'Go to the portal' });

export function cardNoticeRoutes(deps: PortalPaymentDeps): Router {
  const router = Router();
  const refOf = (req: Request) => (typeof req.params.token === 'string' ? verifyCardObjectionToken(req.params.token, [deps.settings.payLinkSecret], new Date()) : undefined);

  router.get('/portal/card-notice/:token', (req, res) => {
    if (!refOf(req)) return send(res, 404, INVALID);
    send(res, 200, cardNoticePage(req.originalUrl.split('?')[0]!));
  });

  router.post('/portal/card-notice/:token', form, async (req, res) => {
    const ref = refOf(req);
    if (!ref) return send(res, 404, INVALID);
    const result = await objectToCardCharge(deps, ref, 'notice_link', 'patient:notice-link');
    send(res, 200, result.alreadyCharged ? ALREADY : DONE);
  });

  return router;
}
