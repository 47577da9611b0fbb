/** The work queue: open tasks per reason (chips), filters, the tasks oldest first with their credit's age, keyset pages. */
import { MANUAL_REASONS, REASON_LABELS } from '../../../domain/manual-tasks';
import { html, type SafeHtml } from '../../../lib/html';
import type { QueuePage } from '../../../app/work-queue';
import { th } from '../../table';
import { daysAgo, deadline, formatInstant, money, page, patientName, reasonBadge, statusBadge, type PageContext } from '../layout';

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
    const current = f.reason === r;
    const count = html`<span class="count${n === 0 ? ' zero' : ''}">${n}<span class="visually-hidden"> open</span></span>`;
    const href = queueUrl({ ...base, reason: current ? '' : r });
    return html`<li><a href="${href}"${current ? html` aria-current="true"` : ''}>${REASON_LABELS[r]} ${count}</a></li>`;
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
  const heads = [
    th('Opened'), th('Reason'), th('Patient'), th('Left to place', 'num'), th('Credit age (30-day refund deadline)'), th('Assigned to'),
    th(html`<span class="visually-hidden">Task</span>`),
  ];
  const openTasks = `${q.openTotal} open task${q.openTotal === 1 ? '' : 's'}`;
  return page({ title: 'Work queue', section: 'queue', ctx }, html`<h1>Work queue</h1>
<p class="lead">${openTasks}, oldest first. Money held for a patient must be refunded within 30 days of its payment date.</p>
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
<thead><tr>${heads}</tr></thead>
<tbody>${rows}</tbody>
</table>`}
<div class="pager">
${hasPrevious ? html`<a href="${queueUrl({ ...base, reason: f.reason })}">First page</a>` : ''}
${q.nextCursor ? html`<a href="${queueUrl({ ...base, reason: f.reason, cursor: q.nextCursor })}">Next page</a>` : ''}
</div>`);
}
