/**
 * Pay links (text-to-pay): the link in a statement email that opens the portal already scoped to the statement, so the
 * patient does not type the account ID; the date of birth is still asked (web/portal/pay-link-routes.ts). A link is a
 * row in `pay_links` (db/queries/pay-links.ts: its statement, expiry and uses, counted atomically) named by a signed,
 * expiring token: `<base64url({l: link id, exp})>.<HMAC-SHA256>` (lib/signed-token.ts, purpose `pay-link`). The token
 * carries no PHI: a random id and a time. Tampering breaks the signature; the expiry is checked twice (the token's,
 * then the row's), the uses in PostgreSQL.
 */
import type { Db } from '../db/connection';
import { mintPayLink } from '../db/queries/pay-links';
import { signToken, verifyToken } from '../lib/signed-token';

const PURPOSE = 'pay-link';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PayLinkSettings { secret: string; ttlMs: number; maxUses: number }

export interface PayLinkPayload { l: string; exp: number }

export const payLinkPath = (token: string) => `/portal/link/${token}`;

export function signPayLink(payload: PayLinkPayload, secret: string): string {
  return signToken(PURPOSE, { ...payload }, secret);
}

export type VerifiedPayLink = { ok: true; linkId: string } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/** Checks the token's signature and expiry; the row (uses, its own expiry) is checked by the caller. */
export function verifyPayLink(token: string | undefined, secrets: readonly string[], nowSeconds = Math.floor(Date.now() / 1000)): VerifiedPayLink {
  const v = verifyToken<Partial<PayLinkPayload>>(PURPOSE, token, secrets, nowSeconds);
  if (!v.ok) return v;
  if (typeof v.payload.l !== 'string' || !UUID.test(v.payload.l) || typeof v.payload.exp !== 'number') return { ok: false, reason: 'malformed' };
  return { ok: true, linkId: v.payload.l };
}

/** The link of one message (a retried send gets the same link: minted once per business key). */
export async function payLinkFor(
  db: Db,
  s: PayLinkSettings,
  input: { statementId: string; businessKey: string; publicBaseUrl: string },
): Promise<{ url: string; expiresAt: Date; maxUses: number }> {
  const row = await mintPayLink(db, { statementId: input.statementId, businessKey: input.businessKey, maxUses: s.maxUses, ttlMs: s.ttlMs });
  const token = signPayLink({ l: row.id, exp: Math.floor(row.expires_at.getTime() / 1000) }, s.secret);
  return { url: `${input.publicBaseUrl.replace(/\/+$/, '')}${payLinkPath(token)}`, expiresAt: row.expires_at, maxUses: row.max_uses };
}
