/**
 * The staff pages, server-rendered: sign-in, the work queue, a task with its resolve form, the patient billing page
 * (Balance pane with Collect Now), the superbill's Copayment Collected panel (Collect Now), a collection, reports and
 * settings. Landmarks, headings in order, labels tied to inputs, errors tied to fields (aria-describedby), tables with
 * header cells; everything reachable and usable with the keyboard alone. No PHI in any URL: ids only.
 */
import type { OpenCredit } from '../../db/queries/reports';
import type { CollectionPage, CollectionSummary, PatientClaim, PatientProfile, VisitPanel, VisitSummary } from '../../db/queries/billing-pages';
import type { PracticeSettings } from '../../db/queries/practice-settings';
import type { ManualReason } from '../../domain/application-rules';
import { html, type Interpolation, type SafeHtml } from '../../lib/html';
import type { QueuePage, TaskView, CreditAge } from '../../api/work-queue';
import { MANUAL_REASONS, REASON_LABELS } from '../../api/work-queue';
import type { manualTasksReport, openCreditsReport } from '../../api/routes/staff-reports';
import { AGE_BUCKETS } from '../../api/routes/staff-reports';
import {
  csrfField, daysAgo, deadline, dollarsValue, formatDate, formatInstant, money, notice, page, patientName, reasonBadge, statusBadge,
  type Notice, type PageContext,
} from './layout';

// ── sign-in ───────────────────────────────────────────────────────────────────────────────────────────────────
export function signInPage(o: { failed?: boolean; signedOut?: boolean }): string {
  return page({ title: 'Sign in', section: 'none' }, html`<div class="signin card">
<h1>Staff sign-in</h1>
${o.failed ? notice({ kind: 'bad', title: 'That token was not accepted', text: 'Check it and try again. Tokens are issued per person by your practice admin.', focus: true }) : ''}
${o.signedOut ? notice({ kind: 'ok', title: 'You are signed out' }) : ''}
<form method="post" action="/staff/sign-in">
<div class="field">
<label for="token">Staff token</label>
<p class="hint" id="token-hint">Paste your personal token. It stays on this computer only as a sign-in session (8 hours).</p>
<input type="password" id="token" name="token" autocomplete="off" required aria-describedby="token-hint"${o.failed ? html` aria-invalid="true"` : ''}>
</div>
<button type="submit">Sign in</button>
</form>
</div>`);
}

// ── the queue ─────────────────────────────────────────────────────────────────────────────────────────────────
export interface QueueFilterValues { status: string; reason: string; assignee: string; age: string }

const AGE_CHOICES: [string, string][] = [['', 'Any age'], ['7', 'Older than 7 days'], ['14', 'Older than 14 days'], ['30', 'Older than 30 days']];

function queueUrl(f: Partial<QueueFilterValues> & { cursor?: string }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  const s = q.toString();
  return `/staff/queue${s ? `?${s}` : ''}`;
}

function select(name: string, label: string, value: string, options: [string, string][]): SafeHtml {
  return html`<div class="field"><label for="f-${name}">${label}</label>
<select id="f-${name}" name="${name}">${options.map(([v, l]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${l}</option>`)}</select></div>`;
}

export function queuePage(ctx: PageContext, q: QueuePage, f: QueueFilterValues, hasPrevious: boolean, tz: string): string {
  const base = { status: f.status === 'open' ? '' : f.status, assignee: f.assignee, age: f.age };
  const chips = MANUAL_REASONS.map((r) => {
    const n = q.countsByReason[r];
    return html`<li><a href="${queueUrl({ ...base, reason: f.reason === r ? '' : r })}"${f.reason === r ? html` aria-current="true"` : ''}>${REASON_LABELS[r]} <span class="count${n === 0 ? ' zero' : ''}">${n}<span class="visually-hidden"> open</span></span></a></li>`;
  });
  const rows = q.tasks.map((t) => html`<tr>
<td>${daysAgo(t.ageDays)}<br><span class="muted small">${formatInstant(new Date(t.createdAt), tz)}</span></td>
<td>${reasonBadge(t.reason)}${t.status === 'resolved' ? html` ${statusBadge('resolved')}` : ''}</td>
<td>${patientName(t.patient)}<br><span class="muted small">${t.patient.externalId}</span></td>
<td class="num">${money(t.amountCents)}</td>
<td>${t.status === 'open' ? deadline(t.credit) : html`<span class="muted">—</span>`}</td>
<td>${t.assignee ? t.assignee.name : html`<span class="muted">nobody</span>`}</td>
<td><a href="/staff/tasks/${t.taskId}">Open<span class="visually-hidden"> task: ${REASON_LABELS[t.reason]}, ${patientName(t.patient)}</span></a></td>
</tr>`);
  return page({ title: 'Work queue', section: 'queue', ctx }, html`<h1>Work queue</h1>
