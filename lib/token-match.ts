/** Configured bearer tokens (engineers', operators'): which one was presented, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (token: string) => createHash('sha256').update(token).digest();

/** Compares against every token, with no early exit: timing does not tell which one matched. */
export function matchToken(tokens: readonly string[], given: string): string | undefined {
  const g = digest(given);
  let found: string | undefined;
  for (const t of tokens) if (timingSafeEqual(digest(t), g)) found ??= t;
  return found;
}

/** A short, stable name for a configured token in logs and audit rows (never the token). */
export const tokenFingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 12);
