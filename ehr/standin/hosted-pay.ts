/**
 * The processor's hosted payment page, as the stand-in plays it: the practice's `payment_page_url` locally.
 *   GET  /hosted-pay?ref=<signed reference>   the amount and a (demo) card form; no patient data at all
 *   POST /hosted-pay                          "charges the card": sends the signed `payment.captured` webhook (our
 *                                             collection id from the reference), then sends the patient back to the
 *                                             reference's return URL with the same `ref`
 * The reference is verified with the shared PAYMENT_LINK_SECRET (signature and expiry, lib/payment-link.ts). A
 * reference is charged at most once, however often the form is posted. The card number never leaves this page.
 */
import { createHash, randomBytes } from 'node:crypto';
import express, { Router, type Response } from 'express';
import { formatCents } from '../../domain/money';
import { verifyPaymentLink, withPaymentLink, type PaymentLinkPayload } from '../../lib/payment-link';
import type { Logger } from '../../lib/logger';
import type { EhrEvent } from '../events';
import { CONTENT_SECURITY_POLICY, html, page } from './html';
import type { Delivery } from './app';

export interface HostedPayDeps {
  secret: string;
  deliver(event: EhrEvent): Promise<Delivery>;
  now: () => Date;
  log: Logger;
}

/** The development secret, the same default as the API's PAYMENT_LINK_SECRET. */
export const DEV_PAYMENT_LINK_SECRET = 'dev-payment-link-secret';
const CARD = /^[0-9 ]{12,23}$/;

function sendPage(res: Response, status: number, body: string, returnOrigin?: string): void {
  const csp = returnOrigin ? CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${returnOrigin}`) : CONTENT_SECURITY_POLICY;
  res.status(status).set({
    'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store',
  }).send(body);
}

function payForm(ref: string, p: PaymentLinkPayload, error?: string): string {
  const back = withPaymentLink(p.r, ref, { cancelled: '1' });
  return page(error ? 'Error: Pay your bill' : 'Pay your bill', html`<h1>Pay ${p.n}</h1>
<section class="card" aria-labelledby="amount-heading">
<h2 id="amount-heading">Amount</h2>
<p class="amount">${formatCents(p.a)}</p>
<p class="hint">Payment processor stand-in: nothing is really charged.</p>
</section>
<section class="card" aria-labelledby="card-heading">
<h2 id="card-heading">Card</h2>
${error ? html`<div class="notice bad" role="alert"><p><a href="#cardNumber">${error}</a></p></div>` : ''}
<form method="post" action="/hosted-pay">
<input type="hidden" name="ref" value="${ref}">
<div class="field">
<label for="cardNumber">Card number</label>
<input type="text" id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="cc-number" value="4242 4242 4242 4242" required aria-describedby="cardNumber-hint"${error ? html` aria-invalid="true"` : ''}>
<p class="hint" id="cardNumber-hint">A demo card is filled in.</p>
</div>
<button type="submit">Pay ${formatCents(p.a)}</button>
</form>
<p><a href="${back}">Cancel and go back</a></p>
</section>`);
}

export function hostedPayRoutes(deps: HostedPayDeps): Router {
  const router = Router();
  /** Charged references, by collection id: a double click or a reload never charges twice. */
  const charged = new Map<string, { externalPaymentId: string; delivered: boolean }>();
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  function invalid(res: Response, reason: 'malformed' | 'bad_signature' | 'expired', p?: PaymentLinkPayload, ref?: string): void {
    if (reason === 'expired' && p && ref) {
      return sendPage(res, 410, page('Payment link expired', html`<h1>This payment link has expired</h1>
<section class="card"><p>For your security, payment links expire. Nothing was charged.</p>
<p><a href="${withPaymentLink(p.r, ref, { cancelled: '1' })}">Go back to ${p.n}</a> and start the payment again.</p></section>`));
    }
    sendPage(res, 400, page('Payment link not valid', html`<h1>This payment link is not valid</h1>
<section class="card"><p>Nothing was charged. Go back to your practice's website and start the payment again.</p></section>`));
  }

  router.get('/hosted-pay', (req, res) => {
    const ref = typeof req.query.ref === 'string' ? req.query.ref : undefined;
    const check = verifyPaymentLink(ref, [deps.secret], nowSeconds());
    if (!check.ok) {
      const late = check.reason === 'expired' ? verifyPaymentLink(ref, [deps.secret], nowSeconds(), Number.MAX_SAFE_INTEGER) : undefined;
      return invalid(res, check.reason, late?.ok ? late.payload : undefined, ref);
    }
    if (charged.has(check.payload.c)) return res.redirect(303, withPaymentLink(check.payload.r, ref!));
    sendPage(res, 200, payForm(ref!, check.payload), new URL(check.payload.r).origin);
  });

  router.post('/hosted-pay', express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const ref = typeof body.ref === 'string' ? body.ref : undefined;
    const check = verifyPaymentLink(ref, [deps.secret], nowSeconds());
    if (!check.ok) return invalid(res, check.reason);
    const p = check.payload;
    const returnTo = withPaymentLink(p.r, ref!);
    const origin = new URL(p.r).origin;
    const done = charged.get(p.c);
    if (done?.delivered) return res.redirect(303, returnTo);
    const card = typeof body.cardNumber === 'string' ? body.cardNumber.trim() : '';
    if (!done && (!CARD.test(card) || card.replace(/ /g, '').length < 12)) {
      return sendPage(res, 400, payForm(ref!, p, 'Enter a card number of 12 to 19 digits.'), origin);
    }

    // Charge once: the reference is marked before the (slow) delivery, so a second click finds it.
    const externalPaymentId = done?.externalPaymentId ?? `pay_${randomBytes(12).toString('hex')}`;
    charged.set(p.c, { externalPaymentId, delivered: false });
    const event: EhrEvent = {
      eventId: `evt_${randomBytes(12).toString('hex')}`, type: 'payment.captured', occurredAt: deps.now().toISOString(),
      data: {
        requestId: `hp_${createHash('sha256').update(ref!).digest('hex').slice(0, 24)}`, collectionId: p.c, externalPaymentId,
        amountCents: p.a, method: 'card', paidAt: deps.now().toISOString(),
      },
    };
    const delivery = await deps.deliver(event);
    deps.log.info({ collectionId: p.c, status: delivery.status }, 'hosted payment captured');
    if (delivery.status !== null && delivery.status >= 200 && delivery.status < 300) {
      charged.set(p.c, { externalPaymentId, delivered: true });
      return res.redirect(303, returnTo);
    }
    sendPage(res, 502, page('Payment taken', html`<h1>Your payment was taken</h1>
<section class="card notice bad" role="alert"><p>${p.n} has not confirmed it yet (${delivery.status === null ? delivery.error ?? 'not reachable' : `HTTP ${delivery.status}`}).
Do not pay again: the confirmation follows.</p>
<p><a href="${returnTo}">Continue to your receipt</a></p></section>`), origin);
  });

  return router;
}