<p class="lead">${q.openTotal} open task${q.openTotal === 1 ? '' : 's'}, oldest first. Money held for a patient must be refunded within 30 days of its payment date.</p>
<h2 class="visually-hidden">Open tasks by reason</h2>
<ul class="chips" aria-label="Open tasks by reason">${chips}</ul>
<form method="get" action="/staff/queue" class="filters" aria-label="Filters">
${select('status', 'Status', f.status, [['open', 'Open'], ['resolved', 'Resolved'], ['all', 'All']])}
${select('reason', 'Reason', f.reason, [['', 'Any reason'], ...MANUAL_REASONS.map((r): [string, string] => [r, REASON_LABELS[r]])])}
${select('assignee', 'Assigned to', f.assignee, [['', 'Anyone'], ['me', 'Me'], ['none', 'Nobody']])}
${select('age', 'Waiting', f.age, AGE_CHOICES)}
<div class="actions"><button type="submit">Apply filters</button><a href="/staff/queue">Clear</a></div>
</form>
${q.tasks.length === 0 ? html`<p class="card">No tasks match these filters.</p>` : html`<table class="data queue">
<caption class="visually-hidden">Tasks, oldest first</caption>
<thead><tr><th scope="col">Opened</th><th scope="col">Reason</th><th scope="col">Patient</th><th scope="col" class="num">Left to place</th><th scope="col">Credit age (30-day refund deadline)</th><th scope="col">Assigned to</th><th scope="col"><span class="visually-hidden">Task</span></th></tr></thead>
<tbody>${rows}</tbody>
</table>`}
<div class="pager">
${hasPrevious ? html`<a href="${queueUrl({ ...base, reason: f.reason })}">First page</a>` : ''}
${q.nextCursor ? html`<a href="${queueUrl({ ...base, reason: f.reason, cursor: q.nextCursor })}">Next page</a>` : ''}
</div>`);
}

// ── a task ────────────────────────────────────────────────────────────────────────────────────────────────────
export interface ResolveFormState {
  action?: string;
  note?: string;
  /** Dollar text per claim id. */
  amounts?: Record<string, string>;
  refundAmount?: string;
  /** A rule the server refused (field + message; `claimId` when it is about one claim's amount). */
  error?: { field: string; message: string; claimId?: string };
}

const ACTION_TEXT: Record<string, [string, string]> = {
  apply: ["Apply to the patient's claims", 'Only claims the patient owns with an open balance; each amount up to its open balance.'],
  credit: ["Keep as credit on the patient's account", 'Mind the 30-day refund deadline.'],
  refund: ['Refund to the patient', 'The EHR is asked to return the money to the original payment.'],
  close: ['Close the task', 'No money is left to place; your note records the follow-up.'],
};

const RESOLUTION_TEXT: Record<string, string> = { applied: 'Applied to claims', credit: 'Kept as credit', refund: 'Refunded', closed: 'Closed' };

const whenIn = (iso: string, tz: string) => formatInstant(new Date(iso), tz);

function creditLine(c: CreditAge | null): Interpolation {
  if (!c) return '';
  return html`<dt>Credit age</dt><dd>${deadline(c)} <span class="muted small">(refund deadline ${formatDate(c.deadline)})</span></dd>`;
}

function resolveForm(ctx: PageContext, v: TaskView, s: ResolveFormState): Interpolation {
  const left = v.payment?.unappliedCents ?? 0;
  const actions = v.allowedActions;
  const chosen = s.action && (actions as string[]).includes(s.action) ? s.action : actions.length === 1 ? actions[0] : undefined;
  const err = s.error;
  const errFor = (field: string) => (err && (err.field === field || err.field.startsWith(`${field}.`)) ? err.message : undefined);
  const claimRows = v.claims.map((c) => {
    const id = `amount-${c.claimId}`;
    const message = err && err.claimId === c.claimId ? err.message : undefined;
    return html`<tr>
<td>${formatDate(c.dateOfService)}</td><td>${c.externalId}</td><td>${c.payerName ?? '—'}</td>
<td class="num">${money(c.patientResponsibilityCents)}</td><td class="num">${money(c.appliedCents)}</td><td class="num"><strong>${money(c.openCents)}</strong></td>
<td><label class="visually-hidden" for="${id}">Amount to apply to the claim of ${formatDate(c.dateOfService)} (open ${money(c.openCents)})</label>
<span class="prefix"><span aria-hidden="true">$</span><input type="text" inputmode="decimal" class="amount" id="${id}" name="amount.${c.claimId}" value="${s.amounts?.[c.claimId] ?? ''}" data-open-cents="${c.openCents}" autocomplete="off" aria-describedby="${id}-error"${message ? html` aria-invalid="true"` : ''}></span>
<p class="error" id="${id}-error"${message ? '' : html` hidden`}>${message ?? ''}</p></td>
</tr>`;
  });
  const radios = actions.map((a) => html`<label><input type="radio" name="action" value="${a}"${chosen === a ? html` checked` : ''}${actions.length === 1 ? html` required` : ''}><span><strong>${ACTION_TEXT[a]![0]}</strong><span class="hint">${ACTION_TEXT[a]![1]}</span></span></label>`);
  return html`<section class="card" aria-labelledby="resolve-h">
<h2 id="resolve-h">Resolve</h2>
${v.resolvesThrough === 'workflow'
    ? html`<p class="muted small">The collection's workflow is waiting for this decision; it completes as soon as you resolve.</p>`
    : html`<p class="muted small">No workflow waits for this task: your resolution is recorded directly in the ledger.</p>`}
