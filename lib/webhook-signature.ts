/**
 * Webhook signatures: HMAC-SHA256 over `${timestamp}.${rawBody}` (timestamp in unix seconds), sent as
 *
 *     Payflow-Signature: t=1795830600,v1=5f1c…,v1=9ab2…
 *
 * A sender may sign with several secrets while a secret is being rotated (one `v1` per secret); the receiver
 * accepts the request if ANY `v1` matches ANY of its configured secrets, so old and new secrets overlap without
 * downtime. The timestamp is part of what is signed and must be within ±tolerance of the receiver's clock, which
 * bounds replays (deduplication by event id does the rest).
 *
 * Comparisons are constant-time (crypto.timingSafeEqual on equal-length buffers) and every candidate signature is
 * compared with every secret, with no early exit, so timing reveals neither which secret matched nor how much of
 * a forged signature was right. Nothing here logs or echoes the body.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Payflow-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type VerifyFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

/** Headers longer than this, or with more signatures than this, are refused as malformed (cheap DoS guard). */
const MAX_HEADER_LENGTH = 4096;
const MAX_SIGNATURES = 16;
const TIMESTAMP = /^\d{1,12}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

function hmac(timestamp: number, rawBody: string | Buffer, secret: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/**
 * The `Payflow-Signature` header value for `rawBody` (the exact bytes that will be sent) at `nowSeconds`.
 * Pass several secrets during a rotation: the header then carries one `v1` per secret.
 */
export function signWebhook(rawBody: string | Buffer, secret: string | readonly string[], nowSeconds: number): string {
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds < 0) throw new RangeError('nowSeconds must be a non-negative integer (unix seconds)');
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) throw new TypeError('signWebhook needs at least one non-empty secret');
  return [`t=${nowSeconds}`, ...secrets.map((s) => `v1=${hmac(nowSeconds, rawBody, s).toString('hex')}`)].join(',');
}

function parseHeader(header: string): { timestamp: number; signatures: Buffer[] } | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, a future v2) are ignored, so senders can add one before receivers understand it.
  }
  if (timestamp === undefined || signatures.length === 0 || signatures.length > MAX_SIGNATURES) return undefined;
  return { timestamp, signatures };
}

/**
 * Checks a `Payflow-Signature` header against the raw request body. Order of checks: header present, well formed,
 * timestamp within ±toleranceSeconds of `nowSeconds`, then the signatures.
 * Throws (a configuration error, not a bad request) when no secret is configured.
 */
export function verifyWebhook(
  header: string | undefined,
  rawBody: Buffer | string,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): VerifyResult {
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) throw new TypeError('verifyWebhook needs at least one non-empty secret');
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };

  const expected = secrets.map((s) => hmac(parsed.timestamp, rawBody, s));
  let matched = false;
  for (const given of parsed.signatures) {
    for (const want of expected) {
      // Both are 32 bytes (the header pattern guarantees it), so timingSafeEqual never throws here.
      matched = timingSafeEqual(given, want) || matched;
    }
  }
  return matched ? { ok: true } : { ok: false, reason: 'mismatch' };
}
