/**
 * Patient account ids, printed on statements and typed into the portal: random (not derived from anything),
 * non-sequential, 10 characters of Crockford base32 (no I, L, O, U: nothing to misread), ~50 bits.
 */
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ACCOUNT_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{10}$/;

export function newAccountId(): string {
  let id = '';
  for (let i = 0; i < 10; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
