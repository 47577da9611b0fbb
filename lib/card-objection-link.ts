/**
 * The "pay another way" link in a notice before a card-on-file charge (issue 18): a signed token naming the
 * authorisation and the claim (ids only), valid until a week after the charge date. Following it asks the patient to
 * confirm; confirming records an objection (web/portal/card-notice-routes.ts), and the charge is not made.
 */
import { signToken, verifyToken } from './signed-token';

const PURPOSE = 'card-objection';

export interface CardObjectionRef { authorisationId: string; claimId: string }

export function cardObjectionUrl(publicBaseUrl: string, ref: CardObjectionRef, secret: string, expiresAt: Date): string {
  const token = signToken(PURPOSE, { a: ref.authorisationId, c: ref.claimId, exp: Math.floor(expiresAt.getTime() / 1000) }, secret);
  return `${publicBaseUrl.replace(/\/$/, '')}/portal/card-notice/${token}`;
}

export function verifyCardObjectionToken(token: string, secrets: readonly string[], now: Date): CardObjectionRef | undefined {
  const r = verifyToken<{ a?: unknown; c?: unknown }>(PURPOSE, token, secrets, Math.floor(now.getTime() / 1000));
  if (!r.ok || typeof r.payload.a !== 'string' || typeof r.payload.c !== 'string') return undefined;
  return { authorisationId: r.payload.a, claimId: r.payload.c };
}
