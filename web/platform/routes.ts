/**
 * The platform operator's pages (issue 15), for onboarding a practice from a browser rather than with the JSON API
 * (POST /platform/practices, which stays bearer-only):
 *   GET  /platform           sign-in form without a session; else every practice and the onboarding form
 *   POST /platform/sign-in   form { token } → the session cookie pf_operator (session.ts), 303 to /platform; 401 page
 *   POST /platform/sign-out  form { csrf } → the cookie cleared, 303 to /platform
 *   POST /platform/onboard   the onboarding form → app/practices.ts onboardPractice; 303 to /platform?onboarded=<id>;
 *                            422 (a field refused) and 409 (the EHR practice id is taken) re-render the form
 * Refused tokens count against the app's credential guard (http/credential-limits.ts), as the API's do. Every form
 * post must come from this origin and carry the session's CSRF token; pages are never cached and carry the staff
 * pages' security headers (helmet).
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Db } from '../../db/connection';
import { appErrorOf } from '../../app/errors';
import { onboardPractice, practicesOfPlatform } from '../../app/practices';
import { newPracticeSchema } from '../../contracts/platform';
import { parseDollars } from '../../domain/money';
import { createCredentialGuard, type CredentialGuard } from '../../http/credential-limits';
import { helmetOptions } from '../../http/security-headers';
import { AppError } from '../../lib/errors';
import { matchToken, tokenFingerprint } from '../../lib/token-match';
import { UUID, parseBody } from '../../lib/validate';
import { sameOrigin } from '../staff/session';
import { operatorMessagePage } from './pages/message';
import { ONBOARD_FIELDS, practicesPage, type OnboardField, type OnboardForm } from './pages/practices';
import { operatorSignInPage } from './pages/sign-in';
import { csrfValid, OPERATOR_SESSION_SECONDS, operatorSessionOf, sessionValue, setOperatorCookie, type OperatorSession } from './session';

export interface PlatformPageDeps {
  db: Db;
  idpSecretKey?: string;
  /** PLATFORM_OPERATOR_TOKENS: none → nobody signs in. */
  operatorTokens: readonly string[];
  /** The app's limits on refused tokens, shared with the API's; its own when omitted. */
  credentials?: CredentialGuard;
}

/**
 * helmet as on the staff pages, without a script: Referrer-Policy same-origin, so a browser's form post sends its real
 * Origin (with no-referrer it sends `Origin: null`) for the origin check.
 */
const pageHeaders = helmet({ ...helmetOptions, referrerPolicy: { policy: 'same-origin' } });
const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

const send = (res: Response, status: number, body: string) => {
  res.status(status).type('html').send(body);
};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const now = () => Math.floor(Date.now() / 1000);

/** Where the schema's paths land on the form. */
const FIELD_OF: Record<string, OnboardField> = {
  externalId: 'externalId', name: 'name', timeZone: 'timeZone', paymentPageUrl: 'paymentPageUrl', statementThresholdCents: 'statementThreshold',
  'admin.email': 'adminEmail', 'admin.displayName': 'adminName', 'identityProvider.issuer': 'idpIssuer', 'identityProvider.clientId': 'idpClientId',
  'identityProvider.clientSecret': 'idpClientSecret', 'identityProvider.allowedEmailDomain': 'idpAllowedEmailDomain',
};
const THRESHOLD_PROBLEM = 'must be an amount in dollars of at least 0.01, e.g. 10.00';

/** The form as typed (the client secret is never kept) and the API's body it stands for. */
function readOnboardForm(body: Record<string, unknown>): { values: Record<string, string>; candidate: Record<string, unknown>; thresholdBad: boolean } {
  const values: Record<string, string> = {};
  for (const name of Object.keys(ONBOARD_FIELDS) as OnboardField[]) values[name] = str(body[name]);
  const threshold = values.statementThreshold!.trim();
  const cents = threshold === '' ? undefined : parseDollars(threshold);
  const idpGiven = [values.idpIssuer, values.idpClientId, values.idpClientSecret, values.idpAllowedEmailDomain].some((v) => v!.trim() !== '');
  const candidate = {
    externalId: values.externalId, name: values.name, timeZone: values.timeZone!.trim(), paymentPageUrl: values.paymentPageUrl!.trim(),
    ...(cents === undefined ? {} : { statementThresholdCents: cents }),
    admin: { email: values.adminEmail!.trim(), displayName: values.adminName },
    ...(idpGiven ? {
      identityProvider: {
        issuer: values.idpIssuer!.trim(), clientId: values.idpClientId, clientSecret: values.idpClientSecret, allowedEmailDomain: values.idpAllowedEmailDomain,
      },
    } : {}),
  };
  delete values.idpClientSecret;
  return { values, candidate, thresholdBad: threshold !== '' && cents === undefined };
}

