/**
 * The card processor port (./card-processor.ts) over Stripe, through its official `stripe` SDK (pinned in
 * package.json). Stripe's objects stay in this file: every method answers the port's types.
 *
 *   startCardSetup  a Customer when none (idempotency key `<key>:customer`), then a SetupIntent for off-session use
 *                   (cards only; idempotency key `<key>`): its id and client_secret go to Stripe.js in the browser
 *   completedCard   the SetupIntent with its PaymentMethod expanded: undefined until `succeeded`, then the card's tokens,
 *                   brand, last 4 and expiry
 *   charge          an off-session PaymentIntent, confirmed at once, under the caller's idempotency key: `succeeded` →
 *                   succeeded; a card error (HTTP 402) → declined with its code; an outage → a retryable error
 *   refund          a Refund of (part of) the PaymentIntent, under the caller's idempotency key
 *
 * STRIPE_API_BASE points the SDK elsewhere (host, port, protocol): stripe-mock in the tests (scripts/stripe-mock.ts).
 * The SDK's own retries are off unless asked: the activity retries (with the same idempotency key), one place to reason
 * about. Stripe keeps an idempotency key 24 hours: a charge's activity must give up (and a person look) well before.
 */
import { isDeclineCode } from '../domain/card-on-file';
import Stripe from 'stripe';
import {
  CardProcessorError, type CardProcessor, type CardSetup, type ChargeRequest, type ChargeResult, type DeclineCode, type RefundRequest,
  type RefundResult, type SavedCard,
} from './card-processor';

export interface StripeProcessorOptions {
  /** sk_live_… / rk_live_… in production; any sk_test_… for stripe-mock. */
  secretKey: string;
  /** Where the API is, e.g. http://127.0.0.1:12111 (stripe-mock); unset: https://api.stripe.com. */
  apiBase?: string;
  /** One request's timeout; 20 s unless told. */
  timeoutMs?: number;
  /** The SDK's own retries of a failed request (same idempotency key); 0 unless told: the caller retries. */
  maxNetworkRetries?: number;
}

/** The SDK's host/port/protocol for an http(s) base URL (a path is not supported: the SDK puts /v1/… at the root). */
export function stripeEndpoint(apiBase: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(apiBase);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('STRIPE_API_BASE must be an http(s) URL');
  if (url.pathname !== '/' && url.pathname !== '') throw new Error('STRIPE_API_BASE must have no path (the SDK adds /v1/…)');
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80, protocol };
}


/**
 * The port's decline code for a Stripe card error (or a PaymentIntent's last_payment_error): the issuer's reason
 * (decline_code) when payflow acts on it, else Stripe's error code when it does, else the generic card_declined
 * (e.g. decline_code generic_decline, do_not_honor, lost_card; code incorrect_cvc).
 */
export function declineCodeOf(error: { code?: string | null; decline_code?: string | null }): DeclineCode {
  if (isDeclineCode(error.decline_code)) return error.decline_code;
  if (isDeclineCode(error.code)) return error.code;
  return 'card_declined';
}

/**
 * A Stripe failure as the port's error: an outage (no answer, 5xx, 429, a 409 conflict: a concurrent request holding
 * the same idempotency key, a lock timeout) is retryable; anything else Stripe refused (4xx: bad key, unknown object,
 * an idempotency key reused with other parameters) is not; a Stripe-Should-Retry header decides when present. Other
 * errors (not the SDK's) are returned as they are.
 */
export function processorErrorOf(err: unknown, what: string): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  const status = err.statusCode;
  const code = err.code ?? err.type;
  // Stripe says so itself on some answers (Stripe-Should-Retry); otherwise by the kind of failure.
  const advice = err.headers?.['stripe-should-retry'];
  const retryable = advice === 'true' || (advice !== 'false' && (
    err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeRateLimitError ||
    status === undefined || status >= 500 || status === 429 || status === 409 || err.code === 'lock_timeout'));
  // Stripe's messages name parameters and ids, never a card number (it never had one from us).
  return new CardProcessorError(`Stripe ${what} failed${status ? ` (HTTP ${status})` : ''}: ${err.message}`, retryable, code, status);
}

/** The port's answer for a confirmed PaymentIntent (a decline that came back as an object rather than a 402). */
export function chargeResultOf(pi: Stripe.PaymentIntent): ChargeResult | 'processing' {
  switch (pi.status) {
    case 'succeeded':
      return { status: 'succeeded', chargeRef: pi.id, amountCents: pi.amount };
    case 'requires_action':
      // The issuer wants the patient (3-D Secure): an off-session charge cannot go on.
      return { status: 'declined', code: 'authentication_required', chargeRef: pi.id };
    case 'requires_payment_method':
    case 'canceled':
      return { status: 'declined', code: pi.last_payment_error ? declineCodeOf(pi.last_payment_error) : 'card_declined', chargeRef: pi.id };
    case 'processing':
      return 'processing';
    default:
      // requires_confirmation, requires_capture: payflow asks for neither (confirm: true, automatic capture).
      throw new CardProcessorError(`Stripe answered the charge with an unexpected status ${pi.status}`, false, pi.status);
  }
}