${err ? notice({ kind: 'bad', title: 'This resolution was not accepted', text: err.message, focus: true }) : ''}
<form method="post" action="/staff/tasks/${v.task.taskId}/resolve" id="resolve-form" data-left-cents="${left}" novalidate>
${csrfField(ctx)}
<fieldset class="choices"><legend>${left > 0 ? `What should happen to the ${money(left)} left to place?` : 'Nothing is left to place'}</legend>${radios}</fieldset>
${actions.includes('apply') ? html`<fieldset data-for-action="apply"><legend>Amounts to apply</legend>
${v.claims.length === 0
    ? html`<p>This patient has no claim they own with an open balance. Keep the money as credit or refund it.</p>`
    : html`<table class="data"><caption class="visually-hidden">The patient's claims with an open balance</caption>
<thead><tr><th scope="col">Date of service</th><th scope="col">Claim</th><th scope="col">Payer</th><th scope="col" class="num">Patient owes</th><th scope="col" class="num">Paid</th><th scope="col" class="num">Open balance</th><th scope="col">Apply</th></tr></thead>
<tbody>${claimRows}</tbody></table>`}
</fieldset>` : ''}
${actions.includes('refund') ? html`<fieldset data-for-action="refund"><div class="field">
<label for="refundAmount">Amount to refund</label>
<p class="hint" id="refundAmount-hint">Up to ${money(left)}.</p>
<span class="prefix"><span aria-hidden="true">$</span><input type="text" inputmode="decimal" class="amount" id="refundAmount" name="refundAmount" value="${s.refundAmount ?? dollarsValue(left)}" autocomplete="off" aria-describedby="refundAmount-hint refundAmount-error"${errFor('refundCents') ? html` aria-invalid="true"` : ''}></span>
<p class="error" id="refundAmount-error"${errFor('refundCents') ? '' : html` hidden`}>${errFor('refundCents') ?? ''}</p>
</div></fieldset>` : ''}
<div class="field">
<label for="note">Note</label>
<p class="hint" id="note-hint">Required. Why this resolution, e.g. “patient confirmed the copay was for this visit”. Notes stay here; they are not sent to the EHR.</p>
<textarea id="note" name="note" maxlength="2000" required aria-describedby="note-hint note-error"${errFor('note') ? html` aria-invalid="true"` : ''}>${s.note ?? ''}</textarea>
<p class="error" id="note-error"${errFor('note') ? '' : html` hidden`}>${errFor('note') ?? ''}</p>
</div>
<p class="live-summary" id="resolve-live" aria-live="polite"></p>
<div class="actions"><button type="submit">Resolve task</button><a href="/staff/queue">Back to the queue</a></div>
</form>
</section>`;
}

function outcome(v: TaskView): Interpolation {
  const t = v.task;
  if (t.status !== 'resolved') return '';
  const claims = new Map(v.claims.map((c) => [c.claimId, c]));
  return html`<section class="card" aria-labelledby="outcome-h">
<h2 id="outcome-h">Resolution</h2>
<dl class="facts">
<dt>Outcome</dt><dd>${RESOLUTION_TEXT[t.resolution ?? ''] ?? t.resolution}</dd>
<dt>By</dt><dd>${t.resolvedBy?.name ?? '—'}</dd>
<dt>When</dt><dd>${t.resolvedAt ? whenIn(t.resolvedAt, t.timeZone) : '—'}</dd>
<dt>Note</dt><dd>${t.resolutionNote ?? ''}</dd>
</dl>
${v.outcome.applications.length > 0 ? html`<h3>Applied</h3><ul>${v.outcome.applications.map((a) => {
    const c = claims.get(a.claimId) ?? (v.visit?.claim?.claimId === a.claimId ? v.visit.claim : undefined);
    return html`<li>${money(a.amountCents)} to claim ${c ? `${c.externalId} (${formatDate(c.dateOfService)})` : a.claimId}${a.reversed ? ' — since reversed' : ''}</li>`;
  })}</ul>` : ''}
