/**
 * The Stripe adapter's mapping (processor/stripe-processor.ts), on errors and objects built with the official SDK's
 * own classes: which card errors are declines and with which code, which failures are outages to retry, how a
 * PaymentIntent's status and a completed SetupIntent read as the port's answers. Over HTTP against stripe-mock:
 * test/integration/stripe-processor.test.ts.
 */
import Stripe from 'stripe';
import { CardProcessorError } from '../../processor/card-processor';
import { chargeResultOf, declineCodeOf, processorErrorOf, savedCardOf, stripeEndpoint } from '../../processor/stripe-processor';

const cardError = (raw: { code?: string; decline_code?: string }) =>
  new Stripe.errors.StripeCardError({ type: 'card_error', message: 'Your card was declined.', statusCode: 402, ...raw });

describe('Stripe card errors → the port decline codes', () => {
  it.each([
    [{ code: 'card_declined', decline_code: 'insufficient_funds' }, 'insufficient_funds'],
    [{ code: 'card_declined', decline_code: 'generic_decline' }, 'card_declined'],
    [{ code: 'card_declined', decline_code: 'do_not_honor' }, 'card_declined'],
    [{ code: 'card_declined', decline_code: 'lost_card' }, 'card_declined'],
    [{ code: 'card_declined' }, 'card_declined'],
    [{ code: 'expired_card' }, 'expired_card'],
    [{ code: 'expired_card', decline_code: 'expired_card' }, 'expired_card'],
    [{ code: 'authentication_required', decline_code: 'authentication_required' }, 'authentication_required'],
    [{ code: 'card_declined', decline_code: 'authentication_required' }, 'authentication_required'],
    [{ code: 'processing_error' }, 'processing_error'],
    [{ code: 'incorrect_cvc' }, 'card_declined'],
    [{}, 'card_declined'],
  ])('%j → %s', (raw, code) => {
    const err = cardError(raw);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declineCodeOf(err)).toBe(code);
  });
});

