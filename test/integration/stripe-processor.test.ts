/**
 * The Stripe adapter (processor/stripe-processor.ts) making its real HTTP calls through the official SDK to Stripe's
 * official mock server, stripe-mock (scripts/stripe-mock.ts, behind test/support/stripe-mock.ts's recording proxy).
 * stripe-mock validates every request against Stripe's OpenAPI description (a malformed one is answered 400) and
 * answers fixtures; being stateless, it cannot hold what a person or an issuer decides (a completed SetupIntent, a
 * decline), so the proxy replaces those answers, after stripe-mock accepted the request.
 */
import { randomUUID } from 'node:crypto';
import { CardProcessorError } from '../../processor/card-processor';
import { createStripeProcessor } from '../../processor/stripe-processor';
import { freePort } from '../support/global-setup';
import { STRIPE_MOCK_KEY, useStripeMock } from '../support/stripe-mock';

const card = { customerRef: 'cus_patient1', paymentMethodRef: 'pm_card1' };
const cardErrorBody = (code: string, declineCode?: string) => ({
  error: {
    type: 'card_error', code, ...(declineCode ? { decline_code: declineCode } : {}), message: 'Your card was declined.',
    payment_intent: { id: 'pi_declined1', object: 'payment_intent', status: 'requires_payment_method', amount: 4500 },
  },
});