${v.outcome.refunds.length > 0 ? html`<h3>Refund</h3><ul>${v.outcome.refunds.map((f) => html`<li>${money(f.amountCents)} · EHR request ${f.ehrRequest ? statusBadge(f.ehrRequest.status) : 'not queued'}${f.ehrRequest?.ehrRefundRequestId ? html` <span class="muted small">(EHR id ${f.ehrRequest.ehrRefundRequestId})</span>` : ''}</li>`)}</ul>
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
  return html`<section class="card" aria-labelledby="history-h"><h2 id="history-h">History</h2>
<ol class="history">${v.history.map((h) => html`<li><strong>${HISTORY_WORDS[h.action] ?? h.action}</strong> · ${h.actorName ?? (h.actor.startsWith('system:') ? 'the workflow' : h.actor)} · ${whenIn(h.at, v.task.timeZone)}
<br><span class="change">${changeWords(h.before, h.after, names)}</span></li>`)}</ol></section>`;
}

export function taskPage(ctx: PageContext, v: TaskView, o: { form?: ResolveFormState; notice?: Notice; status?: number } = {}): string {
  const t = v.task;
  const p = v.payment;
  const assignment = t.assignee ? html`Assigned to <strong>${t.assignee.staffId === ctx.staff.id ? 'you' : t.assignee.name}</strong>` : html`Assigned to nobody`;
  const assignForm = v.canAssign
    ? (t.assignee?.staffId === ctx.staff.id
      ? html`<form method="post" action="/staff/tasks/${t.taskId}/unassign" class="inline">${csrfField(ctx)}<button type="submit" class="secondary">Unassign me</button></form>`
      : html`<form method="post" action="/staff/tasks/${t.taskId}/assign" class="inline">${csrfField(ctx)}<button type="submit" class="secondary">Assign to me</button></form>`)
    : '';
  const pendingRefund = v.outcome.refunds.some((f) => f.ehrRequest?.status === 'pending');
  return page({ title: `Task: ${REASON_LABELS[t.reason] ?? t.reason}`, section: 'queue', ctx }, html`<p class="crumbs"><a href="/staff/queue">← Work queue</a></p>
<h1>${REASON_LABELS[t.reason] ?? t.reason} ${statusBadge(t.status)}</h1>
<p class="lead">${patientName(v.patient)} (${v.patient.externalId}) · opened ${daysAgo(t.ageDays)} · ${assignment} ${assignForm}</p>
${notice(o.notice)}
<div class="grid">
<section class="card" aria-labelledby="payment-h"><h2 id="payment-h">Payment</h2>
${p ? html`<dl class="facts">
<dt>Amount</dt><dd>${money(p.amountCents)} <span class="muted small">${p.method}, ${p.reason === 'copay' ? 'copay' : 'outstanding balance'}</span></dd>
<dt>Paid</dt><dd>${formatInstant(new Date(p.paidAt), t.timeZone)}</dd>
<dt>Date of payment</dt><dd>${formatDate(p.paymentDate)}${v.visit && v.visit.dateOfService !== p.paymentDate && p.reason === 'copay' ? html` <span class="badge open">not the date of service</span>` : ''}</dd>
<dt>Applied</dt><dd>${money(p.appliedCents)}</dd>
<dt>Refunded</dt><dd>${money(p.refundedCents)}</dd>
<dt>Left to place</dt><dd>${money(p.unappliedCents)}</dd>
${t.status === 'open' ? creditLine(t.credit) : ''}
<dt>EHR payment</dt><dd class="small">${p.externalId}</dd>
</dl>` : html`<p>No payment: ${t.reason === 'statement_unpaid' ? `the statement is unpaid (${money(t.amountCents)} due). Follow up with the patient, then close the task with a note.` : 'nothing to place.'}</p>`}
</section>
<section class="card" aria-labelledby="visit-h"><h2 id="visit-h">Visit</h2>
${v.visit ? html`<dl class="facts">
<dt>Date of service</dt><dd>${formatDate(v.visit.dateOfService)}</dd>
<dt>Provider</dt><dd>${v.visit.providerName ?? '—'}</dd>
<dt>Visit</dt><dd><a href="/staff/visits/${v.visit.visitId}">${v.visit.externalId} · superbill</a></dd>
${v.visit.claim ? html`<dt>Claim</dt><dd>${v.visit.claim.externalId} · ${v.visit.claim.responsibility === 'patient' ? 'the patient owes' : 'with the payer'} ${money(v.visit.claim.openCents)} <span class="muted small">(patient responsibility ${money(v.visit.claim.patientResponsibilityCents)})</span></dd>` : html`<dt>Claim</dt><dd>none yet</dd>`}
</dl>` : html`<p class="muted">This payment is not tied to a visit (outstanding balance).</p>`}
<p class="small"><a href="/staff/patients/${v.patient.patientId}">Patient billing page</a>${t.collectionId ? html` · <a href="/staff/collections/${t.collectionId}">Collection</a>` : ''}</p>
${t.workflowId ? html`<p class="muted small">Workflow: <code>${t.workflowId}</code></p>` : ''}
</section>
</div>
${t.status === 'open' && v.allowedActions.length > 0 ? resolveForm(ctx, v, o.form ?? {}) : ''}
${t.status === 'open' && v.allowedActions.length === 0 ? html`<section class="card" aria-labelledby="resolve-h"><h2 id="resolve-h">Resolve</h2><p>Only billing staff can resolve tasks. Ask billing to take this one.</p></section>` : ''}
${outcome(v)}
${pendingRefund && ctx.staff.role !== 'front_desk' ? html`<form method="post" action="/staff/tasks/${t.taskId}/refund-request" class="card">${csrfField(ctx)}<p>The refund request has not reached the EHR yet.</p><button type="submit" class="secondary">Send the refund request to the EHR again</button></form>` : ''}
${history(v)}`);
}

// ── patients ──────────────────────────────────────────────────────────────────────────────────────────────────
export function patientsPage(ctx: PageContext, patients: { patientId: string; externalId: string; firstName: string; lastName: string; openCents: number }[]): string {
  return page({ title: 'Patients', section: 'patients', ctx }, html`<h1>Patients</h1>
<div class="field" hidden><label for="patient-filter">Find a patient</label>
<p class="hint" id="patient-filter-hint">Type part of a name or MRN. Nothing you type leaves this page.</p>
<input type="text" id="patient-filter" autocomplete="off" aria-describedby="patient-filter-hint" aria-controls="patients" hidden>
<p class="muted small" id="patient-count" aria-live="polite"></p></div>
<table class="data" id="patients"><caption class="visually-hidden">Patients of the practice</caption>
<thead><tr><th scope="col">Patient</th><th scope="col">MRN</th><th scope="col" class="num">Open balance</th><th scope="col"><span class="visually-hidden">Billing page</span></th></tr></thead>
<tbody>${patients.map((p) => html`<tr data-search="${`${p.firstName} ${p.lastName} ${p.lastName}, ${p.firstName} ${p.externalId}`.toLowerCase()}">
<td>${patientName(p)}</td><td>${p.externalId}</td><td class="num">${money(p.openCents)}</td>
<td><a href="/staff/patients/${p.patientId}">Billing page<span class="visually-hidden"> of ${patientName(p)}</span></a></td></tr>`)}</tbody>
</table>`);
}

export interface CollectFormState { amount?: string; claimIds?: string[]; error?: string }

export function patientPage(
  ctx: PageContext,
  o: { patient: PatientProfile; claims: PatientClaim[]; visits: VisitSummary[]; copays: CollectionSummary[]; balances: CollectionSummary[]; credits: OpenCredit[];
    tasks: { taskId: string; reason: string; createdAt: Date }[]; creditAge: (c: OpenCredit) => CreditAge; form?: CollectFormState; notice?: Notice },
): string {
  const owned = o.claims.filter((c) => c.responsibility === 'patient' && c.openCents > 0);
  const withPayer = o.claims.filter((c) => c.responsibility === 'payer');
  const open = owned.reduce((s, c) => s + c.openCents, 0);
  const live = o.balances.find((c) => c.status === 'starting' || c.status === 'awaiting_capture');
  const named = new Set(o.form?.claimIds ?? []);
  const copayOf = (visitId: string) => o.copays.find((c) => c.visitId === visitId && c.status !== 'expired' && c.status !== 'cancelled');
  const canCollect = true; // every staff role may start a collection
  return page({ title: `${o.patient.firstName} ${o.patient.lastName}`, section: 'patients', ctx }, html`<p class="crumbs"><a href="/staff/patients">← Patients</a></p>
<h1>${o.patient.firstName} ${o.patient.lastName}</h1>
<p class="lead">MRN ${o.patient.externalId} · born ${formatDate(o.patient.dateOfBirth)}</p>
${notice(o.notice)}
<div class="grid">
<section class="card" aria-labelledby="balance-h"><h2 id="balance-h">Balance</h2>
<p class="big">${money(open)}<span>open patient balance</span></p>
${owned.length > 0 ? html`<table class="data"><caption class="visually-hidden">Claims the patient owes</caption>
<thead><tr><th scope="col">Date of service</th><th scope="col">Claim</th><th scope="col" class="num">Charge</th><th scope="col" class="num">Insurance paid</th><th scope="col" class="num">Patient paid</th><th scope="col" class="num">Balance</th></tr></thead>
<tbody>${owned.map((c) => html`<tr><td>${formatDate(c.dateOfService)}</td><td>${c.externalId}</td><td class="num">${money(c.chargeCents)}</td><td class="num">${money(c.insurerPaidCents)}</td><td class="num">${money(c.appliedCents)}</td><td class="num"><strong>${money(c.openCents)}</strong></td></tr>`)}</tbody>
</table>` : html`<p class="muted">Nothing owed by the patient right now.</p>`}
${withPayer.length > 0 ? html`<p class="muted small">With the payer (not collectible from the patient yet): ${withPayer.map((c) => `${c.externalId} (${formatDate(c.dateOfService)})`).join(', ')}.</p>` : ''}
${live ? html`<div class="notice warn" role="status"><h2>A payment is already waiting in the EHR</h2><p>${money(live.requestedAmountCents)} · ${statusBadge(live.status)} · <a href="/staff/collections/${live.collectionId}">Open it to Process Payment</a></p></div>` : ''}
${canCollect ? html`<form method="post" action="/staff/patients/${o.patient.patientId}/collect" aria-labelledby="collect-h">
${csrfField(ctx)}
<h3 id="collect-h">Collect Now</h3>
${o.form?.error ? html`<p class="error" id="collect-error" role="alert">${o.form.error}</p>` : ''}
<div class="field"><label for="collect-amount">Amount</label>
<p class="hint" id="collect-amount-hint">Defaults to the open balance. The EHR's Patient Payment tool opens pre-filled for this patient (reason: Outstanding Balance).</p>
<span class="prefix"><span aria-hidden="true">$</span><input type="text" inputmode="decimal" class="amount" id="collect-amount" name="amount" value="${o.form?.amount ?? (open > 0 ? dollarsValue(open) : '')}" autocomplete="off" aria-describedby="collect-amount-hint${o.form?.error ? ' collect-error' : ''}"${o.form?.error ? html` aria-invalid="true"` : ''}></span></div>
${owned.length > 1 ? html`<fieldset class="choices"><legend>Pay these claims first <span class="hint">(optional; then oldest first)</span></legend>
${owned.map((c) => html`<label><input type="checkbox" name="claimId" value="${c.claimId}"${named.has(c.claimId) ? html` checked` : ''}><span>${formatDate(c.dateOfService)} · ${c.externalId} · ${money(c.openCents)}</span></label>`)}</fieldset>` : ''}
<button type="submit">Collect Now</button>
</form>` : ''}
</section>
<section class="card" aria-labelledby="credits-h"><h2 id="credits-h">Credits on account</h2>
${o.credits.length === 0 ? html`<p class="muted">No unapplied money.</p>` : html`<table class="data"><caption class="visually-hidden">Unapplied payments</caption>
<thead><tr><th scope="col">Paid</th><th scope="col" class="num">Unapplied</th><th scope="col">Age (30-day deadline)</th><th scope="col">Task</th></tr></thead>
<tbody>${o.credits.map((c) => html`<tr><td>${formatDate(c.paymentDate)}</td><td class="num">${money(c.unappliedCents)}</td><td>${deadline(o.creditAge(c))}</td><td>${c.openTask ? html`<a href="/staff/tasks/${c.openTask.taskId}">${REASON_LABELS[c.openTask.reason]}</a>` : '—'}</td></tr>`)}</tbody></table>`}
<h3>Open tasks</h3>
${o.tasks.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${o.tasks.map((t) => html`<li><a href="/staff/tasks/${t.taskId}">${REASON_LABELS[t.reason as ManualReason] ?? t.reason}</a> <span class="muted small">opened ${formatDate(t.createdAt.toISOString().slice(0, 10))}</span></li>`)}</ul>`}
</section>
</div>
<section class="card" aria-labelledby="visits-h"><h2 id="visits-h">Visits</h2>
<table class="data"><caption class="visually-hidden">Visits, newest first</caption>
<thead><tr><th scope="col">Date of service</th><th scope="col">Provider</th><th scope="col">Claim</th><th scope="col">Copay</th><th scope="col"><span class="visually-hidden">Superbill</span></th></tr></thead>
<tbody>${o.visits.map((v) => {
    const claim = o.claims.find((c) => c.visitId === v.visitId);
    const copay = copayOf(v.visitId);
    return html`<tr><td>${formatDate(v.dateOfService)}</td><td>${v.providerName ?? '—'}</td>
<td>${claim ? html`${claim.externalId} · ${claim.responsibility === 'patient' ? `patient owes ${money(claim.openCents)}` : 'with the payer'}` : html`<span class="muted">no claim yet</span>`}</td>
<td>${copay ? html`${money(copay.payment?.amountCents ?? copay.requestedAmountCents)} ${statusBadge(copay.status)}` : html`<span class="muted">—</span>`}</td>
<td><a href="/staff/visits/${v.visitId}">Superbill<span class="visually-hidden"> of ${formatDate(v.dateOfService)}</span></a></td></tr>`;
  })}</tbody></table>
</section>`);
}

