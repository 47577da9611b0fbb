/**
 * The card processor stand-in (development and tests only), mounted at /processor by the stand-in app: what
 * processor/standin-processor.ts talks to, shaped like a real processor's card-on-file API (Stripe's, simplified). In
 * memory: customers, setups, saved cards and charges. A card number never goes further than the card-entry form's
 * handler: a saved card is its brand, last 4, expiry and how the test number behaves.
 *
 *   POST /processor/v1/customers   {metadata?}                                → 201 {id: cus_…}
 *   POST /processor/v1/setups      {customer, metadata?}                      → 201 {id: seti_…, clientSecret, customer, status, url}
 *   GET  /processor/v1/setups/:id                                             → {id, customer, status, card: null | {paymentMethod,
 *                                                                                brand, last4, expMonth, expYear}}
 *   POST /processor/v1/charges     {customer, paymentMethod, amountCents, currency: usd, description, metadata?}
 *                                  → 201 {id: ch_…, status: succeeded, amountCents} or 402 {id, status: declined, declineCode}
 *   GET  /processor/v1/charges                                                → every charge attempt, oldest first
 *   POST /processor/v1/refunds     {charge, amountCents}                      → 201 {id: re_…, status: succeeded, charge, amountCents}
 * All of them: `Authorization: Bearer <token>`. POSTs honour `Idempotency-Key` (required for charges and refunds): the
 * same key again gets the very first answer (status and body, a decline included) and nothing happens twice; the same
 * key with other parameters: 422 (idempotency_key_reused). A refused request (400, 404) is not remembered.
 *
 *   GET  /processor/setup/:setupRef[?return_url=…]   the hosted card-entry page (what the patient types the card into);
 *   POST /processor/setup/:setupRef                  saves the card, then back to return_url with
 *                                                    `setup_intent=<id>&redirect_status=succeeded`, or a "card saved" page
 *   GET  /processor                                  the dashboard: customers' saved cards and charges (no card numbers)
 *
 * Test cards (any future expiry, any CVC): 4242 4242 4242 4242 and 5555 5555 5555 4444 succeed; 4000 0000 0000 0002
 * saves but every charge is declined card_declined; 4000 0000 0000 9995 insufficient_funds; 4000 0000 0000 0069
 * expired_card at charge; 4000 0027 6000 3184 authentication_required at charge. Any other number is refused.
 *
 * Faults, for the fault tests: `POST /processor/operator/outage {down}` (or `setDown`): every API call and page answers
 * 503, nothing recorded; `POST /processor/operator/lose-answers {count}` (or `loseAnswers`): the next `count` charges or
 * refunds are made but answered 500, as if the answer were lost (the retry under the same key must get the first
 * answer, never a second charge). Both with the bearer token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { formatCents, MAX_PAYMENT_CENTS } from '../../domain/money';
import { AppError, badRequest, notFound, unauthorized } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { CONTENT_SECURITY_POLICY, html, page } from './html';

export interface ProcessorStandinOptions {
  /** The bearer token callers must present (payflow's PROCESSOR_STANDIN_TOKEN). */
  token: string;
  /** Base of the card-entry page links it hands out: `${publicBaseUrl}/processor/setup/<setupRef>`. */
  publicBaseUrl: string;
  now?: () => Date;
  log: Logger;
}

export type CardBehaviour = 'succeeds' | 'card_declined' | 'insufficient_funds' | 'expired_card' | 'authentication_required';

/** A saved card: never its number. */
export interface StandinCard {
  paymentMethod: string;
  customer: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  /** What its charges do (from the test number it was saved with). */
  behaviour: CardBehaviour;
  savedAt: string;
}

export interface StandinSetup {
  id: string;
  clientSecret: string;
  customer: string;
  status: 'requires_payment_method' | 'succeeded';
  paymentMethod: string | null;
  metadata: Record<string, string>;
  createdAt: string;
}

export interface StandinCharge {
  id: string;
  customer: string;
  paymentMethod: string;
  amountCents: number;
  status: 'succeeded' | 'declined';
  declineCode?: Exclude<CardBehaviour, 'succeeds'>;
  refundedCents: number;
  description: string;
  metadata: Record<string, string>;
  idempotencyKey: string;
  createdAt: string;
}

