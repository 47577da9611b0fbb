/**
 * The card processor port (issue 18): what payflow asks of a processor that holds patients' cards. Payflow never sees
 * or stores a card number: the card is entered on the processor's own form (or SDK element), and payflow keeps only the
 * processor's token for it with the brand, the last 4 digits and the expiry.
 *
 * Adapters: processor/standin-processor.ts (the local stand-in, the default) and processor/stripe-processor.ts (Stripe
 * through its official `stripe` SDK; tested against `stripe-mock`). Every money-moving call carries an idempotency key
 * derived from the business key, so a retried activity (a worker killed mid-call, a timeout) never charges twice.
 */
import type { DeclineCode } from '../domain/card-on-file';
import type { Cents } from '../domain/money';

export type { DeclineCode };

/** A saved card as payflow keeps it: the processor's tokens, never the number. */
export interface SavedCard {
  /** The processor's customer (Stripe: cus_…), the owner of the saved payment method. */
  customerRef: string;
  /** The processor's reusable payment method (Stripe: pm_…). */
  paymentMethodRef: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** Starting a save: what the patient's browser (or the front desk's card reader) needs to enter the card with the processor. */
export interface CardSetup {
  /** The processor's setup reference (Stripe: the SetupIntent id, seti_…). */
  setupRef: string;
  /** Handed to the processor's browser element (Stripe: the SetupIntent's client_secret); never logged or stored. */
  clientSecret: string;
  customerRef: string;
  /**
   * The processor's own card-entry page for this setup, when it hosts one (the stand-in: `/processor/setup/<setupRef>`);
   * undefined for Stripe, whose card entry is Stripe.js (Elements) in payflow's page, confirmed with the clientSecret.
   */
  entryUrl?: string;
}

export interface ChargeRequest {
  card: Pick<SavedCard, 'customerRef' | 'paymentMethodRef'>;
  amountCents: Cents;
  /** The business key, e.g. `card-charge:<authorisationId>:<claimId>:<round>`: the processor's idempotency key. */
  idempotencyKey: string;
  /** Shown on the patient's card statement / processor dashboard; no PHI. */
  description: string;
  /** Free metadata for reconciliation (ids only, no PHI). */
  metadata?: Record<string, string>;
}

export type ChargeResult =
  | { status: 'succeeded'; chargeRef: string; amountCents: Cents }
  | { status: 'declined'; code: DeclineCode; chargeRef?: string };

export interface RefundRequest {
  chargeRef: string;
  amountCents: Cents;
  idempotencyKey: string;
}

export interface RefundResult { refundRef: string; status: 'succeeded' | 'pending' }

/**
 * A processor's failure to answer, as the caller acts on it (a decline is not one: it is a ChargeResult).
 *   retryable true:  an outage: network error, timeout, 5xx, rate limit: the activity retries with backoff, under the
 *                    same idempotency key, so a call that did go through is answered again, never repeated;
 *   retryable false: the request itself is refused (bad credentials, an unknown customer or card, an idempotency key
 *                    reused with other parameters, a refund above what is left): retrying cannot help (non-retryable).
 * The message never holds card data; `code` is the processor's own error code when it gave one.
 */
export class CardProcessorError extends Error {
  override readonly name = 'CardProcessorError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code?: string,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/**
 * A processor. Outages (network, 5xx, timeouts) are thrown as errors (the activity retries with backoff); a decline is
 * an answer, not an error. Every failure is thrown as a CardProcessorError (retryable or not).
 */
export interface CardProcessor {
  readonly name: 'standin' | 'stripe';
  /** Starts saving a card for a patient (Stripe: a Customer if none yet, then a SetupIntent for off-session use). */
  startCardSetup(input: { customerRef?: string; idempotencyKey: string; metadata?: Record<string, string> }): Promise<CardSetup>;
  /** Reads a completed setup: the saved card's tokens and display details; undefined while not completed. */
  completedCard(setupRef: string): Promise<SavedCard | undefined>;
  /** Charges a saved card with nobody present (off-session), once per idempotency key. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Refunds (part of) a charge, once per idempotency key. */
  refund(request: RefundRequest): Promise<RefundResult>;
}
