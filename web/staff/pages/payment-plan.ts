/**
 * The patient page's "Payment plan" card (issue 18; docs/card-on-file-and-plans.md "Payment plans"): the patient's live
 * plan (or the latest one): status, total and paid, the next installment, every installment with its due date, amount
 * and state; Skip / Pause / Resume / Cancel (front desk, billing: POST forms with the session's CSRF token, through the
 * plan's run: web/staff/payment-plan-routes.ts). Only the buttons the plan's state allows are shown. Without a live
 * plan, with an open balance: the form to set one up on a yearly card authorisation (or what is missing for one).
 */
import { cardName } from '../../../app/card-on-file-pages';
import type { PlanSetup, PlanView } from '../../../app/payment-plans';
import { html, type SafeHtml } from '../../../lib/html';
import type { PlanEvery, PlanFormError, PlanFormValues } from '../../plan-form';
import { numTd, th } from '../../table';
import { choice, csrfField, describedBy, dollarsInput, errorLine, formatDate, money, type PageContext } from '../layout';

/** The setup form's values and refusals, shown again after a refusal (422). */
export interface PlanFormState { values: PlanFormValues; errors: PlanFormError[] }

const STATUS_WORDS: Record<PlanView['status'], string> = {
  active: 'Active', paused: 'Paused', cancelled: 'Cancelled', completed: 'Completed', defaulted: 'In default (back to statements)',
};
const STATE_WORDS: Record<PlanView['installments'][number]['state'], string> = {
  scheduled: 'Scheduled', pending: 'Being charged', paid: 'Paid', failed: 'Failed', skipped: 'Skipped (moved to the end, or not needed)',
};

function actionButton(ctx: PageContext, planId: string, action: 'skip' | 'pause' | 'resume' | 'cancel', label: string, secondary = true): SafeHtml {
  return html`<form method="post" action="/staff/payment-plans/${planId}/${action}" class="inline">
${csrfField(ctx)}
<button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button>
</form>`;
}

const EVERY_WORDS: Record<PlanEvery, string> = { month: 'Every month', '2weeks': 'Every two weeks', week: 'Every week' };

/** The form to set up a plan: the yearly card, how many installments (or how much each), how often, from when. */
function setupForm(ctx: PageContext, patientId: string, setup: PlanSetup, form: PlanFormState | undefined): SafeHtml {
  const v = form?.values ?? {};
  const err = (field: string) => form?.errors.find((e) => e.field === field)?.message;
  const chosen = v.authorisationId ?? setup.cards[0]?.authorisationId;
  const every = v.every && v.every in EVERY_WORDS ? v.every : 'month';
  const described = (field: string) => describedBy(field, err(field));
  const amountAttrs = html` autocomplete="off"${described('installmentCents')}`;
  const amountInput = dollarsInput({ id: 'installmentCents', name: 'amount', value: v.amount ?? '' }, amountAttrs);
  const everyChoices = (Object.keys(EVERY_WORDS) as PlanEvery[]).map((k) => choice('every', k, EVERY_WORDS[k], every === k));
  return html`<form method="post" action="/staff/patients/${patientId}/payment-plans" novalidate aria-labelledby="plan-setup-h">
${csrfField(ctx)}
<h3 id="plan-setup-h">Set up a payment plan for ${money(setup.openCents)}</h3>
<p class="hint">Each installment at least ${money(setup.minInstallmentCents)} (the last one takes what is left);
the plan lasts at most ${setup.maxMonths} months and ends before the card's authorisation does.
The installments are charged to the card on their dates; the plan's claims leave the statements meanwhile.</p>
${form && form.errors.length > 0 ? html`<div class="error" role="alert" id="plan-setup-error" tabindex="-1" data-focus-on-load><p>The plan was not set up:</p>
<ul>${[...new Map(form.errors.map((e) => [e.message, e])).values()].map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}</ul></div>` : ''}
<fieldset class="choices" id="authorisationId"${describedBy('authorisationId', err('authorisationId'), false)}><legend>Card (authorised for a year)</legend>
${setup.cards.map((c) => choice('authorisationId', c.authorisationId, cardName(c), c.authorisationId === chosen))}
${errorLine('authorisationId', err('authorisationId'))}</fieldset>
<div class="field"><label for="installments">Number of installments</label>
<p class="hint" id="installments-hint">Or leave it empty and give the amount of each installment.</p>
<input type="number" id="installments" name="installments" min="2" inputmode="numeric" value="${v.installments ?? ''}"${described('installments')}>
${errorLine('installments', err('installments'))}</div>
<div class="field"><label for="installmentCents">Or the amount of each installment</label>
<p class="hint" id="installmentCents-hint">In dollars, e.g. 50.00.</p>
${amountInput}
${errorLine('installmentCents', err('installmentCents'))}</div>
<fieldset class="choices" id="every"${describedBy('every', err('every'), false)}><legend>How often</legend>
${everyChoices}
${errorLine('every', err('every'))}</fieldset>
<div class="field"><label for="firstDueDate">First installment on</label>
<p class="hint" id="firstDueDate-hint">Today or later, on the practice's calendar.</p>
<input type="date" id="firstDueDate" name="firstDueDate" min="${setup.today}" required value="${v.firstDueDate ?? setup.today}"${described('firstDueDate')}>
${errorLine('firstDueDate', err('firstDueDate'))}</div>
<button type="submit">Set up the payment plan</button>
</form>`;
}

