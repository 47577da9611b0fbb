/**
 * The signed-in patient's cards on file (issue 18; docs/card-on-file-and-plans.md):
 *   GET  /portal/card-on-file                        their authorisations (card, cap, scope, notice channel, status, charged so far)
 *   POST /portal/card-on-file/:authorisationId/revoke   revokes one of their own (actor patient:<id>, via portal, audited;
 *                                                    app/card-on-file-pages.ts revokeByPatient); anyone else's: 404;
 *                                                    the session's CSRF token
 */
import express, { Router, type Request, type Response } from 'express';
import { preferencesOf } from '../../app/channel-consents';
import { portalAuthorisationsOf, revokeByPatient } from '../../app/card-on-file-pages';
import type { PortalPaymentDeps } from '../../app/portal-payments';
import { AppError } from '../../lib/errors';
import { messagePage } from './pages';
import { cardOnFilePage } from './pages/card-on-file';
import { seeOther, sendPage, sessionCsrfValid, signedInOrRedirect } from './security';

const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });

const send = (res: Response, status: number, body: string) => sendPage(res, status, body);

export function cardOnFileRoutes(deps: PortalPaymentDeps): Router {
  const router = Router();

  const signedIn = (req: Request, res: Response) => signedInOrRedirect(deps, req, res);

  router.get('/portal/card-on-file', async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    const p = await preferencesOf(deps.db, session.patientId);
    if (!p) return seeOther(res, '/portal');
    const { timeZone, authorisations: cards } = await portalAuthorisationsOf(deps, session.patientId);
    send(res, 200, cardOnFilePage({ csrf: session.csrfToken, practiceName: p.practiceName, firstName: p.firstName, timeZone, cards, revoked: req.query.revoked === '1' }));
  });

  router.post('/portal/card-on-file/:authorisationId/revoke', form, async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    if (!sessionCsrfValid(req, session)) {
      return send(res, 403, messagePage('This form has expired', 'For your security, forms expire. Please open the page again and try again.', { href: '/portal/card-on-file', text: 'Open it again' }));
    }
    try {
      await revokeByPatient(deps, session.patientId, req.params.authorisationId);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) {
        return send(res, 404, messagePage('Not found', 'There is no such card on file on your account.', { href: '/portal/card-on-file', text: 'Your card on file' }));
      }
      throw err;
    }
    seeOther(res, '/portal/card-on-file?revoked=1');
  });

  return router;
}
