/**
 * Payload encryption keys, as configured: `PAYLOAD_KEYS=<id>:<base64 of 32 bytes>,<id>:<base64>…` and
 * `PAYLOAD_KEY_CURRENT=<id>` (defaults to the first listed). Every listed key can decrypt; only the current one
 * encrypts. Rotation: add the new key everywhere, then make it current, then drop the old one once no stored
 * history can still hold payloads encrypted with it (docs/operations.md).
 */
import { createHash, randomBytes } from 'node:crypto';

export interface PayloadKey { id: string; key: Buffer }

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
export const KEY_BYTES = 32;

/**
 * The development key: PUBLIC (it is derived from this string), so the configuration refuses it in production,
 * like every `dev-` secret. Tests and the local stack use it, so any local process can read another's payloads.
 */
export const DEV_PAYLOAD_KEYS = `dev-2026-01:${createHash('sha256').update('payflow development payload key (public)').digest('base64')}`;

/** Parses the PAYLOAD_KEYS list; undefined when any entry is malformed (the config names the variable). */
export function parsePayloadKeys(value: string): PayloadKey[] | undefined {
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return undefined;
  const keys: PayloadKey[] = [];
  for (const entry of entries) {
    const at = entry.indexOf(':');
    if (at <= 0) return undefined;
    const id = entry.slice(0, at);
    const b64 = entry.slice(at + 1);
    if (!KEY_ID.test(id) || !BASE64.test(b64)) return undefined;
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES || keys.some((k) => k.id === id)) return undefined;
    keys.push({ id, key });
  }
  return keys;
}

/** A fresh random key entry for PAYLOAD_KEYS, e.g. `npx tsx lib/codec/payload-keys.ts k2027-01`. */
export function newPayloadKeyEntry(id: string): string {
  if (!KEY_ID.test(id)) throw new TypeError('a key id is 1-64 characters of A-Z a-z 0-9 . _ -');
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

if (require.main === module) {
  process.stdout.write(`${newPayloadKeyEntry(process.argv[2] ?? `k${new Date().toISOString().slice(0, 7)}`)}\n`);
}
