/** Reports (billing): open credits with their age against the 30-day refund deadline, open tasks by reason and age; CSV. */
import { html } from '../../../lib/html';
import type { manualTasksReport, openCreditsReport } from '../../../app/reports';
import { AGE_BUCKETS } from '../../../domain/manual-tasks';
import { REASON_LABELS } from '../../../domain/manual-tasks';
import { numTd, th } from '../../table';
import { deadline, formatDate, money, page, patientName, type PageContext } from '../layout';

export type OpenCreditsReport = Awaited<ReturnType<typeof openCreditsReport>>;
export type ManualTasksReport = Awaited<ReturnType<typeof manualTasksReport>>;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function reportsPage(ctx: PageContext, credits: OpenCreditsReport, tasks: ManualTasksReport): string {
  const ct = credits.totals;
  const tt = tasks.totals;
  const creditHeads = [th('Payment date'), th('Patient'), th('Paid', 'num'), th('Unapplied', 'num'), th('Age (30-day deadline)'), th('Task')];
  const creditRows = credits.credits.map((c) => {
    const patient = html`${patientName(c.patient)} <span class="muted small">${c.patient.externalId}</span>`;
    const task = c.openTask ? html`<a href="/staff/tasks/${c.openTask.taskId}">${REASON_LABELS[c.openTask.reason]}</a>` : '—';
    const cells = [
      html`<td>${formatDate(c.paymentDate)}</td><td>${patient}</td>`, numTd(money(c.amountCents)), numTd(money(c.unappliedCents)),
      html`<td>${deadline(c.credit)}</td><td>${task}</td>`,
    ];
    return html`<tr>${cells}</tr>`;
  });
  const creditTotal = html`<tr><th scope="row" colspan="3">Total</th><td class="num">${money(ct.unappliedCents)}</td><td colspan="2"></td></tr>`;
  const taskHeads = [th('Reason'), AGE_BUCKETS.map((b) => th(b.label, 'num')), th('Total', 'num'), th('Amount', 'num')];
  const taskRows = tasks.byReason.map((r) => {
    const reason = html`<th scope="row"><a href="/staff/queue?reason=${r.reason}">${r.label}</a></th>`;
    return html`<tr>${reason}${AGE_BUCKETS.map((b) => numTd(r.byAge[b.key]))}${numTd(r.count)}${numTd(money(r.amountCents))}</tr>`;
  });
  const taskTotals = AGE_BUCKETS.map((b) => numTd(tasks.byReason.reduce((s, r) => s + r.byAge[b.key], 0)));
  return page({ title: 'Reports', section: 'reports', ctx }, html`<h1>Reports</h1>
<p class="lead">As of ${formatDate(credits.asOf)} (practice time). CSV files open in any spreadsheet: money in dollars with a cents column.</p>
<section class="card" aria-labelledby="credits-h"><h2 id="credits-h">Open credits</h2>
<p>${plural(ct.count, 'payment')} with ${money(ct.unappliedCents)} unapplied; ${ct.overdueCount} past the ${credits.deadlineDays}-day refund deadline (${
  money(ct.overdueCents)}).
<a href="/staff/reports/open-credits.csv" download>Download CSV</a></p>
${credits.credits.length === 0 ? '' : html`<table class="data"><caption class="visually-hidden">Open credits, oldest first</caption>
<thead><tr>${creditHeads}</tr></thead>
<tbody>${creditRows}</tbody>
<tfoot>${creditTotal}</tfoot></table>`}
</section>
<section class="card" aria-labelledby="tasks-h"><h2 id="tasks-h">Open manual tasks by reason and age</h2>
<p>${plural(tt.count, 'open task')}, ${money(tt.amountCents)} to place. <a href="/staff/reports/manual-tasks.csv" download>Download CSV</a></p>
<table class="data"><caption class="visually-hidden">Open tasks by reason and days waiting</caption>
<thead><tr>${taskHeads}</tr></thead>
<tbody>${taskRows}</tbody>
<tfoot><tr><th scope="row">Total</th>${taskTotals}${numTd(tt.count)}${numTd(money(tt.amountCents))}</tr></tfoot>
</table>
</section>`);
}
