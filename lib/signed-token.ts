/**
 * Small signed, expiring tokens: `<base64url(JSON payload)>.<base64url(HMAC-SHA256)>`. Used for the reference the
 * patient carries to the practice's payment page and back, and for the portal's session cookie. Signed, not
 * encrypted: payloads hold ids and amounts, never PHI.
 *
 * Every token is signed for one purpose (the HMAC covers `purpose.payload`), so a token of one kind is never accepted
 * as another. Verification accepts any of the given secrets (rotation) and compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAX_TOKEN_LENGTH = 4096;
const PART = /^[A-Za-z0-9_-]+$/;

function mac(purpose: string, payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`${purpose}.${payload}`).digest();
}

/** Signs `payload` (a JSON object; `exp`, unix seconds, makes it expire) for `purpose`. */
export function signToken(purpose: string, payload: Record<string, unknown>, secret: string): string {
  if (secret.length === 0) throw new TypeError('signToken needs a secret');
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(purpose, body, secret).toString('base64url')}`;
}

export type VerifyTokenResult<T> = { ok: true; payload: T } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/**
 * Checks a token's signature against each secret (no early exit), then its expiry (`exp` in unix seconds, with
 * `graceSeconds` of leeway; a token without `exp` never expires). Returns the payload, unchecked beyond JSON.
 */
export function verifyToken<T = Record<string, unknown>>(
  purpose: string,
  token: string | undefined,
  secrets: readonly string[],
  nowSeconds: number,
  graceSeconds = 0,
): VerifyTokenResult<T> {
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) throw new TypeError('verifyToken needs at least one secret');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const [body, signature, extra] = token.split('.');
  if (extra !== undefined || !body || !signature || !PART.test(body) || !PART.test(signature)) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== 32) return { ok: false, reason: 'malformed' };
  let matched = false;
  for (const secret of secrets) matched = timingSafeEqual(given, mac(purpose, body, secret)) || matched;
  if (!matched) return { ok: false, reason: 'bad_signature' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return { ok: false, reason: 'malformed' };
  const exp = (payload as { exp?: unknown }).exp;
  if (exp !== undefined && (typeof exp !== 'number' || !(nowSeconds <= exp + graceSeconds))) return { ok: false, reason: 'expired' };
  return { ok: true, payload: payload as T };
}

/** A keyed hash for values that must be comparable but never stored in clear (account ids, client addresses). */
export function keyedHash(purpose: string, value: string, secret: string): string {
  return createHmac('sha256', secret).update(`${purpose}.${value}`).digest('hex');
}
