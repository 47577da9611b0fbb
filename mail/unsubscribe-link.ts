/**
 * The unsubscribe link of patients' email (issue 17): `…/portal/unsubscribe/<token>`, in the statement email's footer
 * and its List-Unsubscribe header (RFC 2369, with RFC 8058 one-click: List-Unsubscribe-Post). The token is signed
 * (lib/signed-token.ts, purpose `unsubscribe`, the pay links' secret PAY_LINK_SECRET: the worker signs, the API checks)
 * and names the patient by id and the channel; it does not expire (a patient may unsubscribe from an old email), and it
 * carries no PHI. Opening the link changes nothing (mail scanners open links); the page's button, or the one-click POST,
 * withdraws the patient's email consent at once (web/portal/unsubscribe-routes.ts → app/channel-consents.ts).
 */
import { signToken, verifyToken } from '../lib/signed-token';

const PURPOSE = 'unsubscribe';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UnsubscribePayload { p: string; c: 'email' }

export const unsubscribePath = (token: string) => `/portal/unsubscribe/${token}`;

export function signUnsubscribeToken(patientId: string, secret: string): string {
  return signToken(PURPOSE, { p: patientId, c: 'email' } satisfies UnsubscribePayload, secret);
}

/** The address of a patient's unsubscribe link under `publicBaseUrl`. */
export function unsubscribeUrl(publicBaseUrl: string, patientId: string, secret: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${unsubscribePath(signUnsubscribeToken(patientId, secret))}`;
}

export type VerifiedUnsubscribe = { ok: true; patientId: string; channel: 'email' } | { ok: false };

/** Checks the token's signature (any of `secrets`: a rotation) and shape. */
export function verifyUnsubscribeToken(token: string | undefined, secrets: readonly string[]): VerifiedUnsubscribe {
  const v = verifyToken<Partial<UnsubscribePayload>>(PURPOSE, token, secrets, Math.floor(Date.now() / 1000));
  if (!v.ok || typeof v.payload.p !== 'string' || !UUID.test(v.payload.p) || v.payload.c !== 'email') return { ok: false };
  return { ok: true, patientId: v.payload.p, channel: 'email' };
}