describe('Stripe failures → retryable or not', () => {
  const retryableOf = (err: Stripe.errors.StripeError) => {
    const mapped = processorErrorOf(err, 'charge');
    expect(mapped).toBeInstanceOf(CardProcessorError);
    return (mapped as CardProcessorError).retryable;
  };

  it('an outage is retried: no connection, 5xx, 429, a 409 conflict (the same key in flight, a lock timeout)', () => {
    expect(retryableOf(new Stripe.errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.' }))).toBe(true);
    expect(retryableOf(new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'Internal error', statusCode: 500 }))).toBe(true);
    expect(retryableOf(new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'Service unavailable', statusCode: 503 }))).toBe(true);
    expect(retryableOf(new Stripe.errors.StripeRateLimitError({ type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests', statusCode: 429 }))).toBe(true);
    expect(retryableOf(new Stripe.errors.StripeAPIError({ type: 'idempotency_error', message: 'There is currently another in-progress request using this Idempotent Key', statusCode: 409 }))).toBe(true);
    expect(retryableOf(new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'lock_timeout', message: 'lock timeout', statusCode: 400 }))).toBe(true);
  });

  it('a refused request is not: bad key, no permission, unknown object, a key reused with other parameters', () => {
    expect(retryableOf(new Stripe.errors.StripeAuthenticationError({ type: 'invalid_request_error', message: 'Invalid API Key provided', statusCode: 401 }))).toBe(false);
    expect(retryableOf(new Stripe.errors.StripePermissionError({ type: 'invalid_request_error', message: 'no permission', statusCode: 403 }))).toBe(false);
    expect(retryableOf(new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_method', statusCode: 404 }))).toBe(false);
    expect(retryableOf(new Stripe.errors.StripeIdempotencyError({ type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters', statusCode: 400 }))).toBe(false);
  });

  it('Stripe-Should-Retry decides when Stripe sends it', () => {
    expect(retryableOf(new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', message: 'x', statusCode: 400, headers: { 'stripe-should-retry': 'true' } }))).toBe(true);
    expect(retryableOf(new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'x', statusCode: 500, headers: { 'stripe-should-retry': 'false' } }))).toBe(false);
  });

  it('keeps the code and status, and leaves an error that is not Stripe\'s as it is', () => {
    const mapped = processorErrorOf(new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'resource_missing', message: 'No such customer', statusCode: 404 }), 'charge') as CardProcessorError;
    expect(mapped).toMatchObject({ code: 'resource_missing', httpStatus: 404, message: 'Stripe charge failed (HTTP 404): No such customer' });
    const bug = new TypeError('not Stripe');
    expect(processorErrorOf(bug, 'charge')).toBe(bug);
  });
});

describe('PaymentIntent and SetupIntent → the port answers', () => {
  const pi = (fields: Partial<Stripe.PaymentIntent>) => ({ id: 'pi_1', object: 'payment_intent', amount: 4500, status: 'succeeded', last_payment_error: null, ...fields }) as Stripe.PaymentIntent;

  it('reads a PaymentIntent by its status', () => {
    expect(chargeResultOf(pi({}))).toEqual({ status: 'succeeded', chargeRef: 'pi_1', amountCents: 4500 });
    expect(chargeResultOf(pi({ status: 'requires_action' }))).toEqual({ status: 'declined', code: 'authentication_required', chargeRef: 'pi_1' });
    expect(chargeResultOf(pi({ status: 'requires_payment_method' }))).toEqual({ status: 'declined', code: 'card_declined', chargeRef: 'pi_1' });
    expect(chargeResultOf(pi({ status: 'requires_payment_method', last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' } }))).toEqual({ status: 'declined', code: 'insufficient_funds', chargeRef: 'pi_1' });
    expect(chargeResultOf(pi({ status: 'processing' }))).toBe('processing');
    expect(() => chargeResultOf(pi({ status: 'requires_capture' }))).toThrow(CardProcessorError);
  });

  it('reads a saved card from a succeeded SetupIntent only, never a number', () => {
    const pm = { id: 'pm_1', object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 8, exp_year: 2030 } } as Stripe.PaymentMethod;
    const si = (fields: Partial<Stripe.SetupIntent>) => ({ id: 'seti_1', object: 'setup_intent', status: 'succeeded', customer: 'cus_1', payment_method: pm, ...fields }) as Stripe.SetupIntent;
    expect(savedCardOf(si({}))).toEqual({ customerRef: 'cus_1', paymentMethodRef: 'pm_1', brand: 'visa', last4: '4242', expMonth: 8, expYear: 2030 });
    expect(savedCardOf(si({ status: 'requires_payment_method' }))).toBeUndefined();
    expect(savedCardOf(si({ status: 'processing' }))).toBeUndefined();
    expect(() => savedCardOf(si({ payment_method: 'pm_1' }))).toThrow(/without a card/);
    expect(() => savedCardOf(si({ customer: null }))).toThrow(/no customer/);
  });
});

describe('STRIPE_API_BASE → the SDK endpoint', () => {
  it.each([
    ['http://127.0.0.1:12111', { host: '127.0.0.1', port: 12111, protocol: 'http' }],
    ['http://localhost:12111/', { host: 'localhost', port: 12111, protocol: 'http' }],
    ['https://api.stripe.com', { host: 'api.stripe.com', port: 443, protocol: 'https' }],
    ['http://[::1]:8080', { host: '::1', port: 8080, protocol: 'http' }],
  ])('%s', (base, endpoint) => {
    expect(stripeEndpoint(base)).toEqual(endpoint);
  });

  it('refuses a path or another scheme', () => {
    expect(() => stripeEndpoint('http://localhost:12111/v1')).toThrow(/no path/);
    expect(() => stripeEndpoint('ftp://localhost')).toThrow(/http/);
  });
});
