/**
 * The reference a patient carries from our portal to the practice's payment page (the processor's hosted page) and
 * back: `<payment page URL>?ref=<token>`. The token is signed with PAYMENT_LINK_SECRET (shared with the processor),
 * expires (PAYMENT_LINK_TTL), and carries no PHI: our collection id, the amount, the practice's external id and
 * display name, and where to send the patient afterwards (our receipt page). The processor echoes the collection id
 * in its signed `payment.captured` webhook, which is all we need to match the capture.
 */
import { z } from 'zod';
import { MAX_PAYMENT_CENTS } from '../domain/money';
import { signToken, verifyToken } from './signed-token';

export const PAYMENT_LINK_PURPOSE = 'payflow.payment-link.v1';
/** The query parameter the token travels in, to the payment page and back to the receipt. */
export const PAYMENT_LINK_PARAM = 'ref';

export const paymentLinkPayloadSchema = z.object({
  /** Our collection id. */
  c: z.uuid(),
  /** Amount to capture, cents. */
  a: z.number().int().min(1).max(MAX_PAYMENT_CENTS),
  /** The practice's external id and name (shown on the payment page). */
  p: z.string().min(1).max(100),
  n: z.string().min(1).max(200),
  /** Where the payment page sends the patient back to (our receipt page); it appends `?ref=<token>`. */
  r: z.url({ protocol: /^https?$/ }).max(2000),
  /** Expiry, unix seconds. */
  exp: z.number().int().positive(),
});
export type PaymentLinkPayload = z.infer<typeof paymentLinkPayloadSchema>;

export function signPaymentLink(payload: PaymentLinkPayload, secret: string): string {
  return signToken(PAYMENT_LINK_PURPOSE, paymentLinkPayloadSchema.parse(payload), secret);
}

export type PaymentLinkCheck = { ok: true; payload: PaymentLinkPayload } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/** Verifies signature and shape; `graceSeconds` past `exp` is still accepted (the receipt accepts old links). */
export function verifyPaymentLink(token: string | undefined, secrets: readonly string[], nowSeconds: number, graceSeconds = 0): PaymentLinkCheck {
  const result = verifyToken(PAYMENT_LINK_PURPOSE, token, secrets, nowSeconds, graceSeconds);
  if (!result.ok) return result;
  const parsed = paymentLinkPayloadSchema.safeParse(result.payload);
  return parsed.success ? { ok: true, payload: parsed.data } : { ok: false, reason: 'malformed' };
}

/** `base` with `?ref=<token>` (keeps any query the practice's URL already has). */
export function withPaymentLink(base: string, token: string, extra: Record<string, string> = {}): string {
  const url = new URL(base);
  url.searchParams.set(PAYMENT_LINK_PARAM, token);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return url.toString();
}