export interface StandinRefund { id: string; charge: string; amountCents: number; status: 'succeeded'; idempotencyKey: string; createdAt: string }

export interface ProcessorStandin {
  router: Router;
  customers(): string[];
  setups(): StandinSetup[];
  cards(): StandinCard[];
  /** Every charge attempt (declined ones too), oldest first (copies). */
  charges(): StandinCharge[];
  refunds(): StandinRefund[];
  /** API requests received (any answer, 503s included): how often payflow asked. */
  requests(): number;
  /** While down, every API call and page answers 503 and nothing is recorded. */
  setDown(down: boolean): void;
  /** The next `n` charges or refunds are made, then answered 500 as if the answer were lost. */
  loseAnswers(n: number): void;
  /** What the card-entry page does, for tests: saves the test card on the setup; the saved card, or why not. */
  completeSetup(setupRef: string, cardNumber: string, expiry?: { month: number; year: number }): StandinCard;
}

/** The test numbers and what their charges do. */
export const TEST_CARDS: Readonly<Record<string, { brand: string; behaviour: CardBehaviour }>> = {
  '4242424242424242': { brand: 'visa', behaviour: 'succeeds' },
  '5555555555554444': { brand: 'mastercard', behaviour: 'succeeds' },
  '4000000000000002': { brand: 'visa', behaviour: 'card_declined' },
  '4000000000009995': { brand: 'visa', behaviour: 'insufficient_funds' },
  '4000000000000069': { brand: 'visa', behaviour: 'expired_card' },
  '4000002760003184': { brand: 'visa', behaviour: 'authentication_required' },
};

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const ID = /^[a-z]{2,4}_[0-9a-f]{24}$/;
const metadataSchema = z.record(z.string().max(40), z.string().max(500)).refine((m) => Object.keys(m).length <= 50, { error: 'must have at most 50 keys' });
const customerSchema = z.strictObject({ metadata: metadataSchema.optional() });
const setupSchema = z.strictObject({ customer: z.string().regex(ID, { error: 'must be a customer id' }), metadata: metadataSchema.optional() });
const chargeSchema = z.strictObject({
  customer: z.string().regex(ID, { error: 'must be a customer id' }),
  paymentMethod: z.string().regex(ID, { error: 'must be a payment method id' }),
  amountCents: z.number().int({ error: 'must be whole cents' }).min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS, { error: 'is too large' }),
  currency: z.literal('usd', { error: 'must be usd' }),
  description: z.string().min(1).max(500),
  metadata: metadataSchema.optional(),
});
const refundSchema = z.strictObject({
  charge: z.string().regex(ID, { error: 'must be a charge id' }),
  amountCents: z.number().int({ error: 'must be whole cents' }).min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS, { error: 'is too large' }),
});
const outageSchema = z.strictObject({ down: z.boolean() });
const loseSchema = z.strictObject({ count: z.number().int().min(0).max(100) });
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw badRequest(`Invalid ${what}: ${result.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}.`);
}

/** Luhn's check digit holds. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits.length >= 12 && sum % 10 === 0;
}

/** "12/29", "12 / 2029", "1/30" → month and four-digit year; undefined when not an expiry. */
export function parseExpiry(text: string): { month: number; year: number } | undefined {
  const m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
  if (!m) return undefined;
  const month = Number(m[1]);
  const year = m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  return month >= 1 && month <= 12 ? { month, year } : undefined;
}

class CardRefused extends Error {
  constructor(readonly field: 'cardNumber' | 'expiry', message: string) {
    super(message);
  }
}

