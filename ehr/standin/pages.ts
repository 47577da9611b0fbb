/** The stand-in's pages: the EHR's Patient Payment tool opened pre-filled, and the result of a capture. */
import { formatCents } from '../../domain/money';
import type { PaymentRequestInput } from '../adapter';
import type { PaymentMethod } from '../events';
import { html, page, type SafeHtml } from './html';

export interface PayPageModel {
  requestId: string;
  input: PaymentRequestInput;
  status: 'open' | 'captured' | 'cancelled';
  practiceName: string;
  patientName: string;
  dateOfService: string | undefined;
  timeZone: string;
  captures: { externalPaymentId: string; amountCents: number; method: PaymentMethod; paidAt: string }[];
}

export interface FormValues { method: string; paidAt: string; amount: string }
export type FormErrors = Partial<Record<keyof FormValues, string>>;

const REASONS = { copay: 'Copay', outstanding_balance: 'Outstanding Balance' } as const;
const METHODS: { value: PaymentMethod; label: string }[] = [
  { value: 'card', label: 'Card' },
  { value: 'cash', label: 'Cash' },
  { value: 'check', label: 'Check' },
];
const STATUS = { open: 'Open', captured: 'Captured', cancelled: 'Cancelled' } as const;

export const centsToDollarsText = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/** "45", "45.5", "45.00", "$1,234.56" → cents, with string arithmetic only; undefined if it is not an amount. */
export function dollarsTextToCents(text: string): number | undefined {
  const m = /^\$?(\d{1,3}(?:,\d{3})+|\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const dollars = Number((m[1] ?? '').replace(/,/g, ''));
  const cents = Number((m[2] ?? '').padEnd(2, '0'));
  return dollars * 100 + cents;
}

function summary(m: PayPageModel): SafeHtml {
  const visit = m.input.visitExternalId === null
    ? 'None (outstanding balance)'
    : m.dateOfService ? `${m.input.visitExternalId}, date of service ${m.dateOfService}` : m.input.visitExternalId;
  return html`<section class="card" aria-labelledby="summary-heading">
<h2 id="summary-heading">Payment request</h2>
<dl>
<dt>Practice</dt><dd>${m.practiceName}</dd>
<dt>Patient</dt><dd>${m.patientName}</dd>
<dt>Visit</dt><dd>${visit}</dd>
<dt>Reason</dt><dd>${REASONS[m.input.reason]}</dd>
<dt>Amount</dt><dd class="amount">${formatCents(m.input.amountCents)}</dd>
<dt>Status</dt><dd>${STATUS[m.status]}</dd>
<dt>Request</dt><dd>${m.requestId}</dd>
</dl>
</section>`;
}

function fieldError(id: string, message: string | undefined): SafeHtml {
  return message ? html`<p class="error" id="${id}-error">${message}</p>` : html``;
}

function describedBy(id: string, errors: FormErrors, hint: boolean): string {
  const ids = [hint ? `${id}-hint` : '', errors[id as keyof FormValues] ? `${id}-error` : ''].filter(Boolean);
  return ids.join(' ');
}

function captureForm(m: PayPageModel, values: FormValues, errors: FormErrors): SafeHtml {
  const errorList = Object.entries(errors).filter(([, msg]) => msg);
  const copayHint = m.input.reason === 'copay' && m.dateOfService
    ? ` For a copay, use the date of service (${m.dateOfService}) so it applies automatically.`
    : '';
  return html`<section class="card" aria-labelledby="form-heading">
<h2 id="form-heading">${m.status === 'captured' ? 'Capture another payment' : 'Capture payment'}</h2>
${errorList.length > 0
    ? html`<div class="notice bad" role="alert" id="form-errors"><p><strong>Please correct ${errorList.length === 1 ? 'this field' : 'these fields'}:</strong></p><ul>${errorList.map(([field, msg]) => html`<li><a href="#${field}">${msg}</a></li>`)}</ul></div>`
    : ''}
<form method="post" action="/pay/${encodeURIComponent(m.requestId)}/capture">
<fieldset${errors.method ? html` aria-describedby="method-error"` : ''}>
<legend>Payment method</legend>
${METHODS.map((opt, i) => html`<label class="choice"><input type="radio" name="method" value="${opt.value}"${i === 0 ? html` id="method"` : ''}${values.method === opt.value ? html` checked` : ''} required> ${opt.label}</label>`)}
${fieldError('method', errors.method)}
</fieldset>
<div class="field">
<label for="paidAt">Date and time of payment</label>
<input type="datetime-local" id="paidAt" name="paidAt" value="${values.paidAt}" required aria-describedby="${describedBy('paidAt', errors, true)}"${errors.paidAt ? html` aria-invalid="true"` : ''}>
<p class="hint" id="paidAt-hint">Practice time (${m.timeZone}).${copayHint}</p>
${fieldError('paidAt', errors.paidAt)}
</div>
<div class="field">
<label for="amount">Amount in US dollars</label>
<input type="text" inputmode="decimal" autocomplete="off" id="amount" name="amount" value="${values.amount}" required aria-describedby="${describedBy('amount', errors, true)}"${errors.amount ? html` aria-invalid="true"` : ''}>
<p class="hint" id="amount-hint">Requested: ${formatCents(m.input.amountCents)}.</p>
${fieldError('amount', errors.amount)}
</div>
<input type="hidden" name="timeZone" value="${m.timeZone}">
<button type="submit">Capture payment</button>
</form>
</section>`;
}

function capturesList(m: PayPageModel): SafeHtml {
  if (m.captures.length === 0) return html``;
  return html`<section class="card notice ok" aria-labelledby="captured-heading">
<h2 id="captured-heading">Captured</h2>
<ul>${m.captures.map((c) => html`<li>${formatCents(c.amountCents)} by ${c.method} at ${c.paidAt} (payment ${c.externalPaymentId})</li>`)}</ul>
</section>`;
}

export function payPage(m: PayPageModel, values: FormValues, errors: FormErrors = {}): string {
  const body = html`<h1>Patient Payment</h1>
${summary(m)}
${capturesList(m)}
${m.status === 'cancelled'
    ? html`<section class="card notice bad"><h2>Cancelled</h2><p>This payment request was cancelled. It can no longer be captured.</p></section>`
    : captureForm(m, values, errors)}`;
  return page(errors && Object.keys(errors).length > 0 ? 'Error: Patient Payment' : 'Patient Payment', body);
}

export interface CaptureOutcome {
  eventId: string;
  externalPaymentId: string;
  amountCents: number;
  method: PaymentMethod;
  paidAt: string;
  delivery: { status: number | null; error?: string };
}

export function resultPage(requestId: string, o: CaptureOutcome): string {
  const accepted = o.delivery.status !== null && o.delivery.status >= 200 && o.delivery.status < 300;
  const verdict = o.delivery.status === null
    ? html`<p><strong>Payflow could not be reached</strong> (${o.delivery.error ?? 'no answer'}). The payment was captured; the event can be delivered again.</p>`
    : accepted
      ? html`<p><strong>Payflow accepted the payment</strong> (HTTP ${o.delivery.status}).</p>`
      : html`<p><strong>Payflow did not accept the payment</strong> (HTTP ${o.delivery.status}).</p>`;
  const body = html`<h1>Payment captured</h1>
<section class="card notice ${accepted ? 'ok' : 'bad'}" role="status" aria-labelledby="result-heading">
<h2 id="result-heading">Delivery to Payflow</h2>
${verdict}
</section>
<section class="card" aria-labelledby="details-heading">
<h2 id="details-heading">Details</h2>
<dl>
<dt>Amount</dt><dd>${formatCents(o.amountCents)}</dd>
<dt>Method</dt><dd>${o.method}</dd>
<dt>Paid at</dt><dd>${o.paidAt}</dd>
<dt>Payment</dt><dd>${o.externalPaymentId}</dd>
<dt>Event</dt><dd>${o.eventId}</dd>
</dl>
</section>
<p><a href="/pay/${encodeURIComponent(requestId)}">Back to the payment request</a></p>`;
  return page(accepted ? 'Payment captured' : 'Payment captured, not accepted', body);
}

export function messagePage(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><section class="card"><p>${message}</p></section>`);
}