export function visitPage(ctx: PageContext, o: { panel: VisitPanel; copays: CollectionSummary[]; form?: CollectFormState; notice?: Notice }): string {
  const { visit, patient, claim } = o.panel;
  const live = o.copays.find((c) => c.status !== 'expired' && c.status !== 'cancelled');
  return page({ title: `Superbill ${formatDate(visit.dateOfService)}`, section: 'patients', ctx }, html`<p class="crumbs"><a href="/staff/patients/${patient.patientId}">← ${patient.firstName} ${patient.lastName}</a></p>
<h1>Superbill · ${formatDate(visit.dateOfService)}</h1>
<p class="lead">${patient.firstName} ${patient.lastName} (${patient.externalId}) · ${visit.providerName ?? 'no provider'} · visit ${visit.externalId}</p>
${notice(o.notice)}
<div class="grid">
<section class="card" aria-labelledby="copay-h"><h2 id="copay-h">Copayment Collected</h2>
${o.copays.length > 0 ? html`<table class="data"><caption class="visually-hidden">Copay collections of this visit</caption>
<thead><tr><th scope="col">Started</th><th scope="col" class="num">Amount</th><th scope="col">Status</th><th scope="col">Date of payment</th><th scope="col"><span class="visually-hidden">Collection</span></th></tr></thead>
<tbody>${o.copays.map((c) => html`<tr><td>${formatInstant(c.createdAt, o.panel.timeZone)}</td><td class="num">${money(c.payment?.amountCents ?? c.requestedAmountCents)}</td><td>${statusBadge(c.status)}</td>
<td>${c.payment ? html`${formatDate(c.payment.paymentDate)}${c.payment.paymentDate !== visit.dateOfService ? html` <span class="badge open">≠ date of service</span>` : ''}` : '—'}</td>
<td><a href="/staff/collections/${c.collectionId}">Open<span class="visually-hidden"> collection</span></a>${c.openTaskId ? html` · <a href="/staff/tasks/${c.openTaskId}">Task</a>` : ''}</td></tr>`)}</tbody></table>` : html`<p class="muted">No copay collected for this visit yet.</p>`}
${live ? html`<p>${live.status === 'awaiting_capture' || live.status === 'starting' ? html`A copay request is open in the EHR: <a href="/staff/collections/${live.collectionId}">open it to Process Payment</a>.` : 'The copay for this visit has been collected.'}</p>` : html`<form method="post" action="/staff/visits/${visit.visitId}/collect" aria-labelledby="collect-h">
${csrfField(ctx)}
<h3 id="collect-h">Collect Now</h3>
${o.form?.error ? html`<p class="error" id="collect-error" role="alert">${o.form.error}</p>` : ''}
<div class="field"><label for="copay-amount">Copay amount</label>
<p class="hint" id="copay-amount-hint">The EHR's Patient Payment tool opens pre-filled for this patient and visit (reason: Copay). Take the payment on the date of service (${formatDate(visit.dateOfService)}), or it will need staff later.</p>
<span class="prefix"><span aria-hidden="true">$</span><input type="text" inputmode="decimal" class="amount" id="copay-amount" name="amount" value="${o.form?.amount ?? ''}" required autocomplete="off" aria-describedby="copay-amount-hint${o.form?.error ? ' collect-error' : ''}"${o.form?.error ? html` aria-invalid="true"` : ''}></span></div>
<button type="submit">Collect Now</button>
</form>`}
</section>
<section class="card" aria-labelledby="claim-h"><h2 id="claim-h">Claim</h2>
${claim ? html`<dl class="facts">
<dt>Claim</dt><dd>${claim.externalId}</dd>
<dt>Payer</dt><dd>${claim.payerName ?? '—'} <span class="muted small">(${claim.payerStatus})</span></dd>
<dt>Who owes the balance</dt><dd>${claim.responsibility === 'patient' ? 'the patient' : 'the payer (not transferred yet)'}</dd>
<dt>Charge</dt><dd>${money(claim.chargeCents)}</dd>
<dt>Insurance paid</dt><dd>${money(claim.insurerPaidCents)}</dd>
<dt>Patient responsibility</dt><dd>${money(claim.patientResponsibilityCents)}</dd>
<dt>Patient paid</dt><dd>${money(claim.appliedCents)}</dd>
<dt>Open</dt><dd>${money(claim.openCents)}</dd>
</dl>` : html`<p class="muted">No claim from the clearinghouse yet.</p>`}
</section>
</div>`);
}