export function createProcessorStandin(o: ProcessorStandinOptions): ProcessorStandin {
  const now = o.now ?? (() => new Date());
  const publicBase = o.publicBaseUrl.replace(/\/+$/, '');
  const customers = new Map<string, { id: string; metadata: Record<string, string>; createdAt: string }>();
  const setups = new Map<string, StandinSetup>();
  const cards = new Map<string, StandinCard>();
  const charges = new Map<string, StandinCharge>();
  const refunds: StandinRefund[] = [];
  /** Idempotency-Key → the first answer to it, and what it was asked. */
  const answers = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  let down = false;
  let toLose = 0;
  let requestCount = 0;
  const wantToken = createHash('sha256').update(o.token).digest();

  const unavailable = () => new AppError(503, 'unavailable', 'Service unavailable', 'The card processor stand-in is down (outage switch).', undefined, 1);
  const requireToken: RequestHandler = (req, _res, next) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), wantToken)) throw unauthorized();
    next();
  };
  const counted: RequestHandler = (_req, _res, next) => {
    requestCount++;
    if (down) throw unavailable();
    next();
  };
  const json = express.json({ limit: '32kb' });

  /**
   * Runs a POST once per Idempotency-Key: a repeat gets the first answer (a different request under the key: 422).
   * `run` validates first (throwing 4xx, nothing remembered), then does the work and returns its answer.
   */
  function idempotent(req: Request, res: Response, required: boolean, run: () => { status: number; body: unknown; lossy?: boolean }): void {
    const key = req.get('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw badRequest('Invalid Idempotency-Key: 1 to 255 printable ASCII characters.');
    if (required && key === undefined) throw badRequest('An Idempotency-Key header is required.');
    const fingerprint = createHash('sha256').update(JSON.stringify([req.baseUrl + req.path, req.body ?? null])).digest('hex');
    if (key !== undefined) {
      const seen = answers.get(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new AppError(422, 'idempotency_key_reused', 'Idempotency key reused', 'This Idempotency-Key was used with other parameters.');
        }
        res.status(seen.status).set('Idempotent-Replayed', 'true').json(seen.body);
        return;
      }
    }
    const answer = run();
    if (key !== undefined) answers.set(key, { fingerprint, status: answer.status, body: answer.body });
    if (answer.lossy && toLose > 0) {
      toLose--;
      throw new AppError(500, 'internal', 'Internal error', 'The answer was lost (loseAnswers).');
    }
    res.status(answer.status).json(answer.body);
  }

  const setupBody = (s: StandinSetup) => {
    const card = s.paymentMethod ? cards.get(s.paymentMethod) : undefined;
    return {
      id: s.id, customer: s.customer, status: s.status, url: `${publicBase}/processor/setup/${s.id}`,
      card: card ? { paymentMethod: card.paymentMethod, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear } : null,
    };
  };

  function completeSetup(setupRef: string, cardNumber: string, expiry?: { month: number; year: number }): StandinCard {
    const setup = setups.get(setupRef);
    if (!setup) throw notFound('setup');
    if (setup.status === 'succeeded') return cards.get(setup.paymentMethod!)!;
    const digits = cardNumber.replace(/[\s-]/g, '');
    if (!/^\d{12,19}$/.test(digits) || !luhnValid(digits)) throw new CardRefused('cardNumber', 'Enter a valid card number.');
    const test = TEST_CARDS[digits];
    if (!test) throw new CardRefused('cardNumber', 'This stand-in takes test cards only, e.g. 4242 4242 4242 4242.');
    const today = now();
    const exp = expiry ?? { month: 12, year: today.getUTCFullYear() + 3 };
    if (exp.year < today.getUTCFullYear() || (exp.year === today.getUTCFullYear() && exp.month < today.getUTCMonth() + 1) || exp.year > today.getUTCFullYear() + 20) {
      throw new CardRefused('expiry', 'Enter an expiry date in the future, as MM / YY.');
    }
    const card: StandinCard = {
      paymentMethod: newId('pm'), customer: setup.customer, brand: test.brand, last4: digits.slice(-4), expMonth: exp.month, expYear: exp.year,
      behaviour: test.behaviour, savedAt: today.toISOString(),
    };
    cards.set(card.paymentMethod, card);
    setup.status = 'succeeded';
    setup.paymentMethod = card.paymentMethod;
    o.log.info({ setupRef, paymentMethod: card.paymentMethod, brand: card.brand, last4: card.last4 }, 'card saved');
    return card;
  }

  const router = Router();

  // ── the API ──
  const api = Router();
  api.use(requireToken, counted, json);

  api.post('/customers', (req, res) => {
    idempotent(req, res, false, () => {
      const body = parse(customerSchema, req.body, 'customer');
      const customer = { id: newId('cus'), metadata: body.metadata ?? {}, createdAt: now().toISOString() };
      customers.set(customer.id, customer);
      return { status: 201, body: { id: customer.id } };
    });
  });

  api.post('/setups', (req, res) => {
    idempotent(req, res, false, () => {
      const body = parse(setupSchema, req.body, 'setup');
      if (!customers.has(body.customer)) throw badRequest('No such customer.', [{ field: 'customer', reason: 'is not a customer of this processor' }]);
      const id = newId('seti');
      const setup: StandinSetup = {
        id, clientSecret: `${id}_secret_${randomBytes(16).toString('hex')}`, customer: body.customer, status: 'requires_payment_method', paymentMethod: null,
        metadata: body.metadata ?? {}, createdAt: now().toISOString(),
      };
      setups.set(id, setup);
      return { status: 201, body: { ...setupBody(setup), clientSecret: setup.clientSecret } };
    });
  });

  api.get('/setups/:id', (req: Request<{ id: string }>, res) => {
    const setup = setups.get(req.params.id);
    if (!setup) throw notFound('setup');
    res.json(setupBody(setup));
  });

  api.post('/charges', (req, res) => {
    idempotent(req, res, true, () => {
      const body = parse(chargeSchema, req.body, 'charge');
      const card = cards.get(body.paymentMethod);
      if (!customers.has(body.customer)) throw notFound('customer');
      if (!card || card.customer !== body.customer) throw notFound('payment method of this customer');
      const charge: StandinCharge = {
        id: newId('ch'), customer: body.customer, paymentMethod: body.paymentMethod, amountCents: body.amountCents,
        status: card.behaviour === 'succeeds' ? 'succeeded' : 'declined', ...(card.behaviour === 'succeeds' ? {} : { declineCode: card.behaviour }),
        refundedCents: 0, description: body.description, metadata: body.metadata ?? {}, idempotencyKey: req.get('idempotency-key')!, createdAt: now().toISOString(),
      };
      charges.set(charge.id, charge);
      o.log.info({ chargeId: charge.id, amountCents: charge.amountCents, status: charge.status, declineCode: charge.declineCode }, 'charge');
      return charge.status === 'succeeded'
        ? { status: 201, body: { id: charge.id, status: 'succeeded', amountCents: charge.amountCents }, lossy: true }
        : { status: 402, body: { id: charge.id, status: 'declined', declineCode: charge.declineCode }, lossy: true };
    });
  });

  api.get('/charges', (_req, res) => {
    res.json({ charges: [...charges.values()] });
  });

  api.post('/refunds', (req, res) => {
    idempotent(req, res, true, () => {
      const body = parse(refundSchema, req.body, 'refund');
      const charge = charges.get(body.charge);
      if (!charge) throw notFound('charge');
      if (charge.status !== 'succeeded') throw badRequest('This charge was declined: there is nothing to refund.', [{ field: 'charge', reason: 'was declined' }]);
      if (body.amountCents > charge.amountCents - charge.refundedCents) {
        throw badRequest(`The refund is more than what is left of the charge (${charge.amountCents - charge.refundedCents} cents).`, [{ field: 'amountCents', reason: 'is more than what is left of the charge' }]);
      }
      charge.refundedCents += body.amountCents;
      const refund: StandinRefund = { id: newId('re'), charge: charge.id, amountCents: body.amountCents, status: 'succeeded', idempotencyKey: req.get('idempotency-key')!, createdAt: now().toISOString() };
      refunds.push(refund);
      o.log.info({ refundId: refund.id, chargeId: charge.id, amountCents: refund.amountCents }, 'refund');
      return { status: 201, body: { id: refund.id, status: refund.status, charge: charge.id, amountCents: refund.amountCents }, lossy: true };
    });
  });

  router.use('/v1', api);

  // ── the operator's switches (fault tests) ──
  router.post('/operator/outage', requireToken, json, (req, res) => {
    down = parse(outageSchema, req.body, 'outage switch').down;
    o.log.warn({ down }, 'processor stand-in outage switch');
    res.status(204).end();
  });
  router.post('/operator/lose-answers', requireToken, json, (req, res) => {
    toLose = parse(loseSchema, req.body, 'lose-answers switch').count;
    res.status(204).end();
  });

  // ── pages ──
  const sendPage = (res: Response, status: number, body: string, returnOrigin?: string) => {
    const csp = returnOrigin ? CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${returnOrigin}`) : CONTENT_SECURITY_POLICY;
    res.status(status).set({
      'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store',
    }).send(body);
  };
  /** The return address a caller put on the page link: http(s) only; anything else is ignored. */
  const returnUrlOf = (value: unknown): URL | undefined => {
    if (typeof value !== 'string' || value.length > 2000) return undefined;
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
    } catch {
      return undefined;
    }
  };
  const backTo = (url: URL, setupRef: string) => {
    const back = new URL(url);
    back.searchParams.set('setup_intent', setupRef);
    back.searchParams.set('redirect_status', 'succeeded');
    return back.toString();
  };
  const defaultExpiry = () => `12 / ${String((now().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;

  function entryPage(setup: StandinSetup, values: { cardNumber: string; expiry: string }, returnUrl?: URL, error?: CardRefused): string {
    const invalid = (field: CardRefused['field']) => (error?.field === field ? html` aria-invalid="true" aria-describedby="${field}-error"` : '');
    return page(error ? 'Error: Save your card' : 'Save your card', html`<h1>Save a card for future payments</h1>
<section class="card" aria-labelledby="card-heading">
<h2 id="card-heading">Card</h2>
<p class="hint">Card processor stand-in: use a test card. 4242 4242 4242 4242 is charged; 4000 0000 0000 0002 is declined;
4000 0000 0000 9995 has insufficient funds; 4000 0000 0000 0069 is expired at the charge. The practice never sees the number.</p>
${error ? html`<div class="notice bad" role="alert"><p><a href="#${error.field}">${error.message}</a></p></div>` : ''}
<form method="post" action="/processor/setup/${setup.id}">
${returnUrl ? html`<input type="hidden" name="return_url" value="${returnUrl.toString()}">` : ''}
<div class="field">
<label for="cardNumber">Card number</label>
<input type="text" id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="cc-number" value="${values.cardNumber}" required${invalid('cardNumber')}>
${error?.field === 'cardNumber' ? html`<p class="error" id="cardNumber-error">${error.message}</p>` : ''}
</div>
<div class="field">
<label for="expiry">Expiry (MM / YY)</label>
<input type="text" id="expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" value="${values.expiry}" required${invalid('expiry')}>
${error?.field === 'expiry' ? html`<p class="error" id="expiry-error">${error.message}</p>` : ''}
</div>
<div class="field">
<label for="cvc">Security code</label>
<input type="text" id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" value="123">
</div>
<button type="submit">Save card</button>
</form>
</section>`);
  }

  function savedPage(card: StandinCard): string {
    return page('Card saved', html`<h1>Card saved</h1>
<section class="card notice ok" role="status"><p>${card.brand === 'visa' ? 'Visa' : card.brand === 'mastercard' ? 'Mastercard' : card.brand} ending ${card.last4},
expires ${String(card.expMonth).padStart(2, '0')}/${String(card.expYear)}, is saved for future payments. You can close this page.</p></section>`);
  }

  router.get('/setup/:setupRef', (req: Request<{ setupRef: string }>, res) => {
    if (down) return sendPage(res, 503, page('Unavailable', html`<h1>Card entry is unavailable</h1><section class="card"><p>Try again in a few minutes.</p></section>`));
    const setup = setups.get(req.params.setupRef);
    if (!setup) return sendPage(res, 404, page('Not found', html`<h1>This card form is not valid</h1><section class="card"><p>Nothing was saved.</p></section>`));
    const returnUrl = returnUrlOf(req.query.return_url);
    if (setup.status === 'succeeded') {
      if (returnUrl) return res.redirect(303, backTo(returnUrl, setup.id));
      return sendPage(res, 200, savedPage(cards.get(setup.paymentMethod!)!));
    }
    sendPage(res, 200, entryPage(setup, { cardNumber: '', expiry: defaultExpiry() }, returnUrl), returnUrl?.origin);
  });

  router.post('/setup/:setupRef', express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), (req: Request<{ setupRef: string }>, res) => {
    if (down) return sendPage(res, 503, page('Unavailable', html`<h1>Card entry is unavailable</h1><section class="card"><p>Nothing was saved. Try again in a few minutes.</p></section>`));
    const setup = setups.get(req.params.setupRef);
    if (!setup) return sendPage(res, 404, page('Not found', html`<h1>This card form is not valid</h1><section class="card"><p>Nothing was saved.</p></section>`));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const returnUrl = returnUrlOf(body.return_url);
    const expiryText = text(body.expiry);
    try {
      const expiry = parseExpiry(expiryText);
      if (!expiry && setup.status !== 'succeeded') throw new CardRefused('expiry', 'Enter an expiry date in the future, as MM / YY.');
      const card = completeSetup(setup.id, text(body.cardNumber), expiry);
      if (returnUrl) return res.redirect(303, backTo(returnUrl, setup.id));
      sendPage(res, 200, savedPage(card));
    } catch (err) {
      if (!(err instanceof CardRefused)) throw err;
      // The number typed is not shown again (nor kept): the patient types it again.
      sendPage(res, 400, entryPage(setup, { cardNumber: '', expiry: expiryText }, returnUrl, err), returnUrl?.origin);
    }
  });

  router.get('/', (_req, res) => {
    const cardRows = [...cards.values()].reverse().map((c) => html`<tr><td>${c.customer}</td><td>${c.paymentMethod}</td><td>${c.brand} ${c.last4}</td><td>${String(c.expMonth).padStart(2, '0')}/${String(c.expYear)}</td><td>${c.behaviour}</td></tr>`);
    const chargeRows = [...charges.values()].reverse().map((c) => html`<tr><td>${c.id}</td><td>${c.createdAt}</td><td>${formatCents(c.amountCents)}</td><td>${c.status}${c.declineCode ? ` (${c.declineCode})` : ''}</td><td>${c.refundedCents ? formatCents(c.refundedCents) : ''}</td><td>${c.description}</td></tr>`);
    sendPage(res, down ? 503 : 200, page('Card processor', html`<h1>Card processor (stand-in)</h1>
${down ? html`<section class="card notice bad" role="alert"><p>The outage switch is on: every call answers 503.</p></section>` : ''}
<section class="card"><h2>Saved cards (${cards.size})</h2>
<table><thead><tr><th>Customer</th><th>Payment method</th><th>Card</th><th>Expiry</th><th>Charges</th></tr></thead><tbody>${cardRows}</tbody></table></section>
<section class="card"><h2>Charges (${charges.size}), newest first</h2>
<table><thead><tr><th>Charge</th><th>At</th><th>Amount</th><th>Result</th><th>Refunded</th><th>Description</th></tr></thead><tbody>${chargeRows}</tbody></table></section>`));
  });

  return {
    router,
    customers: () => [...customers.keys()],
    setups: () => [...setups.values()].map((s) => structuredClone(s)),
    cards: () => [...cards.values()].map((c) => ({ ...c })),
    charges: () => [...charges.values()].map((c) => structuredClone(c)),
    refunds: () => refunds.map((r) => ({ ...r })),
    requests: () => requestCount,
    setDown: (value) => {
      down = value;
    },
    loseAnswers: (n) => {
      toLose = n;
    },
    completeSetup: (setupRef, cardNumber, expiry) => {
      try {
        return completeSetup(setupRef, cardNumber, expiry);
      } catch (err) {
        if (err instanceof CardRefused) throw badRequest(err.message, [{ field: err.field, reason: err.message }]);
        throw err;
      }
    },
  };
}
