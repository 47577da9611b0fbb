/**
 * Staff sign-in through the practice's identity provider (app/staff-sign-in.ts), the two steps the browser takes:
 *   GET /staff/sign-in/oidc?practice=<external id>  → 303 to the provider (the state in a cookie of this browser)
 *   GET /staff/oidc/callback?code&state&iss          → a server-side session (../session.ts), as the token sign-in's
 * A refused identity gets a page that says why and what to do (403 "Ask your practice admin to invite you", nothing
 * created); a provider that cannot be reached, a 503 page (existing sessions are not touched).
 */
import { Router, type Request, type Response } from 'express';
import type { Db } from '../../db/connection';
import { startStaffSession } from '../../app/staff-sessions';
import { beginSignIn, completeSignIn, IdentityProviderUnavailable, SIGN_IN_TTL_MS, SignInRefused, type RefusalReason } from '../../app/staff-sign-in';
import type { Logger } from '../../lib/logger';
import { signedInPage, signInProblemPage } from './pages';
import { setSessionCookie, setSignInCookie, signInCookieOf, STAFF_SESSION_TTL_MS } from './session';

export interface SignInSettings {
  /** `<PUBLIC_BASE_URL>/staff/oidc/callback`. */
  redirectUri: string;
  idpSecretKey?: string;
  /** The token form is offered (`STAFF_TOKEN_SIGN_IN`). */
  tokenSignIn: boolean;
}

const RETRY_AFTER_SECONDS = 60;

const REFUSALS: Record<RefusalReason, { status: number; title: string; text: (domain?: string) => string }> = {
  unknown: {
    status: 403, title: 'Ask your practice admin to invite you',
    text: () => 'Your identity provider knows you, but no staff member of this practice has this account. Your practice admin can invite you by your work email address; then sign in again.',
  },
  deactivated: {
    status: 403, title: 'Ask your practice admin to invite you',
    text: () => 'Your access to this practice has been ended. If that is a mistake, your practice admin can give it back.',
  },
  domain: {
    status: 403, title: 'This account cannot sign in to this practice',
    text: (domain) => `Only ${domain ? `@${domain}` : "the practice's"} accounts can sign in here. Sign out of your identity provider, then sign in with your work account.`,
  },
  unverified: {
    status: 403, title: 'Your email address is not verified',
    text: () => 'Your identity provider has not verified your email address, so it cannot be matched to a staff member. Verify it there, or ask your practice admin.',
  },
  state: {
    status: 400, title: 'This sign-in has expired',
    text: () => 'It was already used, took longer than 10 minutes, or began in another browser. Start again from the sign-in page.',
  },
  provider: {
    status: 400, title: 'Your identity provider did not sign you in',
    text: () => 'The sign-in was cancelled or refused there. Start again from the sign-in page; if it keeps happening, tell your practice admin.',
  },
  not_configured: {
    status: 404, title: 'This practice does not sign in here',
    text: () => "We do not know that practice's identity provider. Check the link, or ask your practice admin.",
  },
};

export function oidcSignInRoutes(deps: { db: Db; log: Logger; signIn: SignInSettings }): Router {
  const router = Router();
  const signInDeps = { db: deps.db, redirectUri: deps.signIn.redirectUri, ...(deps.signIn.idpSecretKey ? { idpSecretKey: deps.signIn.idpSecretKey } : {}) };
  const page = (res: Response, status: number, body: string) => {
    res.status(status).type('html').send(body);
  };
  const failed = (req: Request, res: Response, err: unknown, practice?: string): void => {
    if (err instanceof SignInRefused) {
      const r = REFUSALS[err.reason];
      return page(res, r.status, signInProblemPage({ title: r.title, text: r.text(err.detail?.allowedEmailDomain), ...(practice ? { practice } : {}) }));
    }
    if (err instanceof IdentityProviderUnavailable) {
      req.log?.warn({ reason: err.message }, 'identity provider unavailable');
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      return page(res, 503, signInProblemPage({
        title: "Your practice's identity provider cannot be reached",
        text: 'Try again in a few minutes. If you are already signed in to payflow in another tab, that session goes on working.',
        ...(practice ? { practice } : {}),
      }));
    }
    throw err;
  };

  router.get('/staff/sign-in/oidc', async (req, res) => {
    const practice = typeof req.query.practice === 'string' ? req.query.practice.trim() : '';
    try {
      const { authorizationUrl, state } = await beginSignIn(signInDeps, practice);
      setSignInCookie(req, res, state, Math.floor(SIGN_IN_TTL_MS / 1000));
      res.redirect(303, authorizationUrl);
    } catch (err) {
      failed(req, res, err, practice || undefined);
    }
  });

  router.get('/staff/oidc/callback', async (req, res) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    // The state cookie has done its job whatever happens next.
    setSignInCookie(req, res, '', 0);
    try {
      const { staff, returnTo } = await completeSignIn(signInDeps, query, signInCookieOf(req));
      const session = await startStaffSession(deps, staff, STAFF_SESSION_TTL_MS, 'oidc');
      setSessionCookie(req, res, session.cookieValue, Math.floor(STAFF_SESSION_TTL_MS / 1000));
      page(res, 200, signedInPage(returnTo));
    } catch (err) {
      failed(req, res, err);
    }
  });
  return router;
}