describe('Stripe adapter against stripe-mock', () => {
  const stripe = useStripeMock();
  const processor = () => createStripeProcessor({ secretKey: STRIPE_MOCK_KEY, apiBase: stripe.url, timeoutMs: 10_000 });
  beforeEach(() => stripe.reset());

  it('starts a setup: a Customer under `<key>:customer`, then an off-session SetupIntent for cards under the key', async () => {
    const key = `card-setup:${randomUUID()}`;
    const setup = await processor().startCardSetup({ idempotencyKey: key, metadata: { patientId: 'pat_1' } });

    expect(stripe.requests.map((r) => [r.method, r.path, r.mockStatus])).toEqual([['POST', '/v1/customers', 200], ['POST', '/v1/setup_intents', 200]]);
    const [customer, setupIntent] = stripe.requests;
    expect(customer!.headers['idempotency-key']).toBe(`${key}:customer`);
    expect(customer!.form).toEqual({ 'metadata[patientId]': 'pat_1' });
    expect(setupIntent!.headers['idempotency-key']).toBe(key);
    expect(setupIntent!.headers.authorization).toBe(`Bearer ${STRIPE_MOCK_KEY}`);
    expect(setupIntent!.headers['stripe-version']).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(setupIntent!.form).toEqual({
      customer: setup.customerRef, usage: 'off_session', 'allowed_payment_method_types[0]': 'card', 'metadata[patientId]': 'pat_1',
    });
    expect(setup.customerRef).toMatch(/^cus_/);
    expect(setup.setupRef).toMatch(/^seti_/);
    expect(setup.clientSecret).toMatch(/^seti_.+_secret_/);
    expect(setup.entryUrl).toBeUndefined(); // Stripe.js takes the card, with the client secret
  });

  it('starts a setup for a known customer with no new Customer', async () => {
    const setup = await processor().startCardSetup({ customerRef: 'cus_known1', idempotencyKey: `card-setup:${randomUUID()}` });
    expect(stripe.requests.map((r) => r.path)).toEqual(['/v1/setup_intents']);
    expect(stripe.requests[0]!.form.customer).toBe('cus_known1');
    expect(setup.customerRef).toBe('cus_known1');
  });

  it('reads a setup with its payment method expanded: nothing until it succeeded, then the card (tokens, brand, last 4, expiry)', async () => {
    // stripe-mock's SetupIntent waits for a payment method, as one does before the patient enters the card.
    expect(await processor().completedCard('seti_waiting1')).toBeUndefined();
    expect(stripe.requests[0]).toMatchObject({ method: 'GET', path: '/v1/setup_intents/seti_waiting1', form: { 'expand[0]': 'payment_method' }, mockStatus: 200 });

    // The patient entered the card: Stripe's answer is the same object, succeeded, its customer set.
    stripe.answerNext({ path: /^\/v1\/setup_intents\//, with: (fixture) => ({ body: { ...fixture, status: 'succeeded', customer: 'cus_patient1' } }) });
    const saved = await processor().completedCard('seti_done1');
    // stripe-mock's PaymentMethod fixture: a Visa ending 4242, expiring 8/2030.
    expect(saved).toEqual({ customerRef: 'cus_patient1', paymentMethodRef: expect.stringMatching(/^pm_/), brand: 'visa', last4: '4242', expMonth: 8, expYear: 2030 });
  });

  it('charges off-session: a confirmed PaymentIntent in usd under the idempotency key; succeeded → the PaymentIntent id', async () => {
    const key = `card-charge:auth1:claim1:1`;
    stripe.answerNext({ path: /^\/v1\/payment_intents$/, with: (fixture) => ({ body: { ...fixture, status: 'succeeded' } }) });
    const result = await processor().charge({ card, amountCents: 4500, idempotencyKey: key, description: 'Visit balance', metadata: { claimId: 'claim1' } });

    expect(result).toEqual({ status: 'succeeded', chargeRef: expect.stringMatching(/^pi_/), amountCents: 4500 });
    expect(stripe.requests).toHaveLength(1);
    const [request] = stripe.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/payment_intents', mockStatus: 200 });
    expect(request!.headers['idempotency-key']).toBe(key);
    expect(request!.form).toEqual({
      amount: '4500', currency: 'usd', customer: 'cus_patient1', payment_method: 'pm_card1', off_session: 'true', confirm: 'true',
      description: 'Visit balance', 'metadata[claimId]': 'claim1',
    });
  });

  it('sends the same key again on a retry (Stripe answers it from its idempotency record)', async () => {
    const key = `card-charge:${randomUUID()}`;
    await processor().charge({ card, amountCents: 1000, idempotencyKey: key, description: 'x' });
    await processor().charge({ card, amountCents: 1000, idempotencyKey: key, description: 'x' });
    expect(stripe.requests.map((r) => r.headers['idempotency-key'])).toEqual([key, key]);
  });

  it('reads an unconfirmed PaymentIntent (stripe-mock\'s own fixture, requires_payment_method) as declined, with its id', async () => {
    const result = await processor().charge({ card, amountCents: 4500, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' });
    expect(result).toEqual({ status: 'declined', code: 'card_declined', chargeRef: expect.stringMatching(/^pi_/) });
  });

  it.each([
    ['card_declined', 'generic_decline', 'card_declined'],
    ['card_declined', 'insufficient_funds', 'insufficient_funds'],
    ['expired_card', undefined, 'expired_card'],
    ['authentication_required', 'authentication_required', 'authentication_required'],
  ])('a 402 card error %s/%s is a decline %s, with the PaymentIntent of the attempt', async (code, declineCode, expected) => {
    stripe.answerNext({ path: /^\/v1\/payment_intents$/, with: () => ({ status: 402, body: cardErrorBody(code, declineCode) }) });
    const result = await processor().charge({ card, amountCents: 4500, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' });
    expect(result).toEqual({ status: 'declined', code: expected, chargeRef: 'pi_declined1' });
  });

  it('throws a retryable error on a 5xx or no connection, and a final one on a request Stripe refuses', async () => {
    stripe.answerNext({ path: /^\/v1\/payment_intents$/, with: () => ({ status: 503, body: { error: { type: 'api_error', message: 'Service unavailable' } } }) });
    const outage = await processor().charge({ card, amountCents: 4500, idempotencyKey: `k-${randomUUID()}`, description: 'x' }).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(CardProcessorError);
    expect(outage).toMatchObject({ retryable: true, httpStatus: 503 });

    const closed = createStripeProcessor({ secretKey: STRIPE_MOCK_KEY, apiBase: `http://127.0.0.1:${await freePort()}`, timeoutMs: 5000 });
    const unreachable = await closed.charge({ card, amountCents: 4500, idempotencyKey: `k-${randomUUID()}`, description: 'x' }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(CardProcessorError);
    expect(unreachable).toMatchObject({ retryable: true });

    // stripe-mock checks the request against Stripe's OpenAPI description: an amount that is not an integer is refused.
    const refused = await processor().charge({ card, amountCents: 45.5, idempotencyKey: `k-${randomUUID()}`, description: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CardProcessorError);
    expect(refused).toMatchObject({ retryable: false, httpStatus: 400 });
    expect(stripe.requests.at(-1)!.mockStatus).toBe(400);
  });

  it('refunds (part of) a PaymentIntent under the idempotency key', async () => {
    const key = `card-refund:${randomUUID()}`;
    const refund = await processor().refund({ chargeRef: 'pi_charged1', amountCents: 1500, idempotencyKey: key });
    expect(refund).toEqual({ refundRef: expect.stringMatching(/^re_/), status: 'succeeded' });
    expect(stripe.requests).toHaveLength(1);
    expect(stripe.requests[0]).toMatchObject({ method: 'POST', path: '/v1/refunds', mockStatus: 200, form: { payment_intent: 'pi_charged1', amount: '1500' } });
    expect(stripe.requests[0]!.headers['idempotency-key']).toBe(key);

    stripe.answerNext({ path: /^\/v1\/refunds$/, with: (fixture) => ({ body: { ...fixture, status: 'pending' } }) });
    expect((await processor().refund({ chargeRef: 'pi_charged1', amountCents: 1500, idempotencyKey: `${key}:2` })).status).toBe('pending');
  });
});
