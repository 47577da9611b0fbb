/**
 * The portal's security mechanics: cookies, the client address, the keyed hashes under which accounts and clients are
 * counted, and the lookup itself (counted before it is compared, with equal work on every failure path).
 *
 * Two CSRF tokens: the sign-in form, which has no session yet, uses a signed double submit of the `pf_csrf` cookie
 * (login CSRF); every form of a signed-in patient posts the session's own random token, kept with the server-side
 * session, so a token (and cookie) from any other browser or session is refused, and signing out ends both.
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Db } from '../../db/connection';
import {
  auditLookupLock, countLookup, endPortalSession, patientByAccountId, portalSession, recordLookupSuccess, type LookupFailureReason,
} from '../../db/queries/portal';
import { keyedHash } from '../../lib/signed-token';
import type { StatementsSettings } from './settings';

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

// ── the session: kept in PostgreSQL, the cookie holds a random value; it ends after sessionTtlMs or at sign-out ──
export interface SignedIn { patientId: string; csrfToken: string }

/** Signs the patient in on this response: the cookie of the session a successful lookup started. */
export function startSession(res: Response, s: StatementsSettings, cookieValue: string): void {
  setCookie(res, s, SESSION_COOKIE, cookieValue, Math.floor(s.sessionTtlMs / 1000));
}

/** Clears the cookie; with `db`, ends the session on the server too (sign-out), so a copy of the cookie stops working. */
export async function endSession(res: Response, s: StatementsSettings, end?: { db: Db; req: Request }): Promise<void> {
  const token = end && parseCookies(end.req.headers.cookie)[SESSION_COOKIE];
  if (end && token) await endPortalSession(end.db, token);
  setCookie(res, s, SESSION_COOKIE, '', 0);
}

/** 'none': no session cookie; 'expired': one that is no longer valid (expired, signed out, or made up). */
export async function readSession(db: Db, req: Request): Promise<SignedIn | 'none' | 'expired'> {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!token) return 'none';
  return (await portalSession(db, token)) ?? 'expired';
}

// ── who is asking ──
/** The client's address: the connection's, or the n-th X-Forwarded-For entry from the right behind n trusted proxies. */
export function clientAddress(req: Request, trustedProxyHops: number): string {
  const direct = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxyHops <= 0) return direct;
  const chain = String(req.headers['x-forwarded-for'] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return chain[chain.length - trustedProxyHops] ?? chain[0] ?? direct;
}

// ── the lookup ──
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

/** Compared instead of a missing patient's date of birth, so an unknown account does the same work. */
const NO_DATE_OF_BIRTH = '0000-00-00';

export type LookupResult = { ok: true; patientId: string; sessionCookie: string } | { ok: false; reason: LookupFailureReason };

/**
 * The lookup. First it is counted (client, then account, one statement under their rows' locks; beside it, the read
 * of the patient by account id); a lookup refused there ends there, its date of birth never compared. Otherwise a
 * keyed-hash comparison of the date of birth (with a stand-in value when the account is unknown). A failure writes
 * nothing more, unless it locked its account or client (one audit row per lock); a success starts a server-side
 * session and is audited. Every kind of failure does the same work.
 */
export async function lookUp(
  db: Db,
  s: StatementsSettings,
  input: { accountId: string; dateOfBirth: string; clientAddress: string; previousSession?: string },
): Promise<LookupResult> {
  const accountKey = keyedHash('account', input.accountId, s.portalSecret);
  const clientKey = keyedHash('client', input.clientAddress, s.portalSecret);
  const limits = { maxFailuresPerAccount: s.maxFailuresPerAccount, maxFailuresPerClient: s.maxFailuresPerClient, lockoutMs: s.lockoutMs };
  const [counted, patient] = await Promise.all([countLookup(db, { accountKey, clientKey, limits }), patientByAccountId(db, input.accountId)]);
  // A lookup that reached a limit locked its key (the client's limit is reached exactly at its count).
  const client = { attempts: s.maxFailuresPerClient };
  if (!counted.admitted) {
    if (counted.clientLockedNow) await auditLookupLock(db, { accountKey, clientKey, client, lockoutMs: s.lockoutMs }); // then refused by a locked account
    return { ok: false, reason: counted.refusedBy === 'client' ? 'client_locked' : 'account_locked' };
  }

  const given = Buffer.from(keyedHash('dob', input.dateOfBirth, s.portalSecret), 'hex');
  const expected = Buffer.from(keyedHash('dob', patient?.date_of_birth ?? NO_DATE_OF_BIRTH, s.portalSecret), 'hex');
  if (timingSafeEqual(given, expected) && patient) {
    const session = await recordLookupSuccess(db, {
      accountKey, clientKey, patientId: patient.id, practiceId: patient.practice_id, clientLockedNow: counted.clientLockedNow,
      sessionTtlMs: s.sessionTtlMs, previousSession: input.previousSession,
    });
    return { ok: true, patientId: patient.id, sessionCookie: session.cookieValue };
  }
  if (counted.accountLockedNow || counted.clientLockedNow) {
    await auditLookupLock(db, {
      accountKey, clientKey, lockoutMs: s.lockoutMs,
      account: counted.accountLockedNow ? { attempts: counted.accountAttempts } : undefined, client: counted.clientLockedNow ? client : undefined,
    });
  }
  return { ok: false, reason: patient ? 'wrong_date_of_birth' : 'unknown_account' };
}

/** The browser's current session cookie, if any (ended when the same browser signs in again). */
export const sessionCookieOf = (req: Request): string | undefined => parseCookies(req.headers.cookie)[SESSION_COOKIE];
