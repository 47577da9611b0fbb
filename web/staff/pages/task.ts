/**
 * A task: what it is about (the payment, the visit and its claim), assignment, the resolve form (billing), how it was
 * resolved, and its audit history in words.
 */
import type { ManualReason } from '../../../domain/application-rules';
import { REASON_LABELS, type CreditAge } from '../../../domain/manual-tasks';
import { html, type Interpolation, type SafeHtml } from '../../../lib/html';
import type { TaskView } from '../../../app/work-queue';
import {
  csrfField, daysAgo, deadline, formatDate, formatInstant, money, notice, page, patientName, secondaryButton, statusBadge, type Notice,
  type PageContext,
} from '../layout';
import { resolveForm, type ResolveFormState } from './task-resolve-form';

const RESOLUTION_TEXT: Record<string, string> = { applied: 'Applied to claims', credit: 'Kept as credit', refund: 'Refunded', closed: 'Closed' };

const whenIn = (iso: string, tz: string) => formatInstant(new Date(iso), tz);

function creditLine(c: CreditAge | null): Interpolation {
  if (!c) return '';
  return html`<dt>Credit age</dt><dd>${deadline(c)} <span class="muted small">(refund deadline ${formatDate(c.deadline)})</span></dd>`;
}

function outcome(v: TaskView): Interpolation {
  const t = v.task;
  if (t.status !== 'resolved') return '';
  const claims = new Map(v.claims.map((c) => [c.claimId, c]));
  const applications = v.outcome.applications.map((a) => {
    const c = claims.get(a.claimId) ?? (v.visit?.claim?.claimId === a.claimId ? v.visit.claim : undefined);
    const claim = c ? `${c.externalId} (${formatDate(c.dateOfService)})` : a.claimId;
    return html`<li>${money(a.amountCents)} to claim ${claim}${a.reversed ? ' — since reversed' : ''}</li>`;
  });
  const refunds = v.outcome.refunds.map((f) => {
    const ehrId = f.ehrRequest?.ehrRefundRequestId;
    const status = f.ehrRequest ? statusBadge(f.ehrRequest.status) : 'not queued';
    return html`<li>${money(f.amountCents)} · EHR request ${status}${ehrId ? html` <span class="muted small">(EHR id ${ehrId})</span>` : ''}</li>`;
  });
  return html`<section class="card" aria-labelledby="outcome-h">
<h2 id="outcome-h">Resolution</h2>
<dl class="facts">
<dt>Outcome</dt><dd>${RESOLUTION_TEXT[t.resolution ?? ''] ?? t.resolution}</dd>
<dt>By</dt><dd>${t.resolvedBy?.name ?? '—'}</dd>
<dt>When</dt><dd>${t.resolvedAt ? whenIn(t.resolvedAt, t.timeZone) : '—'}</dd>
<dt>Note</dt><dd>${t.resolutionNote ?? ''}</dd>
</dl>
${applications.length > 0 ? html`<h3>Applied</h3><ul>${applications}</ul>` : ''}
${refunds.length > 0 ? html`<h3>Refund</h3><ul>${refunds}</ul>
` : ''}
</section>`;
}

const HISTORY_WORDS: Record<string, string> = {
  'task.opened': 'Task opened', 'task.assigned': 'Assigned', 'task.unassigned': 'Unassigned', 'task.resolved': 'Resolved',
  'task.resolved_without_workflow': 'Resolved in the ledger (no workflow was waiting)',
};

