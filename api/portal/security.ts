/**
 * The portal's security mechanics: cookies (a signed double-submit CSRF cookie, a signed session cookie that expires),
 * the client address, the keyed hashes under which accounts and clients are counted, and the lookup itself with
 * equal work on every failure path.
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Db } from '../../db/connection';
import {
  accountLockKey, clientLockKey, lockedKeys, patientByAccountId, recordLookupFailure, recordLookupSuccess, type LookupFailureReason,
} from '../../db/queries/portal';
import { keyedHash, signToken, verifyToken } from '../../lib/signed-token';
import type { StatementsSettings } from './settings';

export const CSRF_COOKIE = 'pf_csrf';
export const SESSION_COOKIE = 'pf_session';
const SESSION_PURPOSE = 'payflow.portal-session.v1';
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

// ── CSRF: a random cookie, and a form token that is its HMAC (signed double submit) ──
const CSRF_VALUE = /^[A-Za-z0-9_-]{43}$/;

export const csrfTokenFor = (cookieValue: string, secret: string) => keyedHash('csrf', cookieValue, secret);

/** The form token for this browser; sets the CSRF cookie first if it has none. */
export function ensureCsrf(req: Request, res: Response, s: StatementsSettings): string {
  let value = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  if (!value || !CSRF_VALUE.test(value)) {
    value = randomBytes(32).toString('base64url');
    setCookie(res, s, CSRF_COOKIE, value, undefined); // a browser-session cookie
  }
  return csrfTokenFor(value, s.portalSecret);
}

/** The posted form token matches the cookie's (constant time). */
export function csrfValid(req: Request, s: StatementsSettings): boolean {
  const value = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  const given = (req.body as Record<string, unknown> | undefined)?.csrf;
  if (!value || !CSRF_VALUE.test(value) || typeof given !== 'string' || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(csrfTokenFor(value, s.portalSecret), 'hex'));
}

/** The form token of the request's CSRF cookie (it has been checked). */
export function csrfOf(req: Request, s: StatementsSettings): string {
  return csrfTokenFor(parseCookies(req.headers.cookie)[CSRF_COOKIE] ?? '', s.portalSecret);
}

// ── the session: a signed cookie naming the patient, expiring after sessionTtlMs ──
export function startSession(res: Response, s: StatementsSettings, patientId: string): void {
  const exp = Math.floor((Date.now() + s.sessionTtlMs) / 1000);
  setCookie(res, s, SESSION_COOKIE, signToken(SESSION_PURPOSE, { p: patientId, exp }, s.portalSecret), Math.floor(s.sessionTtlMs / 1000));
}

export function endSession(res: Response, s: StatementsSettings): void {
  setCookie(res, s, SESSION_COOKIE, '', 0);
}

/** 'none': no session cookie; 'expired': one that is no longer valid (expired or tampered with). */
export function readSession(req: Request, s: StatementsSettings): { patientId: string } | 'none' | 'expired' {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!token) return 'none';
  const result = verifyToken<{ p?: unknown }>(SESSION_PURPOSE, token, [s.portalSecret], Math.floor(Date.now() / 1000));
  if (!result.ok || typeof result.payload.p !== 'string') return 'expired';
  return { patientId: result.payload.p };
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

export type LookupResult = { ok: true; patientId: string } | { ok: false; reason: LookupFailureReason };

/**
 * The lookup, with the same work on every failure path: one read of the patient by account id, one read of the lock
 * state (account and client together), a keyed-hash comparison of the date of birth (with a stand-in value when the
 * account is unknown), then one transaction that records the failure, counts, may lock, and audits.
 */
export async function lookUp(
  db: Db,
  s: StatementsSettings,
  input: { accountId: string; dateOfBirth: string; clientAddress: string },
): Promise<LookupResult> {
  const accountKey = keyedHash('account', input.accountId, s.portalSecret);
  const clientKey = keyedHash('client', input.clientAddress, s.portalSecret);
  const [patient, locked] = await Promise.all([
    patientByAccountId(db, input.accountId),
    lockedKeys(db, [accountLockKey(accountKey), clientLockKey(clientKey)]),
  ]);
  const given = Buffer.from(keyedHash('dob', input.dateOfBirth, s.portalSecret), 'hex');
  const expected = Buffer.from(keyedHash('dob', patient?.date_of_birth ?? NO_DATE_OF_BIRTH, s.portalSecret), 'hex');
  const dobMatches = timingSafeEqual(given, expected) && patient !== undefined;
  const accountLocked = locked.has(accountLockKey(accountKey));
  const clientLocked = locked.has(clientLockKey(clientKey));

  if (patient && dobMatches && !accountLocked && !clientLocked) {
    await recordLookupSuccess(db, { accountKey, clientKey, patientId: patient.id, practiceId: patient.practice_id });
    return { ok: true, patientId: patient.id };
  }
  const reason: LookupFailureReason = clientLocked ? 'client_locked' : accountLocked ? 'account_locked' : patient ? 'wrong_date_of_birth' : 'unknown_account';
  await recordLookupFailure(db, {
    accountKey, clientKey, reason,
    limits: { maxFailuresPerAccount: s.maxFailuresPerAccount, maxFailuresPerClient: s.maxFailuresPerClient, lockoutMs: s.lockoutMs },
  });
  return { ok: false, reason };
}
