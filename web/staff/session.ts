/**
 * Staff page sessions: sign-in takes the staff token once and turns it into a server-side session (the token itself is
 * never stored or put in a URL). The cookie `pf_staff` is HttpOnly, SameSite=Strict, Path=/staff, Secure everywhere but
 * on a local address, and expires with the session (8 hours).
 *
 * CSRF, for every cookie-authenticated form: the session's random token must come back in the form (synchronizer token,
 * compared in constant time), and a browser's Origin (or Referer) must be this host. SameSite=Strict is a third line.
 * The portal's CSRF helpers (web/portal/security.ts) are a signed double submit for sessionless pages under /portal;
 * staff sessions live in PostgreSQL, so the token is simply kept with the session.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Db } from '../../db/connection';
import { staffSessionOf, type StaffSession } from '../../app/staff-sessions';

export const STAFF_COOKIE = 'pf_staff';
export const STAFF_SESSION_TTL_MS = 8 * 60 * 60_000;

declare module 'http' {
  interface IncomingMessage {
    staffSession?: StaffSession;
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
/** Secure cookies, except on plain http to this machine (the local stack and tests). */
const secureCookie = (req: Request) => req.secure || !LOCAL_HOSTS.has(req.hostname);

export function setSessionCookie(req: Request, res: Response, value: string, maxAgeSeconds: number): void {
  const attrs = [`${STAFF_COOKIE}=${value}`, 'Path=/staff', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (secureCookie(req)) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}

export function endSessionCookie(req: Request, res: Response): void {
  setSessionCookie(req, res, '', 0);
}

export const sessionCookieOf = (req: Request): string | undefined => parseCookies(req.headers.cookie)[STAFF_COOKIE];

/**
 * A sign-in through the identity provider: its state, in a cookie of the browser that started it, compared at the
 * callback (login CSRF). SameSite=Lax, not Strict: the callback is a top-level navigation from the provider's site.
 * Only on the callback's path; gone after 10 minutes or at the callback.
 */
export const SIGN_IN_COOKIE = 'pf_staff_signin';
const SIGN_IN_COOKIE_PATH = '/staff/oidc';
export function setSignInCookie(req: Request, res: Response, state: string, maxAgeSeconds: number): void {
  const attrs = [`${SIGN_IN_COOKIE}=${state}`, `Path=${SIGN_IN_COOKIE_PATH}`, 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (secureCookie(req)) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}
export const signInCookieOf = (req: Request): string | undefined => parseCookies(req.headers.cookie)[SIGN_IN_COOKIE];

/** Loads the session (if any) into req.staff / req.staffSession. */
export function loadSession(db: Db): RequestHandler {
  return async (req, _res, next) => {
    const value = sessionCookieOf(req);
    const session = value ? await staffSessionOf({ db }, value) : undefined;
    if (session) {
      req.staffSession = session;
      req.staff = session.staff;
    }
    next();
  };
}

/** Pages need a signed-in staff member: otherwise to the sign-in page (a 303, so a form POST becomes a GET). */
export function requireSession(req: Request, res: Response, next: NextFunction): void {
  if (!req.staffSession) {
    res.redirect(303, '/staff/sign-in');
    return;
  }
  next();
}

/** The request came from one of our pages: Origin (or, without it, Referer) names this host. Absent both: allowed. */
export function sameOrigin(req: Request): boolean {
  const source = req.get('origin') ?? req.get('referer');
  if (!source || source === 'null') return source === undefined;
  try {
    return new URL(source).host === req.get('host');
  } catch {
    return false;
  }
}

/** The form's CSRF token is the session's. */
export function csrfValid(req: Request): boolean {
  const given = (req.body as Record<string, unknown> | undefined)?.csrf;
  const expected = req.staffSession?.csrfToken;
  if (typeof given !== 'string' || !expected || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
