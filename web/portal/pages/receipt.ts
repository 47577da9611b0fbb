/**
 * The receipt of a portal payment, once the capture is recorded; until then a page that refreshes itself, or says
 * the payment was not completed.
 */
import { formatCents, type Cents } from '../../../domain/money';
import { html } from '../../../lib/html';
import { layout } from '../layout';

export type ReceiptModel =
  | {
    state: 'received'; practiceName: string; amountCents: Cents; paidAt: string; confirmation: string; applied: 'applied' | 'staff' | 'applying';
    dueCents?: Cents; signedIn: boolean; csrf?: string;
  }
  | { state: 'pending'; practiceName: string; amountCents: Cents }
  | { state: 'not_completed'; practiceName: string; cancelled: boolean };

const APPLIED = {
  applied: 'Applied to your account',
  applying: 'Received; being applied to your account',
  staff: 'Received; our billing office will apply it to your account',
} as const;

export function receiptPage(m: ReceiptModel): string {
  if (m.state === 'pending') {
    return layout({ title: 'Confirming your payment', heading: m.practiceName, refreshSeconds: 2 }, html`<h1>Confirming your payment…</h1>
<p class="notice" role="status">We are waiting for ${m.practiceName}'s payment page to confirm your payment of ${
  formatCents(m.amountCents)}. This page updates by itself in a few seconds.</p>
<p>If it does not, reload the page. Please do not pay again.</p>`);
  }
  if (m.state === 'not_completed') {
    const what = m.cancelled
      ? 'You left the payment page without paying. Nothing was charged.'
      : 'This payment was not completed in time. Nothing was charged.';
    return layout({ title: 'Payment not completed', heading: m.practiceName }, html`<h1>Your payment was not completed</h1>
<p class="notice">${what}</p>
<p><a class="button" href="/portal/statement">Back to your statement</a></p>`);
  }
  const body = html`<h1>Thank you: payment received</h1>
<p class="notice ok" role="status">${m.practiceName} received your payment of ${formatCents(m.amountCents)}.</p>
<section class="card" aria-labelledby="receipt-heading">
<h2 id="receipt-heading">Receipt</h2>
<dl class="receipt">
<dt>Paid to</dt><dd>${m.practiceName}</dd>
<dt>Amount</dt><dd>${formatCents(m.amountCents)}</dd>
<dt>Date</dt><dd>${m.paidAt}</dd>
<dt>Confirmation number</dt><dd>${m.confirmation}</dd>
<dt>Status</dt><dd>${APPLIED[m.applied]}</dd>
${m.dueCents !== undefined ? html`<dt>Balance still due</dt><dd>${formatCents(m.dueCents)}</dd>` : ''}
</dl>
<p>Keep this page for your records: use your browser's Print command to print it.</p>
</section>
${m.signedIn ? html`<p><a href="/portal/statement">Back to your statement</a></p>` : html`<p><a href="/portal">Sign in to see your statement</a></p>`}`;
  return layout({ title: 'Payment received', heading: m.practiceName, csrf: m.csrf, signedIn: m.signedIn }, body);
}