const PATH_WORDS: Record<string, string> = { copay: 'Copay collection', balance: 'Outstanding-balance collection', statement: 'Statement payment' };

export function collectionPageHtml(
  ctx: PageContext,
  o: { c: CollectionPage; ledger: { payment?: { amountCents: number; method: string; paymentDate: string; externalPaymentId: string } | undefined; applications: { claimId: string; amountCents: number; kind: string; reversed: boolean }[]; tasks: { id: string; reason: string; status: string }[] }; notice?: Notice },
): string {
  const c = o.c;
  const waiting = c.status === 'starting' || c.status === 'awaiting_capture';
  return page({ title: PATH_WORDS[c.path] ?? 'Collection', section: 'patients', ctx }, html`<p class="crumbs"><a href="/staff/patients/${c.patient.patientId}">← ${c.patient.firstName} ${c.patient.lastName}</a>${c.visit ? html` · <a href="/staff/visits/${c.visit.visitId}">Superbill ${formatDate(c.visit.dateOfService)}</a>` : ''}</p>
<h1>${PATH_WORDS[c.path] ?? 'Collection'} · ${money(c.requestedAmountCents)} ${statusBadge(c.status)}</h1>
<p class="lead">${c.patient.firstName} ${c.patient.lastName} (${c.patient.externalId})${c.visit ? ` · visit of ${formatDate(c.visit.dateOfService)}` : ''} · started ${formatInstant(c.createdAt, c.timeZone)}</p>
${notice(o.notice)}
${waiting && c.paymentRequestUrl ? html`<section class="card" aria-labelledby="pay-h"><h2 id="pay-h">Process Payment</h2>
<p>The EHR's Patient Payment tool is ready, pre-filled for this patient${c.visit ? ' and visit' : ''} (${c.path === 'copay' ? 'reason: Copay' : 'reason: Outstanding Balance'}, ${money(c.requestedAmountCents)}). Take the card, cash or check there.</p>
<p><a class="button" href="${c.paymentRequestUrl}" target="_blank" rel="noopener noreferrer">Process Payment in the EHR<span class="visually-hidden"> (opens in a new tab)</span></a></p>
<p class="muted small">This page does not refresh itself: <a href="/staff/collections/${c.collectionId}">reload</a> after the payment to see it recorded.</p>
</section>` : ''}
<div class="grid">
<section class="card" aria-labelledby="payment-h"><h2 id="payment-h">Payment</h2>
${o.ledger.payment ? html`<dl class="facts"><dt>Amount</dt><dd>${money(o.ledger.payment.amountCents)} (${o.ledger.payment.method})</dd><dt>Date of payment</dt><dd>${formatDate(o.ledger.payment.paymentDate)}</dd><dt>EHR payment</dt><dd class="small">${o.ledger.payment.externalPaymentId}</dd></dl>
${o.ledger.applications.length > 0 ? html`<h3>Applied</h3><ul>${o.ledger.applications.map((a) => html`<li>${money(a.amountCents)} (${a.kind})${a.reversed ? ' — reversed' : ''}</li>`)}</ul>` : ''}` : html`<p class="muted">Not captured yet.</p>`}
</section>
<section class="card" aria-labelledby="tasks-h"><h2 id="tasks-h">Tasks</h2>
${o.ledger.tasks.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${o.ledger.tasks.map((t) => html`<li><a href="/staff/tasks/${t.id}">${REASON_LABELS[t.reason as ManualReason] ?? t.reason}</a> ${statusBadge(t.status)}</li>`)}</ul>`}
<p class="muted small">Workflow (Temporal UI): <code>${c.workflowId}</code></p>
</section>
</div>`);
}

// ── reports ───────────────────────────────────────────────────────────────────────────────────────────────────
export function reportsPage(ctx: PageContext, credits: Awaited<ReturnType<typeof openCreditsReport>>, tasks: Awaited<ReturnType<typeof manualTasksReport>>): string {
  return page({ title: 'Reports', section: 'reports', ctx }, html`<h1>Reports</h1>
<p class="lead">As of ${formatDate(credits.asOf)} (practice time). CSV files open in any spreadsheet: money in dollars with a cents column.</p>
<section class="card" aria-labelledby="credits-h"><h2 id="credits-h">Open credits</h2>
<p>${credits.totals.count} payment${credits.totals.count === 1 ? '' : 's'} with ${money(credits.totals.unappliedCents)} unapplied; ${credits.totals.overdueCount} past the ${credits.deadlineDays}-day refund deadline (${money(credits.totals.overdueCents)}).
<a href="/staff/reports/open-credits.csv" download>Download CSV</a></p>
${credits.credits.length === 0 ? '' : html`<table class="data"><caption class="visually-hidden">Open credits, oldest first</caption>
<thead><tr><th scope="col">Payment date</th><th scope="col">Patient</th><th scope="col" class="num">Paid</th><th scope="col" class="num">Unapplied</th><th scope="col">Age (30-day deadline)</th><th scope="col">Task</th></tr></thead>
<tbody>${credits.credits.map((c) => html`<tr><td>${formatDate(c.paymentDate)}</td><td>${patientName(c.patient)} <span class="muted small">${c.patient.externalId}</span></td><td class="num">${money(c.amountCents)}</td><td class="num">${money(c.unappliedCents)}</td><td>${deadline(c.credit)}</td><td>${c.openTask ? html`<a href="/staff/tasks/${c.openTask.taskId}">${REASON_LABELS[c.openTask.reason]}</a>` : '—'}</td></tr>`)}</tbody>
<tfoot><tr><th scope="row" colspan="3">Total</th><td class="num">${money(credits.totals.unappliedCents)}</td><td colspan="2"></td></tr></tfoot></table>`}
</section>
<section class="card" aria-labelledby="tasks-h"><h2 id="tasks-h">Open manual tasks by reason and age</h2>
<p>${tasks.totals.count} open task${tasks.totals.count === 1 ? '' : 's'}, ${money(tasks.totals.amountCents)} to place. <a href="/staff/reports/manual-tasks.csv" download>Download CSV</a></p>
<table class="data"><caption class="visually-hidden">Open tasks by reason and days waiting</caption>
<thead><tr><th scope="col">Reason</th>${AGE_BUCKETS.map((b) => html`<th scope="col" class="num">${b.label}</th>`)}<th scope="col" class="num">Total</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>${tasks.byReason.map((r) => html`<tr><th scope="row"><a href="/staff/queue?reason=${r.reason}">${r.label}</a></th>${AGE_BUCKETS.map((b) => html`<td class="num">${r.byAge[b.key]}</td>`)}<td class="num">${r.count}</td><td class="num">${money(r.amountCents)}</td></tr>`)}</tbody>
<tfoot><tr><th scope="row">Total</th>${AGE_BUCKETS.map((b) => html`<td class="num">${tasks.byReason.reduce((s, r) => s + r.byAge[b.key], 0)}</td>`)}<td class="num">${tasks.totals.count}</td><td class="num">${money(tasks.totals.amountCents)}</td></tr></tfoot>
</table>
</section>`);
}

// ── settings ──────────────────────────────────────────────────────────────────────────────────────────────────
export function settingsPage(ctx: PageContext, s: PracticeSettings, o: { value?: string; error?: string; saved?: boolean } = {}): string {
  return page({ title: 'Settings', section: 'settings', ctx }, html`<h1>Practice settings</h1>
<p class="lead">${s.name} · ${s.timeZone}</p>
${o.saved ? notice({ kind: 'ok', title: 'Saved', focus: true }) : ''}
<form method="post" action="/staff/settings" class="card">
${csrfField(ctx)}
<div class="field"><label for="threshold">Statement threshold</label>
<p class="hint" id="threshold-hint">A statement goes out only when the patient balance is above this amount.</p>
<span class="prefix"><span aria-hidden="true">$</span><input type="text" inputmode="decimal" class="amount" id="threshold" name="statementThreshold" value="${o.value ?? dollarsValue(s.statementThresholdCents)}" aria-describedby="threshold-hint${o.error ? ' threshold-error' : ''}"${o.error ? html` aria-invalid="true"` : ''}></span>
${o.error ? html`<p class="error" id="threshold-error">${o.error}</p>` : ''}</div>
<button type="submit">Save</button>
</form>`);
}
