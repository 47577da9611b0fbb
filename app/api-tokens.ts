/**
 * API tokens: how a presented token is recognised. Tokens are random (at least 16 characters; ours 32 random bytes), so
 * they are stored under a keyed hash, HMAC-SHA-256 with a server pepper (`API_TOKEN_PEPPER`), not a slow password
 * hash: a slow hash buys nothing against guessing a 256-bit secret and would cost every API request; the pepper, kept
 * out of the database, makes a leaked table useless for checking guesses offline. Tokens carried over from before
 * (and the seeded demo ones) are stored under plain SHA-256 and still recognised (db/queries/staff.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Db } from '../db/connection';
import { apiTokensOf, insertApiToken, revokeApiTokenRow, type ApiTokenRecord } from '../db/queries/api-tokens';
import { legacyTokenHash, staffByTokenHashes, type Staff, type TokenHashes } from '../db/queries/staff';
import { API_TOKEN_DEFAULT_DAYS, API_TOKEN_MAX_DAYS, createApiTokenBody, type apiTokenStatus } from '../contracts/api-tokens';
import { notFound, validationFailed } from '../lib/errors';
import { parseBody, UUID } from '../lib/validate';

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

// ── managing tokens (a practice admin; the routes check the role) ────────────────────────────────────────────────
/** What every token we issue starts with: recognisable in a log or a secret scanner, and in the list by its prefix. */
export const TOKEN_PREFIX = 'pf_';
/** How many of its first characters are kept to recognise a token (the prefix, plus 5 of its 256 random bits' 43). */
export const SHOWN_PREFIX_LENGTH = 8;
const DAY_MS = 86_400_000;

export type ApiTokenStatus = z.infer<typeof apiTokenStatus>;
export type ApiTokenView = Omit<ApiTokenRecord, 'staffUserId' | 'revokedBy'> & { status: ApiTokenStatus };
export interface CreatedApiToken {
  id: string; name: string; role: ApiTokenRecord['role']; prefix: string; createdAt: Date; expiresAt: Date; staffUserId: string;
  /** The secret: in this answer only. */
  token: string;
}

/** A new secret: 32 random bytes, base64url, after the recognisable prefix (46 characters). */
export const newTokenSecret = () => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

const statusOf = (t: ApiTokenRecord, now = Date.now()): ApiTokenStatus =>
  (t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt.getTime() <= now ? 'expired' : 'active');

const viewOf = (t: ApiTokenRecord): ApiTokenView => ({
  id: t.id, name: t.name, role: t.role, prefix: t.prefix, createdBy: t.createdBy, createdAt: t.createdAt, expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt, status: statusOf(t),
});

function expiryOf(body: z.infer<typeof createApiTokenBody>, now: number): Date {
  if (body.expiresAt === undefined) return new Date(now + (body.expiresInDays ?? API_TOKEN_DEFAULT_DAYS) * DAY_MS);
  const at = new Date(body.expiresAt);
  if (at.getTime() <= now) throw validationFailed([{ field: 'expiresAt', reason: 'must be in the future' }]);
  if (at.getTime() > now + API_TOKEN_MAX_DAYS * DAY_MS) throw validationFailed([{ field: 'expiresAt', reason: `must be at most ${API_TOKEN_MAX_DAYS} days ahead` }]);
  return at;
}

/**
 * A new token for a system, acting as a new `kind = 'system'` staff member of the admin's practice named after it (so
 * whatever it does is recorded under a staff id, and deactivating that member stops it too). Stored as its HMAC only.
 */
export async function createApiToken(deps: TokenDeps, staff: Staff, body: unknown, requestId?: string): Promise<CreatedApiToken> {
  const input = parseBody(createApiTokenBody, body);
  const expiresAt = expiryOf(input, Date.now());
  const token = newTokenSecret();
  const created = await insertApiToken(deps.db, {
    practiceId: staff.practiceId, name: input.name, role: input.role, secretHash: tokenHashes(token, deps.apiTokenPepper).hmac,
    prefix: token.slice(0, SHOWN_PREFIX_LENGTH), expiresAt, actor: `staff:${staff.id}`, requestId,
  });
  return {
    id: created.id, name: created.name, role: created.role, prefix: created.prefix, createdAt: created.createdAt, expiresAt,
    staffUserId: created.staffUserId, token,
  };
}

export async function apiTokensFor(deps: { db: Db }, staff: Staff): Promise<ApiTokenView[]> {
  return (await apiTokensOf(deps.db, staff.practiceId)).map(viewOf);
}

/** Revokes one of the admin's practice's tokens; another practice's id is not found, like an unknown one. */
export async function revokeApiToken(deps: { db: Db }, staff: Staff, tokenId: unknown, requestId?: string): Promise<ApiTokenView> {
  if (typeof tokenId !== 'string' || !UUID.test(tokenId)) throw notFound('API token');
  return viewOf(await revokeApiTokenRow(deps.db, { practiceId: staff.practiceId, tokenId, actor: `staff:${staff.id}`, requestId }));
}
