/**
 * API tokens: how a presented token is recognised. Tokens are random (at least 16 characters; ours 32 random bytes), so
 * they are stored under a keyed hash, HMAC-SHA-256 with a server pepper (`API_TOKEN_PEPPER`), not a slow password
 * hash: a slow hash buys nothing against guessing a 256-bit secret and would cost every API request; the pepper, kept
 * out of the database, makes a leaked table useless for checking guesses offline. Tokens carried over from before
 * (and the seeded demo ones) are stored under plain SHA-256 and still recognised (db/queries/staff.ts).
 */
import { createHmac } from 'node:crypto';
import type { Db } from '../db/connection';
import { legacyTokenHash, staffByTokenHashes, type Staff, type TokenHashes } from '../db/queries/staff';

/** The development pepper (printed here, so production refuses it: lib/config.ts). */
export const DEV_API_TOKEN_PEPPER = 'dev-api-token-pepper-not-for-production';

/** What a token could look like; anything else is not looked up. */
export const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,200}$/;

export interface TokenDeps { db: Db; apiTokenPepper?: string }

export const tokenHashes = (token: string, pepper = DEV_API_TOKEN_PEPPER): TokenHashes => ({
  hmac: createHmac('sha256', pepper).update(token).digest('hex'),
  legacy: legacyTokenHash(token),
});

/** The staff member (with the token's role) a live token acts as; undefined for anything else. */
export async function staffOfApiToken(deps: TokenDeps, token: string): Promise<Staff | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const found = await staffByTokenHashes(deps.db, tokenHashes(token, deps.apiTokenPepper));
  return found && { id: found.id, practiceId: found.practiceId, role: found.role, displayName: found.displayName };
}