export function platformPages(deps: PlatformPageDeps): Router {
  const router = Router();
  const credentials = deps.credentials ?? createCredentialGuard();
  // A post without a form body (or with another kind) reads as an empty form: the form's own answer, never a 500.
  const urlencoded = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
  const form: RequestHandler = (req, res, next) => urlencoded(req, res, (err?: unknown) => {
    if (err) return next(err);
    req.body ??= {};
    next();
  });
  const page = [pageHeaders, noStore];
  const sessionOf = (req: Request) => operatorSessionOf(req, deps.operatorTokens, now());
  const expired = (res: Response, session?: OperatorSession) => send(res, 403, operatorMessagePage({
    title: 'This form has expired', text: 'For your security, forms only work from the page that showed them. Go back, reload the page and try again.',
    ...(session ? { csrf: session.csrf } : {}),
  }));

  const listPage = async (res: Response, status: number, session: OperatorSession, o: { notice?: string; form?: OnboardForm } = {}) => {
    send(res, status, practicesPage({ practices: await practicesOfPlatform(deps), csrf: session.csrf, ...o }));
  };

  router.get('/platform', ...page, async (req, res) => {
    const session = sessionOf(req);
    if (!session) return send(res, 200, operatorSignInPage({ signedOut: req.query['signed-out'] === '1' }));
    const onboarded = typeof req.query.onboarded === 'string' && UUID.test(req.query.onboarded) ? req.query.onboarded.toLowerCase() : undefined;
    const practices = await practicesOfPlatform(deps);
    const practice = onboarded ? practices.find((p) => p.practiceId === onboarded) : undefined;
    const notice = practice
      ? `${practice.name} is onboarded; its first admin is invited and signs in with the practice's identity provider.`
      : undefined;
    send(res, 200, practicesPage({ practices, csrf: session.csrf, ...(notice ? { notice } : {}) }));
  });

  router.post('/platform/sign-in', ...page, form, async (req, res) => {
    if (!sameOrigin(req)) return expired(res);
    const given = str((req.body as Record<string, unknown>).token);
    // Counted before the comparison, given back when accepted: parallel guesses cannot pass the limit.
    const wait = given === '' ? undefined : await credentials.attempt(req, given);
    if (wait !== undefined) {
      res.set('Retry-After', String(wait));
      return send(res, 429, operatorSignInPage({ problem: `Too many sign-in attempts from here. Try again in ${Math.ceil(wait / 60)} minute(s).` }));
    }
    const token = given !== '' && given.length <= 200 ? matchToken(deps.operatorTokens, given) : undefined;
    if (!token) return send(res, 401, operatorSignInPage({ problem: 'That is not a platform operator token.' }));
    await credentials.accepted(req, token);
    res.locals.logFields = { ...(res.locals.logFields as object), operator: tokenFingerprint(token) };
    setOperatorCookie(req, res, sessionValue(token, now()), OPERATOR_SESSION_SECONDS);
    res.redirect(303, '/platform');
  });

  router.post('/platform/sign-out', ...page, form, (req, res) => {
    const session = sessionOf(req);
    if (session && !(sameOrigin(req) && csrfValid(req, session))) return expired(res, session);
    setOperatorCookie(req, res, '', 0);
    res.redirect(303, '/platform?signed-out=1');
  });

  router.post('/platform/onboard', ...page, form, async (req, res) => {
    const session = sessionOf(req);
    if (!session) return res.redirect(303, '/platform');
    if (!(sameOrigin(req) && csrfValid(req, session))) return expired(res, session);
    res.locals.logFields = { ...(res.locals.logFields as object), operator: session.fingerprint };
    const { values, candidate, thresholdBad } = readOnboardForm(req.body as Record<string, unknown>);
    const errors: Record<string, string> = thresholdBad ? { statementThreshold: THRESHOLD_PROBLEM } : {};
    try {
      const body = parseBody(newPracticeSchema, candidate);
      if (thresholdBad) return await listPage(res, 422, session, { form: { values, errors } });
      const { practiceId } = await onboardPractice(deps, { fingerprint: session.fingerprint }, body);
      res.redirect(303, `/platform?onboarded=${practiceId}`);
    } catch (err) {
      const problem = appErrorOf(err);
      if (!(problem instanceof AppError) || (problem.status !== 422 && problem.status !== 409)) throw err;
      if (problem.status === 409) {
        return listPage(res, 409, session, { form: { values, errors, problem: 'A practice with this EHR practice id is already on the platform.' } });
      }
      for (const f of problem.fields ?? []) {
        const name = FIELD_OF[f.field] ?? (f.field.startsWith('identityProvider') ? 'idpIssuer' : 'externalId');
        errors[name] ??= name === 'statementThreshold' ? THRESHOLD_PROBLEM : f.reason;
      }
      return listPage(res, 422, session, { form: { values, errors } });
    }
  });
  return router;
}
