/**
 * What a secret must look like in production (NODE_ENV=production; lib/config.ts applies it to every secret
 * variable, docs/operations.md documents it). Every value printed in this repository is public: the defaults, the
 * compose file's, the tests'. Rules, for each secret (each entry of a list):
 *   1. at least 32 characters;
 *   2. not a publicly known value (PUBLIC_SECRETS);
 *   3. not a placeholder: no `dev-` prefix and, ignoring case and punctuation, none of PLACEHOLDER_WORDS
 *      (change-me, example, secret, password…);
 *   4. random-looking: at least 2.5 bits per character by the Shannon estimate over its own characters (repeats
 *      like "abababab…" have 1), no run of 8 characters that repeat or step by one ("aaaaaaaa", "12345678",
 *      "abcdefgh"), no stretch of 8 characters that occurs twice ("Summer2026!Summer2026!…").
 * Generated values pass: none of a million draws failed, of `openssl rand -base64 32` (44 characters, 4.2 bits each
 * at the lowest) nor of 32 random hex characters (`openssl rand -hex 16`, 2.7 bits at the lowest).
 * Payload keys (32 bytes each): not the bytes of a public key, whatever their id; no `dev-` id; at least 16 distinct
 * byte values (a random key has about 30). Messages name the rule, never the value.
 */
import { createHash } from 'node:crypto';

export const MIN_SECRET_LENGTH = 32;
const MIN_BITS_PER_CHAR = 2.5;
const MAX_RUN = 7;
const STRETCH = 8;
const MIN_DISTINCT_KEY_BYTES = 16;
const GENERATE = 'generate one with: openssl rand -base64 32';

/** Words of a value someone typed instead of generating, compared without case and punctuation. */
export const PLACEHOLDER_WORDS = ['changeme', 'replaceme', 'example', 'sample', 'placeholder', 'secret', 'password', 'passwd', 'insecure', 'notforproduction', 'default'];

/** Every secret this repository has printed: defaults, docs, the compose file (old and demo values), tests, benchmark, demo. */
export const PUBLIC_SECRETS: readonly string[] = [
  'dev-ehr-webhook-secret', 'dev-clearinghouse-webhook-secret', 'dev-engineer-codec-token', 'dev-portal-secret-not-for-production',
  'dev-payment-link-secret', 'dev-ehr-secret', 'dev-clearinghouse-secret', 'dev-api-token-pepper-not-for-production', 'dev-idp-secret-key-not-for-production',
  'dev-idp-demo-client-secret', 'dev-pay-link-secret-not-for-production', 'dev-platform-operator-token', 'compose-platform-operator-token-change-me', 'compose-idp-secret-key-change-me',
  'compose-ehr-webhook-secret-change-me', 'compose-clearinghouse-webhook-secret-change-me', 'compose-engineer-codec-token-change-me',
  'compose-portal-secret-change-me', 'compose-payment-link-secret-change-me', 'compose-api-token-pepper-change-me', 'compose-pay-link-secret-change-me',
  'test-ehr-webhook-secret', 'test-clearinghouse-webhook-secret', 'bench-ehr-webhook-secret', 'bench-clearinghouse-webhook-secret',
  'demo-front-desk-token', 'demo-billing-token', 'demo-admin-token',
  'dev-sms-provider-token', 'dev-sms-webhook-secret', 'compose-sms-provider-token-change-me', 'compose-sms-webhook-secret-change-me',
  'test-sms-provider-token', 'test-sms-webhook-secret',
  'dev-email-webhook-secret', 'test-email-webhook-secret', 'compose-email-webhook-secret-change-me',
  'dev-print-mail-token-not-for-production', 'compose-print-mail-token-change-me', 'test-print-mail-token-000000',
  'dev-processor-standin-token-not-for-production', 'compose-processor-standin-token-change-me', 'test-processor-standin-token-0000',
];

/** Payload keys this repository has printed: the development key (lib/codec/payload-keys.ts) and the compose file's. */
export const PUBLIC_PAYLOAD_KEYS: readonly Buffer[] = [
  createHash('sha256').update('payflow development payload key (public)').digest(),
  Buffer.from('rACwOcydnfTSDpJNToUpL8Qj667ypWYwd5Q5hRa3gIc=', 'base64'),
];

/** Why this secret is not fit for production (a phrase to follow the variable's name), or undefined. */
export function secretProblem(value: string): string | undefined {
  if (PUBLIC_SECRETS.includes(value)) return `is a publicly known value: ${GENERATE}`;
  if (value.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} random characters in production: ${GENERATE}`;
  const word = placeholderIn(value);
  if (word) return `looks like a placeholder (it contains "${word}"), not a random secret: ${GENERATE}`;
  if (bitsPerChar(value) < MIN_BITS_PER_CHAR || longestRun(value) > MAX_RUN || repeatsStretch(value)) {
    return `does not look random (repeated or sequential characters): ${GENERATE}`;
  }
  return undefined;
}

/** Why this payload key is not fit for production, or undefined. The key id is not secret: naming it helps. */
export function payloadKeyProblem(key: { id: string; key: Buffer }): string | undefined {
  const fix = 'generate one with: npx tsx lib/codec/payload-keys.ts <id>';
  if (PUBLIC_PAYLOAD_KEYS.some((k) => k.equals(key.key))) return `key "${key.id}" is a publicly known key: ${fix}`;
  if (key.id.startsWith('dev-')) return `key "${key.id}" has a development id: ${fix}`;
  if (new Set(key.key).size < MIN_DISTINCT_KEY_BYTES) return `key "${key.id}" does not look random: ${fix}`;
  return undefined;
}

function placeholderIn(value: string): string | undefined {
  if (value.startsWith('dev-')) return 'dev-';
  const squeezed = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  return PLACEHOLDER_WORDS.find((w) => squeezed.includes(w));
}

/** Shannon entropy of the value's own character distribution, in bits per character. */
export function bitsPerChar(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / value.length) * Math.log2(n / value.length);
  return bits;
}

/** The longest run of characters that repeat or step by one, in one direction: "aaaa", "1234", "dcba". */
export function longestRun(value: string): number {
  let best = Math.min(value.length, 1);
  let run = 1;
  let step: number | undefined;
  for (let i = 1; i < value.length; i++) {
    const d = value.charCodeAt(i) - value.charCodeAt(i - 1);
    if (Math.abs(d) <= 1 && (run === 1 || d === step)) run++;
    else run = Math.abs(d) <= 1 ? 2 : 1;
    step = d;
    best = Math.max(best, run);
  }
  return best;
}

function repeatsStretch(value: string): boolean {
  const seen = new Set<string>();
  for (let i = 0; i + STRETCH <= value.length; i++) {
    const stretch = value.slice(i, i + STRETCH);
    if (seen.has(stretch)) return true;
    seen.add(stretch);
  }
  return false;
}
