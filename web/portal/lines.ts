/**
 * A statement's lines as the portal and the printable statement show them: the domain's line without our internal
 * ids, what it owes today (a payer reprocessing the claim takes it down to nothing; the claim coming back brings it
 * up again), and why, in the payer's words, under the last line of each claim (app/statements.ts portalLines).
 */
import type { StatementLine } from '../../domain/statements';
import { formatCents, type Cents } from '../../domain/money';
import { owedLineText, type OwedLine } from '../../domain/remittance-reasons';
import { html, type SafeHtml } from '../../lib/html';
import { th } from '../table';
import { formatDate } from '../format';

export type PortalLine = Omit<StatementLine, 'claimId' | 'claimLineId'> & { currentBalanceCents: Cents; whyYouOwe?: OwedLine[] };

/** The line's balance as printed, and today's when it changed since. */
export function lineBalance(l: PortalLine): SafeHtml {
  return l.currentBalanceCents === l.balanceCents
    ? html`${formatCents(l.balanceCents)}`
    : html`<s>${formatCents(l.balanceCents)}</s> <span class="now">now ${formatCents(l.currentBalanceCents)}</span>`;
}

/** Said under the lines when a balance changed since the statement: why the amount due is not the total. */
export function changedNote(lines: PortalLine[]): SafeHtml | '' {
  return lines.some((l) => l.currentBalanceCents !== l.balanceCents)
    ? html`<p class="small changed">Some balances changed since this statement (your insurance reprocessed a claim). The amount due is today's.</p>`
    : '';
}

/** The reasons as a list, one sentence each ("Deductible: $40.00 — your plan's yearly …"); also the staff claim view's. */
export function whyYouOweList(reasons: readonly OwedLine[]): SafeHtml {
  return html`<ul class="why-list">${reasons.map((r) => html`<li>${owedLineText(r)}</li>`)}</ul>`;
}

/**
 * The row under a claim's last line that says why the patient owes it, spanning the table (`columns` wide); nothing
 * when the payer said nothing (no remittance for the claim's current version, or the payer holds it again).
 */
export function whyRow(l: PortalLine, columns: number): SafeHtml | '' {
  if (!l.whyYouOwe || l.whyYouOwe.length === 0) return '';
  return html`<tr class="why"><td colspan="${String(columns)}"><p class="why-title">Why you owe for this visit, as your insurance explained it:</p>
${whyYouOweList(l.whyYouOwe)}</td></tr>`;
}

/** The class of a line's row: one followed by its reasons is drawn joined to them (one card on a phone). */
export const lineRowClass = (l: PortalLine): SafeHtml | '' => (l.whyYouOwe && l.whyYouOwe.length > 0 ? html` class="has-why"` : '');

/** The portal's table of lines (stacked cards on a phone: each cell says what it is). */
export function linesTable(lines: PortalLine[], totalCents: Cents, caption: string): SafeHtml {
  const heads = [
    th('Date of service'), th('Service'), th('Charge', 'num'), th('Insurance paid', 'num'), th('Adjustments', 'num'), th('You paid', 'num'),
    th('Your balance', 'num'),
  ];
  return html`<table class="lines">
<caption class="visually-hidden">${caption}</caption>
<thead><tr>${heads}</tr></thead>
<tbody>
${lines.map((l) => html`<tr${lineRowClass(l)}>
<td data-label="Date of service">${formatDate(l.dateOfService)}</td>
<td class="service" data-label="Service">${l.description ?? 'Service'} <span class="hint">(${l.procedureCode})</span></td>
<td class="num" data-label="Charge">${formatCents(l.chargeCents)}</td>
<td class="num" data-label="Insurance paid">${formatCents(l.insurancePaidCents)}</td>
<td class="num" data-label="Adjustments">${formatCents(l.adjustmentCents)}</td>
<td class="num" data-label="You paid">${formatCents(l.patientPaidCents)}</td>
<td class="num" data-label="Your balance">${lineBalance(l)}</td>
</tr>
${whyRow(l, heads.length)}`)}
</tbody>
<tfoot><tr><th scope="row" colspan="6">Total due on this statement</th><td class="num">${formatCents(totalCents)}</td></tr></tfoot>
</table>
${changedNote(lines)}`;
}
