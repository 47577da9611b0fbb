/**
 * The platform operator's page session (issue 15): after the operator signs in with one of PLATFORM_OPERATOR_TOKENS,
 * the cookie pf_operator holds `<expires unix seconds>.<HMAC keyed by that token>` (as the codec's engineer session,
 * api/routes/codec.ts): nothing is stored server-side, and removing the token from the config ends its sessions.
 * HttpOnly, SameSite=Strict, Path=/platform, Secure except on plain http to this machine, 1 hour. Every form carries a
 * CSRF token tied to the session: an HMAC of the cookie's value, keyed by the same token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { tokenFingerprint } from '../../lib/token-match';

export const OPERATOR_COOKIE = 'pf_operator';
export const OPERATOR_SESSION_SECONDS = 3600;
const COOKIE_PATH = '/platform';
const VALUE = /^(\d{10,12})\.([0-9a-f]{64})$/;

export interface OperatorSession {
  /** lib/token-match.ts's fingerprint of the token signed in with, never the token. */
  fingerprint: string;
  /** The CSRF token every form of this session carries. */
  csrf: string;
}

const sessionMac = (token: string, expires: number) => createHmac('sha256', token).update(`payflow-operator-session.v1.${expires}`).digest('hex');
const csrfOf = (token: string, value: string) => createHmac('sha256', token).update(`payflow-operator-csrf.v1.${value}`).digest('base64url');
const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

export function sessionValue(token: string, nowSeconds: number): string {
  const expires = nowSeconds + OPERATOR_SESSION_SECONDS;
  return `${expires}.${sessionMac(token, expires)}`;
}

function cookieOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === OPERATOR_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** The session of this request, if its cookie is signed by a token still configured and has not expired. */
export function operatorSessionOf(req: Request, tokens: readonly string[], nowSeconds: number): OperatorSession | undefined {
  const value = cookieOf(req);
  const m = VALUE.exec(value ?? '');
  if (!m || !value) return undefined;
  const expires = Number(m[1]);
  if (expires <= nowSeconds) return undefined;
  const given = Buffer.from(m[2]!, 'hex');
  let found: string | undefined;
  // Every configured token is compared, whichever matches.
  for (const t of tokens) if (sameBytes(Buffer.from(sessionMac(t, expires), 'hex'), given)) found ??= t;
  return found === undefined ? undefined : { fingerprint: tokenFingerprint(found), csrf: csrfOf(found, value) };
}

/** The form's CSRF token is the session's. */
export function csrfValid(req: Request, session: OperatorSession): boolean {
  const given = (req.body as Record<string, unknown> | undefined)?.csrf;
  return typeof given === 'string' && sameBytes(Buffer.from(given), Buffer.from(session.csrf));
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
/** Secure, except on plain http to this machine (the local stack and the tests). */
const secureCookie = (req: Request) => req.secure || !LOCAL_HOSTS.has(req.hostname);

export function setOperatorCookie(req: Request, res: Response, value: string, maxAgeSeconds: number): void {
  const attrs = [`${OPERATOR_COOKIE}=${value}`, `Path=${COOKIE_PATH}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (secureCookie(req)) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}
