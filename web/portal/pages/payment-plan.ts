/**
 * The signed-in patient's payment plan (issue 18; docs/card-on-file-and-plans.md "Payment plans"):
 * - with a live plan: its status, total and paid, and every installment (due date, amount, state);
 * - otherwise, with an open balance and a yearly card authorisation: a form to pay the balance monthly, within the
 *   practice's limits (the smallest monthly payment, the longest plan): the card, the number of monthly payments or the
 *   amount of each, the first payment date. A refused field says why next to it.
 */
import { cardName } from '../../../app/card-on-file-pages';
import type { PlanSetup } from '../../../app/payment-plans';
import { formatCents } from '../../../domain/money';
import type { PlanFormValues } from '../../plan-form';
import { html, type SafeHtml } from '../../../lib/html';
import { described, errorSummary, fieldError, formatDate, layout, type FieldError } from '../layout';

type PortalPlanModel = PlanSetup;


export interface PaymentPlanPageModel {
  csrf: string;
  practiceName: string;
  firstName: string;
  data: PortalPlanModel;
  values?: PlanFormValues;
  errors?: FieldError[];
  created?: boolean;
}

const STATE = { scheduled: 'Scheduled', pending: 'Being charged', paid: 'Paid', failed: 'Not paid', skipped: 'Skipped' } as const;
const STATUS = { active: 'Active', paused: 'Paused by the office', cancelled: 'Cancelled', completed: 'Completed', defaulted: 'Ended' } as const;

function planSection(m: PaymentPlanPageModel, plan: NonNullable<PortalPlanModel['plan']>): SafeHtml {
  const rows = plan.installments.map((i) => html`<tr><td>${formatDate(i.dueDate)}</td>
<td class="num">${formatCents(i.amountCents)}</td><td>${STATE[i.state]}</td></tr>`);
  return html`<section class="card" aria-labelledby="plan-h">
<h2 id="plan-h">Your payment plan</h2>
<dl class="totals">
<dt>Status</dt><dd id="plan-status">${STATUS[plan.status]}</dd>
<dt>Total</dt><dd>${formatCents(plan.totalCents)}</dd>
<dt>Paid so far</dt><dd>${formatCents(plan.paidCents)}</dd>
<dt>Next payment</dt><dd id="plan-next">${plan.next ? html`${formatCents(plan.next.amountCents)} on ${formatDate(plan.next.dueDate)}` : '—'}</dd>
</dl>
<table><caption>Payments</caption><thead><tr><th scope="col">Date</th><th scope="col" class="num">Amount</th><th scope="col">State</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="small">Each payment is charged to your card on file on its date. To change the plan, please call ${m.practiceName}.</p>
</section>`;
}

function setupForm(m: PaymentPlanPageModel): SafeHtml {
  const d = m.data;
  const errors = m.errors ?? [];
  const v = m.values ?? {};
  const chosen = v.authorisationId ?? d.cards[0]?.authorisationId;
  const maxCount = Math.max(2, Math.min(d.maxMonths, Math.floor(d.openCents / Math.max(1, d.minInstallmentCents))));
  const cards = d.cards.map((c) => html`<label>
<input type="radio" name="authorisationId" value="${c.authorisationId}"${c.authorisationId === chosen ? html` checked` : ''}>
<span>${cardName(c)}</span></label>`);
  return html`<section class="card" aria-labelledby="setup-h">
<h2 id="setup-h">Pay ${formatCents(d.openCents)} in monthly payments</h2>
<p>Each monthly payment is at least ${formatCents(d.minInstallmentCents)} (the last one takes what is left), and the plan lasts at most ${d.maxMonths} months.
Payments are charged to your card on file on the same day each month.</p>
<form method="post" action="/portal/payment-plan" novalidate>
<input type="hidden" name="csrf" value="${m.csrf}">
<fieldset id="authorisationId"${described('authorisationId', errors)}><legend>Card</legend>
<p class="hint" id="authorisationId-hint">A card you authorised for a year.</p>
${fieldError('authorisationId', errors)}
${cards}
</fieldset>
<div class="field"><label for="installments">Number of monthly payments</label>
<p class="hint" id="installments-hint">From 2 to ${maxCount}. Or leave it empty and give the amount of each payment below.</p>
${fieldError('installments', errors)}
<input type="number" id="installments" name="installments" min="2" max="${maxCount}" inputmode="numeric"
 value="${v.installments ?? ''}"${described('installments', errors)}>
</div>
<div class="field"><label for="installmentCents">Or the amount of each payment</label>
<p class="hint" id="installmentCents-hint">In dollars, for example 50.00.</p>
${fieldError('installmentCents', errors)}
<input type="text" id="installmentCents" name="amount" inputmode="decimal" autocomplete="off" value="${v.amount ?? ''}"${described('installmentCents', errors)}>
</div>
<div class="field"><label for="firstDueDate">First payment on</label>
<p class="hint" id="firstDueDate-hint">Today or later.</p>
${fieldError('firstDueDate', errors)}
<input type="date" id="firstDueDate" name="firstDueDate" min="${d.today}" required value="${v.firstDueDate ?? d.today}"${described('firstDueDate', errors)}>
</div>
<button type="submit">Set up the payment plan</button>
</form>
</section>`;
}

export function paymentPlanPage(m: PaymentPlanPageModel): string {
  const d = m.data;
  const errors = m.errors ?? [];
  let content: SafeHtml;
  if (d.plan) content = planSection(m, d.plan);
  else if (d.openCents <= 0) content = html`<p>You have no balance to pay in installments.</p>`;
  else if (d.cards.length === 0) {
    content = html`<p>To pay in monthly payments, ${m.practiceName} needs a card you authorise for a year.
Please ask at the front desk, or pay your statement now.</p>`;
  } else content = setupForm(m);
  const body = html`<h1>Payment plan</h1>
${errorSummary(errors)}
${m.created ? html`<p class="notice ok" role="status">Your payment plan is set up. We will charge each payment on its date.</p>` : ''}
<p class="lead">${m.firstName}, you can pay what you owe ${m.practiceName} in monthly payments charged to your card on file.</p>
${content}
<p><a href="/portal/statement">Back to your statement</a></p>`;
  return layout({ title: `${errors.length > 0 ? 'Error: ' : ''}Payment plan`, heading: m.practiceName, csrf: m.csrf, signedIn: true }, body);
}
