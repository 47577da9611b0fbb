/**
 * Secrets payflow must read back (a practice's OpenID client secret), encrypted at rest: AES-256-GCM with a key derived
 * by HKDF-SHA-256 from a configured server secret (`IDP_SECRET_KEY`) and a purpose label, a random 96-bit IV per value,
 * and associated data naming what the value belongs to (the practice id), so a ciphertext copied onto another row does
 * not decrypt. Stored as `v1.<iv>.<tag>.<ciphertext>` (base64url). A wrong key or a tampered value throws.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const keyOf = (secret: string, purpose: string) => Buffer.from(hkdfSync('sha256', secret, 'payflow secret-box v1', purpose, 32));

export function sealSecret(secret: string, purpose: string, boundTo: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret, purpose), iv);
  cipher.setAAD(Buffer.from(boundTo));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function openSecret(secret: string, purpose: string, boundTo: string, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(secret, purpose), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
