/**
 * The patient page's "Payment plan" card (issue 18; docs/card-on-file-and-plans.md "Payment plans"): the patient's live
 * plan (or the latest one): status, total and paid, the next installment, every installment with its due date, amount
 * and state; Skip / Pause / Resume / Cancel (front desk, billing: POST forms with the session's CSRF token, through the
 * plan's run: web/staff/payment-plan-routes.ts). Only the buttons the plan's state allows are shown.
 */
import type { PlanView } from '../../../app/payment-plans';
import { html, type SafeHtml } from '../../../lib/html';
import { numTd, th } from '../../table';
import { csrfField, formatDate, money, type PageContext } from '../layout';

const STATUS_WORDS: Record<PlanView['status'], string> = {
  active: 'Active', paused: 'Paused', cancelled: 'Cancelled', completed: 'Completed', defaulted: 'In default (back to statements)',
};
const STATE_WORDS: Record<PlanView['installments'][number]['state'], string> = {
  scheduled: 'Scheduled', pending: 'Being charged', paid: 'Paid', failed: 'Failed', skipped: 'Skipped (moved to the end)',
};

function actionButton(ctx: PageContext, planId: string, action: 'skip' | 'pause' | 'resume' | 'cancel', label: string, secondary = true): SafeHtml {
  return html`<form method="post" action="/staff/payment-plans/${planId}/${action}" class="inline">
${csrfField(ctx)}
<button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button>
</form>`;
}

/** The card, or nothing when the patient never had a plan. `plans` newest first. */
export function paymentPlanSection(ctx: PageContext, plans: PlanView[]): SafeHtml | '' {
  const plan = plans.find((p) => p.status === 'active' || p.status === 'paused') ?? plans[0];
  if (!plan) return '';
  const live = plan.status === 'active' || plan.status === 'paused';
  const mayAct = ctx.staff.role === 'front_desk' || ctx.staff.role === 'billing';
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
</section>`;
}
