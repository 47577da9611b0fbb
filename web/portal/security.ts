/**
 * The portal's HTTP security mechanics: cookies, CSRF tokens and the session cookie. The lookup itself (counted before
 * it is compared, with equal work on every failure path) and the sessions kept in PostgreSQL are app/portal-sessions.ts.
 *
 * Two CSRF tokens: the sign-in form, which has no session yet, uses a signed double submit of the `pf_csrf` cookie
 * (login CSRF); every form of a signed-in patient posts the session's own random token, kept with the server-side
 * session, so a token (and cookie) from any other browser or session is refused, and signing out ends both.
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { endPortalSessionOf, portalSessionOf, type PortalDeps, type SignedIn } from '../../app/portal-sessions';
import { keyedHash } from '../../lib/signed-token';
import type { StatementsSettings } from '../../app/statements-settings';

export type { SignedIn };

export const CSRF_COOKIE = 'pf_csrf';
export const SESSION_COOKIE = 'pf_session';
const COOKIE_PATH = '/portal';

/** Secure cookies everywhere but on a local development address (plain http on this machine). */
export function secureCookies(publicBaseUrl: string): boolean {
  const url = new URL(publicBaseUrl);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return url.protocol === 'https:' || !local;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(name in out)) out[name] = value; // the first one wins (the most specific path, per RFC 6265)
  }
  return out;
}

function setCookie(res: Response, s: StatementsSettings, name: string, value: string, maxAgeSeconds: number | undefined): void {
  const attrs = [`${name}=${value}`, `Path=${COOKIE_PATH}`, 'HttpOnly', 'SameSite=Lax'];
  if (maxAgeSeconds !== undefined) attrs.push(`Max-Age=${maxAgeSeconds}`);
  if (secureCookies(s.publicBaseUrl)) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}

// ── CSRF of the sign-in form: a random cookie, and a form token that is its HMAC (signed double submit) ──
const CSRF_VALUE = /^[A-Za-z0-9_-]{43}$/;
const FORM_TOKEN = /^[0-9a-f]{64}$/;

export const csrfTokenFor = (cookieValue: string, secret: string) => keyedHash('csrf', cookieValue, secret);

/** The sign-in form's token for this browser; sets the CSRF cookie first if it has none. */
export function ensureCsrf(req: Request, res: Response, s: StatementsSettings): string {
  let value = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  if (!value || !CSRF_VALUE.test(value)) {
    value = randomBytes(32).toString('base64url');
    setCookie(res, s, CSRF_COOKIE, value, undefined); // a browser-session cookie
  }
  return csrfTokenFor(value, s.portalSecret);
}

const postedToken = (req: Request): string | undefined => {
  const given = (req.body as Record<string, unknown> | undefined)?.csrf;
  return typeof given === 'string' && FORM_TOKEN.test(given) ? given : undefined;
};
const sameToken = (given: string, expected: string) => timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'));

/** The posted sign-in form token matches the cookie's (constant time). */
export function csrfValid(req: Request, s: StatementsSettings): boolean {
  const value = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  const given = postedToken(req);
  if (!value || !CSRF_VALUE.test(value) || !given) return false;
  return sameToken(given, csrfTokenFor(value, s.portalSecret));
}

/** The posted form token is this session's own (constant time): forms of a signed-in patient. */
export function sessionCsrfValid(req: Request, session: SignedIn): boolean {
  const given = postedToken(req);
  return given !== undefined && FORM_TOKEN.test(session.csrfToken) && sameToken(given, session.csrfToken);
}

/** The sign-in form token of the request's CSRF cookie (it has been checked). */
export function csrfOf(req: Request, s: StatementsSettings): string {
  return csrfTokenFor(parseCookies(req.headers.cookie)[CSRF_COOKIE] ?? '', s.portalSecret);
}

// ── the session: kept in PostgreSQL (app/portal-sessions.ts), the cookie holds a random value; it ends after sessionTtlMs or at sign-out ──

/** Signs the patient in on this response: the cookie of the session a successful lookup started. */
export function startSession(res: Response, s: StatementsSettings, cookieValue: string): void {
  setCookie(res, s, SESSION_COOKIE, cookieValue, Math.floor(s.sessionTtlMs / 1000));
}

/** Clears the cookie; with `deps`, ends the session on the server too (sign-out), so a copy of the cookie stops working. */
export async function endSession(res: Response, s: StatementsSettings, end?: { deps: PortalDeps; req: Request }): Promise<void> {
  const token = end && parseCookies(end.req.headers.cookie)[SESSION_COOKIE];
  if (end && token) await endPortalSessionOf(end.deps, token);
  setCookie(res, s, SESSION_COOKIE, '', 0);
}

/** 'none': no session cookie; 'expired': one that is no longer valid (expired, signed out, or made up). */
export async function readSession(deps: PortalDeps, req: Request): Promise<SignedIn | 'none' | 'expired'> {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!token) return 'none';
  return (await portalSessionOf(deps, token)) ?? 'expired';
}

/** A 303 to `location`, never cached (the portal's redirects after a form or a missing session). */
export const seeOther = (res: Response, location: string) => res.status(303).set('Cache-Control', 'no-store').location(location).end();

/**
 * The signed-in patient's session, or (answered here) a redirect to the sign-in page, saying why when the session ran
 * out: every signed-in portal page starts with it.
 */
export async function signedInOrRedirect(deps: PortalDeps & { settings: StatementsSettings }, req: Request, res: Response): Promise<SignedIn | undefined> {
  const session = await readSession(deps, req);
  if (typeof session === 'object') return session;
  if (session === 'expired') await endSession(res, deps.settings);
  seeOther(res, session === 'expired' ? '/portal?notice=expired' : '/portal');
  return undefined;
}

/** An HTML page with its status, never cached (the portal's pages answer with it); `headers`: e.g. a page reached by a signed link sends no Referer on. */
export function sendPage(res: Response, status: number, body: string, headers: Record<string, string> = {}): void {
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers }).send(body);
}

// ── what the patient typed ──
/** Account ids as typed: case, spaces and dashes do not matter, and the misreadable I, L, O read as 1, 1, 0. */
export function normaliseAccountId(text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** Any date a patient types for their birthday: YYYY-MM-DD (the date input) or MM/DD/YYYY. */
export function normaliseDateOfBirth(text: string): string | undefined {
  const t = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  const us = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : us ? [us[3], us[1]!.padStart(2, '0'), us[2]!.padStart(2, '0')] : [];
  if (!y || !m || !d) return undefined;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) return undefined;
  if (Number(y) < 1900 || date.getTime() > Date.now()) return undefined;
  return `${y}-${m}-${d}`;
}

/** The browser's current session cookie, if any (ended when the same browser signs in again). */
export const sessionCookieOf = (req: Request): string | undefined => parseCookies(req.headers.cookie)[SESSION_COOKIE];
