/**
 * The unsubscribe link of patients' email (issue 17; mail/unsubscribe-link.ts):
 *   GET  /portal/unsubscribe/:token   a page with one button; opening it changes nothing (mail scanners open links)
 *   POST /portal/unsubscribe/:token   the patient's email consent withdrawn at once, audited (app/channel-consents.ts);
 *                                     also the RFC 8058 one-click POST of the List-Unsubscribe header
 *                                     (body `List-Unsubscribe=One-Click`), so no CSRF token: the signed token in the
 *                                     address is the authority, and all it can do is stop email
 * A tampered token: 404. Nothing about the patient shows on either page; request logs name the route template only.
 */
import express, { Router, type Request, type Response } from 'express';
import { checkUnsubscribeToken, unsubscribeEmail } from '../../app/channel-consents';
import type { PortalPaymentDeps } from '../../app/portal-payments';
import { html } from '../../lib/html';
import { layout } from './layout';
import { messagePage } from './pages';
import { sendPage } from './security';

const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });

/** Reached by a signed link: the link goes to no one else as a Referer. */
const send = (res: Response, status: number, body: string) => sendPage(res, status, body, { 'Referrer-Policy': 'no-referrer' });

export function unsubscribePage(action: string): string {
  return layout({ title: 'Unsubscribe from email' }, html`<h1>Stop billing email?</h1>
<p class="lead">We will stop sending your statements and reminders by email. They will still come by mail, and you can still pay online.</p>
<form method="post" action="${action}">
<button type="submit">Unsubscribe from email</button>
</form>
<p class="small">Changed your mind? Close this page: nothing changes until you press the button.</p>`);
}

const DONE = messagePage(
  'You are unsubscribed',
  'You will receive no more billing email from us. Your statements will still come by mail. To get email again, call the billing office.',
  { href: '/portal', text: 'Pay your bill online' },
);
const INVALID = messagePage('This link is not valid', 'This unsubscribe link is not valid. To stop billing email, call the billing office.', { href: '/portal', text: 'Go to the portal' });

export function unsubscribeRoutes(deps: PortalPaymentDeps): Router {
  const router = Router();
  const tokenOf = (req: Request): string | undefined => (typeof req.params.token === 'string' ? req.params.token : undefined);

  router.get('/portal/unsubscribe/:token', (req, res) => {
    if (!checkUnsubscribeToken(deps.settings, tokenOf(req)).ok) return send(res, 404, INVALID);
    send(res, 200, unsubscribePage(req.originalUrl.split('?')[0]!));
  });

  router.post('/portal/unsubscribe/:token', form, async (req, res) => {
    const result = await unsubscribeEmail(deps, tokenOf(req));
    if (!result.ok) return send(res, 404, INVALID);
    send(res, 200, DONE);
  });

  return router;
}