/** The saved card of a succeeded SetupIntent whose payment_method is expanded. */
export function savedCardOf(si: Stripe.SetupIntent): SavedCard | undefined {
  if (si.status !== 'succeeded') return undefined;
  const pm = si.payment_method;
  const customer = typeof si.customer === 'string' ? si.customer : si.customer?.id;
  if (!pm || typeof pm === 'string' || !pm.card) throw new CardProcessorError(`Stripe setup ${si.id} succeeded without a card payment method`, false, 'no_card');
  if (!customer) throw new CardProcessorError(`Stripe setup ${si.id} has no customer`, false, 'no_customer');
  return {
    customerRef: customer, paymentMethodRef: pm.id, brand: pm.card.brand, last4: pm.card.last4, expMonth: pm.card.exp_month, expYear: pm.card.exp_year,
  };
}

export function createStripeProcessor(o: StripeProcessorOptions): CardProcessor {
  const stripe = new Stripe(o.secretKey, {
    ...(o.apiBase ? stripeEndpoint(o.apiBase) : {}),
    timeout: o.timeoutMs ?? 20_000,
    maxNetworkRetries: o.maxNetworkRetries ?? 0,
    telemetry: false,
    appInfo: { name: 'payflow' },
  });

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw processorErrorOf(err, what);
    }
  }

  return {
    name: 'stripe',

    async startCardSetup(input): Promise<CardSetup> {
      const metadata = input.metadata ?? {};
      const customerRef = input.customerRef ?? (await call('customer creation', () =>
        stripe.customers.create({ metadata }, { idempotencyKey: `${input.idempotencyKey}:customer` }))).id;
      const si = await call('setup', () => stripe.setupIntents.create(
        { customer: customerRef, usage: 'off_session', allowed_payment_method_types: ['card'], metadata },
        { idempotencyKey: input.idempotencyKey },
      ));
      if (!si.client_secret) throw new CardProcessorError(`Stripe setup ${si.id} came without a client secret`, false, 'no_client_secret');
      return { setupRef: si.id, clientSecret: si.client_secret, customerRef };
    },

    async completedCard(setupRef: string): Promise<SavedCard | undefined> {
      const si = await call('setup lookup', () => stripe.setupIntents.retrieve(setupRef, { expand: ['payment_method'] }));
      return savedCardOf(si);
    },

    async charge(request: ChargeRequest): Promise<ChargeResult> {
      let pi: Stripe.PaymentIntent;
      try {
        pi = await stripe.paymentIntents.create({
          amount: request.amountCents,
          currency: 'usd',
          customer: request.card.customerRef,
          payment_method: request.card.paymentMethodRef,
          off_session: true,
          confirm: true,
          description: request.description,
          metadata: request.metadata ?? {},
        }, { idempotencyKey: request.idempotencyKey });
      } catch (err) {
        // A decline is Stripe's HTTP 402 with a card error; its PaymentIntent (when one was made) is the charge's reference.
        if (err instanceof Stripe.errors.StripeCardError) {
          const chargeRef = err.payment_intent?.id;
          return { status: 'declined', code: declineCodeOf(err), ...(chargeRef ? { chargeRef } : {}) };
        }
        throw processorErrorOf(err, 'charge');
      }
      let result = chargeResultOf(pi);
      if (result === 'processing') {
        // Not for cards in practice; its current state, once. Still processing: the retry (same key) looks again.
        result = chargeResultOf(await call('charge lookup', () => stripe.paymentIntents.retrieve(pi.id)));
        if (result === 'processing') throw new CardProcessorError(`Stripe charge ${pi.id} is still processing`, true, 'processing');
      }
      return result;
    },

    async refund(request: RefundRequest): Promise<RefundResult> {
      const refund = await call('refund', () =>
        stripe.refunds.create({ payment_intent: request.chargeRef, amount: request.amountCents }, { idempotencyKey: request.idempotencyKey }));
      switch (refund.status) {
        case 'succeeded':
          return { refundRef: refund.id, status: 'succeeded' };
        case 'pending':
        case 'requires_action':
          return { refundRef: refund.id, status: 'pending' };
        default:
          throw new CardProcessorError(`Stripe refund ${refund.id} ended ${refund.status ?? 'without a status'}`, false, refund.status ?? undefined);
      }
    },
  };
}
