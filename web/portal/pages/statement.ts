/**
 * The signed-in patient's statement: the minimum necessary (first name, the statement lines, what is due) and the
 * pay form (all or part of the balance), or why it cannot be paid online.
 */
import { formatCents, type Cents } from '../../../domain/money';
import { html } from '../../../lib/html';
import { described, errorSummary, fieldError, formatDate, layout, type FieldError } from '../layout';
import { linesTable, type PortalLine } from '../lines';

export interface StatementPageModel {
  csrf: string;
  firstName: string;
  practiceName: string;
  statementDate: string;
  status: 'open' | 'paid' | 'unpaid';
  lines: PortalLine[];
  totalCents: Cents;
  paidCents: Cents;
  dueCents: Cents;
  /** The line about the patient's live payment plan, whose claims this statement leaves out. */
  planNote?: string;
  /** The amount field's value (dollars text). */
  amount: string;
  errors?: FieldError[];
  /** A problem that is not about a field (e.g. the payment could not be started). */
  problem?: string;
}

export function statementPage(m: StatementPageModel): string {
  const errors = m.errors ?? [];
  const payable = m.status === 'open' && m.dueCents > 0;
  const amountInput = html`<input type="text" class="amount" inputmode="decimal" id="amount" name="amount" value="${m.amount}" autocomplete="off" required${
    described('amount', errors)}>`;
  const pay = payable
    ? html`<form method="post" action="/portal/pay" novalidate>
<input type="hidden" name="csrf" value="${m.csrf}">
<div class="field">
<label for="amount">Amount to pay</label>
<p class="hint" id="amount-hint">Pay all of it or part of it: up to ${formatCents(m.dueCents)}.</p>
${fieldError('amount', errors)}
<div class="prefix"><span aria-hidden="true">$</span>${amountInput}</div>
</div>
<p>Next you go to ${m.practiceName}'s secure payment page to pay by card. We never see your card number.</p>
<button type="submit">Continue to payment</button>
</form>`
    : m.status === 'paid' || m.dueCents === 0
      ? html`<p class="notice ok">This statement is paid in full. Thank you.</p>`
      : html`<p class="notice">This statement can no longer be paid online. Please call ${m.practiceName}'s billing office.</p>`;
  const problem = m.problem
    ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>We could not start your payment</h2><p>${m.problem}</p></div>`
    : errorSummary(errors);
  const body = html`<h1>Hello, ${m.firstName}</h1>
${problem}
<p class="lead">Your statement from ${m.practiceName}, dated ${formatDate(m.statementDate)}.</p>
<section class="card" aria-labelledby="lines-heading">
<h2 id="lines-heading">What you owe</h2>
${linesTable(m.lines, m.totalCents, 'Your statement, line by line')}
<dl class="totals">
${m.paidCents > 0 ? html`<dt>Paid online since this statement</dt><dd>−${formatCents(m.paidCents)}</dd>` : ''}
<dt class="due">Balance due now</dt><dd class="due">${formatCents(m.dueCents)}</dd>
</dl>
${m.planNote ? html`<p class="notice" id="payment-plan-note">${m.planNote} <a href="/portal/payment-plan">Your payment plan</a></p>` : ''}
</section>
<section class="card" aria-labelledby="pay-heading">
<h2 id="pay-heading">Pay online</h2>
${pay}
</section>
<p><a href="/portal/statement/print">View or print your statement</a> · <a href="/portal/preferences">How we contact you</a>
 · <a href="/portal/card-on-file">Your card on file</a></p>`;
  const title = m.problem || errors.length > 0 ? 'Error: your statement' : 'Your statement';
  return layout({ title, heading: m.practiceName, csrf: m.csrf, signedIn: true }, body);
}