/** Without a live plan: the setup form, or why there is none (no balance, no yearly card); '' when nothing to say. */
function setupPart(ctx: PageContext, patientId: string, setup: PlanSetup | undefined, form: PlanFormState | undefined, mayAct: boolean): SafeHtml | '' {
  if (!setup || !mayAct || setup.openCents <= 0) return '';
  if (setup.cards.length === 0) {
    return html`<p class="hint" id="plan-needs-card">To set up a payment plan, the patient needs a card authorised for every visit for a year
(Save a card on file, on a superbill).</p>`;
  }
  return setupForm(ctx, patientId, setup, form);
}

/**
 * The card, or nothing when the patient never had a plan and none can be set up. `plans` newest first; `setup` (the
 * patient's balance, yearly cards and the practice's limits) when the patient has no live plan.
 */
export function paymentPlanSection(ctx: PageContext, patientId: string, plans: PlanView[], setup?: PlanSetup, form?: PlanFormState): SafeHtml | '' {
  const plan = plans.find((p) => p.status === 'active' || p.status === 'paused') ?? plans[0];
  const mayAct = ctx.staff.role === 'front_desk' || ctx.staff.role === 'billing';
  const live = plan !== undefined && (plan.status === 'active' || plan.status === 'paused');
  const setupHtml = live ? '' : setupPart(ctx, patientId, setup, form, mayAct);
  if (!plan) {
    return setupHtml ? html`<section class="card" aria-labelledby="payment-plan-h" id="payment-plan"><h2 id="payment-plan-h">Payment plan</h2>
${setupHtml}
</section>` : '';
  }
  const rows = plan.installments.map((i) => {
    const attempts = i.attempts > 1 ? html` <span class="muted small">(${i.attempts} attempts)</span>` : '';
    return html`<tr><td>${i.sequence}</td><td>${formatDate(i.dueDate)}</td>${numTd(money(i.amountCents))}<td>${STATE_WORDS[i.state]}${attempts}</td></tr>`;
  });
  const skippable = plan.installments.some((i) => i.state === 'scheduled' && i.attempts === 0);
  const buttons = live && mayAct ? html`<div class="actions">
${skippable ? actionButton(ctx, plan.planId, 'skip', 'Skip the next installment') : ''}
${plan.status === 'active' ? actionButton(ctx, plan.planId, 'pause', 'Pause') : actionButton(ctx, plan.planId, 'resume', 'Resume', false)}
${actionButton(ctx, plan.planId, 'cancel', 'Cancel the plan')}
</div>
<p class="hint">Skip moves the next installment to the end of the plan. Pause charges nothing until Resume; an installment that fell due
meanwhile is charged on Resume. Cancel stops the plan: what is left goes on the statements.</p>` : '';
  return html`<section class="card" aria-labelledby="payment-plan-h" id="payment-plan"><h2 id="payment-plan-h">Payment plan</h2>
<dl class="facts">
<dt>Status</dt><dd id="plan-status">${STATUS_WORDS[plan.status]}</dd>
<dt>Total</dt><dd>${money(plan.totalCents)} · ${money(plan.paidCents)} paid · ${plan.interval.description}</dd>
<dt>Next installment</dt><dd id="plan-next">${plan.next ? html`${money(plan.next.amountCents)} due ${formatDate(plan.next.dueDate)}` : '—'}</dd>
<dt>New charges</dt><dd>${plan.newCharges === 'join_plan' ? 'join this plan' : 'go on the next statement'}</dd>
${plan.failedInstallments > 0 ? html`<dt>Failed installments</dt><dd>${plan.failedInstallments} of ${plan.maxFailedInstallments} allowed</dd>` : ''}
</dl>
<table class="data"><caption class="visually-hidden">Installments</caption>
<thead><tr>${[th('#'), th('Due'), th('Amount', 'num'), th('State')]}</tr></thead>
<tbody>${rows}</tbody></table>
${buttons}
${setupHtml}
</section>`;
}
