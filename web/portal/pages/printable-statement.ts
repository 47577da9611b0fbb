/**
 * The printable statement: the paper statement (name, account id, lines with why the patient owes each claim, amount
 * due, how to pay online, the payment stub), a letter-size page on paper and a sheet on screen (static/statement.css). It appears only to a signed-in
 * patient or to staff.
 */
import { formatCents, type Cents } from '../../../domain/money';
import { html, htmlDocument } from '../../../lib/html';
import { numTd, th } from '../../table';
import { formatDate } from '../../format';
import { changedNote, lineBalance, lineRowClass, whyRow, type PortalLine } from '../lines';

export interface PrintableStatement {
  practiceName: string;
  patientName: string;
  accountId: string;
  statementDate: string;
  lines: PortalLine[];
  totalCents: Cents;
  paidCents: Cents;
  dueCents: Cents;
  portalUrl: string;
  /** The line about the patient's live payment plan, whose claims this statement leaves out. */
  planNote?: string;
  /** Where the "back" link of the screen toolbar goes; none on the staff copy. */
  backHref?: string;
}

export function printableStatementPage(s: PrintableStatement): string {
  const heads = [
    th('Date of service'), th('Procedure'), th('Charge', 'num'), th('Insurance paid', 'num'), th('Adjustments', 'num'), th('Patient paid', 'num'),
    th('Patient balance', 'num'),
  ];
  const rows = s.lines.map((l) => html`<tr${lineRowClass(l)}><td>${formatDate(l.dateOfService)}</td>
<td>${l.procedureCode}${l.description ? html` ${l.description}` : ''}</td>${
    [l.chargeCents, l.insurancePaidCents, l.adjustmentCents, l.patientPaidCents].map((cents) => numTd(formatCents(cents)))}
<td class="num">${lineBalance(l)}</td></tr>
${whyRow(l, heads.length)}`);
  return htmlDocument({
    title: html`Statement ${formatDate(s.statementDate)} · ${s.practiceName}`,
    head: html`<link rel="stylesheet" href="/portal/static/statement.css">`,
  }, html`<nav class="toolbar" aria-label="Statement">
${s.backHref ? html`<a href="${s.backHref}">← Back</a>` : html`<span></span>`}
<span>Use your browser's Print command to print this statement.</span>
</nav>
<main class="sheet">
<header class="letterhead">
<div><h1>${s.practiceName}</h1><p>Patient billing statement</p></div>
<div class="doc-title"><h2>Statement</h2>
<dl class="meta">
<dt>Statement date</dt><dd>${formatDate(s.statementDate)}</dd>
<dt>Account ID</dt><dd>${s.accountId}</dd>
<dt>Amount due</dt><dd>${formatCents(s.dueCents)}</dd>
<dt>Due</dt><dd>Upon receipt</dd>
</dl></div>
</header>
<section class="addressee" aria-label="Patient"><p><strong>${s.patientName}</strong></p><p class="small">Mailing address of record</p></section>
<table class="lines">
<caption>Services and balances</caption>
<thead><tr>${heads}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
${changedNote(s.lines)}
<div class="totals"><dl>
<dt>Total of this statement</dt><dd>${formatCents(s.totalCents)}</dd>
${s.paidCents > 0 ? html`<dt>Payments received since</dt><dd>−${formatCents(s.paidCents)}</dd>` : ''}
<dt class="due">Amount due</dt><dd class="due">${formatCents(s.dueCents)}</dd>
</dl></div>
${s.planNote ? html`<p class="plan-note">${s.planNote}</p>` : ''}
<section class="pay-online" aria-labelledby="pay-online-heading">
<h3 id="pay-online-heading">Pay online: fast and secure</h3>
<p>Go to <strong>${s.portalUrl}</strong> and enter your account ID <strong>${s.accountId}</strong> and the patient's date of birth.
You may pay all or part of the amount due.</p>
<p class="small">Questions about this statement? Call the ${s.practiceName} billing office.</p>
</section>
<section class="stub" aria-label="Payment stub">
<p class="small">Please detach and return this part with your payment.</p><p></p>
<div><p class="label">Account ID</p><p class="value">${s.accountId}</p></div>
<div><p class="label">Statement date</p><p class="value">${formatDate(s.statementDate)}</p></div>
<div><p class="label">Amount due</p><p class="value">${formatCents(s.dueCents)}</p></div>
<div><p class="label">Amount enclosed</p><p class="blank"></p></div>
<div><p class="label">Make checks payable to</p><p class="value">${s.practiceName}</p></div>
<div><p class="label">Patient</p><p class="value">${s.patientName}</p></div>
</section>
</main>`);
}