/** An audit row's before → after in words: the fields that changed (ids left out), money as dollars. */
function changeWords(before: unknown, after: unknown, names: Map<string, string>): string {
  const b = (before && typeof before === 'object' ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
  const show = (key: string, value: unknown): string => {
    if (value === null || value === undefined) return '—';
    if (key === 'assignee' && typeof value === 'string') return names.get(value) ?? 'someone';
    if (key.endsWith('Cents') && typeof value === 'number') return money(value);
    if (key === 'reason' && typeof value === 'string') return REASON_LABELS[value as ManualReason] ?? value;
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  };
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !/Id$/.test(k) && k !== 'why');
  const changed = keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  const label = (k: string) => k.replace(/Cents$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return changed.map((k) => (k in b ? `${label(k)}: ${show(k, b[k])} → ${show(k, a[k])}` : `${label(k)}: ${show(k, a[k])}`)).join(' · ');
}

function history(v: TaskView): Interpolation {
  const names = new Map<string, string>([...(v.task.assignee ? [[v.task.assignee.staffId, v.task.assignee.name] as [string, string]] : [])]);
  for (const h of v.history) if (h.actor.startsWith('staff:') && h.actorName) names.set(h.actor.slice('staff:'.length), h.actorName);
  const items = v.history.map((h) => {
    const who = h.actorName ?? (h.actor.startsWith('system:') ? 'the workflow' : h.actor);
    return html`<li><strong>${HISTORY_WORDS[h.action] ?? h.action}</strong> · ${who} · ${whenIn(h.at, v.task.timeZone)}
<br><span class="change">${changeWords(h.before, h.after, names)}</span></li>`;
  });
  return html`<section class="card" aria-labelledby="history-h"><h2 id="history-h">History</h2>
<ol class="history">${items}</ol></section>`;
}

function paymentSection(v: TaskView): SafeHtml {
  const t = v.task;
  const p = v.payment;
  if (!p) {
    const why = t.reason === 'statement_unpaid'
      ? `the statement is unpaid (${money(t.amountCents)} due). Follow up with the patient, then close the task with a note.`
      : 'nothing to place.';
    return html`<section class="card" aria-labelledby="payment-h"><h2 id="payment-h">Payment</h2>
<p>No payment: ${why}</p>
</section>`;
  }
  const notVisitDay = v.visit && v.visit.dateOfService !== p.paymentDate && p.reason === 'copay'
    ? html` <span class="badge open">not the date of service</span>`
    : '';
  return html`<section class="card" aria-labelledby="payment-h"><h2 id="payment-h">Payment</h2>
<dl class="facts">
<dt>Amount</dt><dd>${money(p.amountCents)} <span class="muted small">${p.method}, ${p.reason === 'copay' ? 'copay' : 'outstanding balance'}</span></dd>
<dt>Paid</dt><dd>${formatInstant(new Date(p.paidAt), t.timeZone)}</dd>
<dt>Date of payment</dt><dd>${formatDate(p.paymentDate)}${notVisitDay}</dd>
<dt>Applied</dt><dd>${money(p.appliedCents)}</dd>
<dt>Refunded</dt><dd>${money(p.refundedCents)}</dd>
<dt>Left to place</dt><dd>${money(p.unappliedCents)}</dd>
${t.status === 'open' ? creditLine(t.credit) : ''}
<dt>EHR payment</dt><dd class="small">${p.externalId}</dd>
</dl>
</section>`;
}

function claimFacts(claim: NonNullable<NonNullable<TaskView['visit']>['claim']>): SafeHtml {
  const who = claim.responsibility === 'patient' ? 'the patient owes' : 'with the payer';
  const share = html`<span class="muted small">(patient responsibility ${money(claim.patientResponsibilityCents)})</span>`;
  return html`<dt>Claim</dt><dd>${claim.externalId} · ${who} ${money(claim.openCents)} ${share}</dd>`;
}

function visitSection(v: TaskView): SafeHtml {
  const t = v.task;
  const visit = v.visit
    ? html`<dl class="facts">
<dt>Date of service</dt><dd>${formatDate(v.visit.dateOfService)}</dd>
<dt>Provider</dt><dd>${v.visit.providerName ?? '—'}</dd>
<dt>Visit</dt><dd><a href="/staff/visits/${v.visit.visitId}">${v.visit.externalId} · superbill</a></dd>
${v.visit.claim ? claimFacts(v.visit.claim) : html`<dt>Claim</dt><dd>none yet</dd>`}
</dl>`
    : html`<p class="muted">This payment is not tied to a visit (outstanding balance).</p>`;
  const collection = t.collectionId ? html` · <a href="/staff/collections/${t.collectionId}">Collection</a>` : '';
  return html`<section class="card" aria-labelledby="visit-h"><h2 id="visit-h">Visit</h2>
${visit}
<p class="small"><a href="/staff/patients/${v.patient.patientId}">Patient billing page</a>${collection}</p>
${t.workflowId ? html`<p class="muted small">Workflow: <code>${t.workflowId}</code></p>` : ''}
</section>`;
}

/** A form that only posts (assign, unassign, send a refund again), with the session's CSRF token. */
const postForm = (ctx: PageContext, action: string, cls: string, body: Interpolation): SafeHtml =>
  html`<form method="post" action="${action}" class="${cls}">${csrfField(ctx)}${body}</form>`;

const BILLING_ONLY = html`<p>Only billing staff can resolve tasks. Ask billing to take this one.</p>`;

export function taskPage(ctx: PageContext, v: TaskView, o: { form?: ResolveFormState; notice?: Notice; status?: number } = {}): string {
  const t = v.task;
  const reason = REASON_LABELS[t.reason] ?? t.reason;
  const assignment = t.assignee
    ? html`Assigned to <strong>${t.assignee.staffId === ctx.staff.id ? 'you' : t.assignee.name}</strong>`
    : html`Assigned to nobody`;
  const assignForm = v.canAssign
    ? (t.assignee?.staffId === ctx.staff.id
      ? postForm(ctx, `/staff/tasks/${t.taskId}/unassign`, 'inline', secondaryButton('Unassign me'))
      : postForm(ctx, `/staff/tasks/${t.taskId}/assign`, 'inline', secondaryButton('Assign to me')))
    : '';
  const pendingRefund = v.outcome.refunds.some((f) => f.ehrRequest?.status === 'pending');
  const resendRefund = postForm(ctx, `/staff/tasks/${t.taskId}/refund-request`, 'card', html`<p>The refund request has not reached the EHR yet.</p>${
    secondaryButton('Send the refund request to the EHR again')}`);
  return page({ title: `Task: ${reason}`, section: 'queue', ctx }, html`<p class="crumbs"><a href="/staff/queue">← Work queue</a></p>
<h1>${reason} ${statusBadge(t.status)}</h1>
<p class="lead">${patientName(v.patient)} (${v.patient.externalId}) · opened ${daysAgo(t.ageDays)} · ${assignment} ${assignForm}</p>
${notice(o.notice)}
<div class="grid">
${paymentSection(v)}
${visitSection(v)}
</div>
${t.status === 'open' && v.allowedActions.length > 0 ? resolveForm(ctx, v, o.form ?? {}) : ''}
${t.status === 'open' && v.allowedActions.length === 0
    ? html`<section class="card" aria-labelledby="resolve-h"><h2 id="resolve-h">Resolve</h2>${BILLING_ONLY}</section>`
    : ''}
${outcome(v)}
${pendingRefund && ctx.staff.role !== 'front_desk' ? resendRefund : ''}
${history(v)}`);
}
