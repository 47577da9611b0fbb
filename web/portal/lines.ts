/**
 * A statement's lines as the portal and the printable statement show them: the domain's line without our internal
 * ids, and what it owes today (a payer reprocessing the claim takes it down to nothing; the claim coming back brings it
 * up again).
 */
import type { StatementLine } from '../../domain/statements';
import { formatCents, type Cents } from '../../domain/money';
import { html, type SafeHtml } from '../../lib/html';
import { th } from '../table';
import { formatDate } from '../format';

export type PortalLine = Omit<StatementLine, 'claimId' | 'claimLineId'> & { currentBalanceCents: Cents };

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
${lines.map((l) => html`<tr>
<td data-label="Date of service">${formatDate(l.dateOfService)}</td>
<td class="service" data-label="Service">${l.description ?? 'Service'} <span class="hint">(${l.procedureCode})</span></td>
<td class="num" data-label="Charge">${formatCents(l.chargeCents)}</td>
<td class="num" data-label="Insurance paid">${formatCents(l.insurancePaidCents)}</td>
<td class="num" data-label="Adjustments">${formatCents(l.adjustmentCents)}</td>
<td class="num" data-label="You paid">${formatCents(l.patientPaidCents)}</td>
<td class="num" data-label="Your balance">${lineBalance(l)}</td>
</tr>`)}
</tbody>
<tfoot><tr><th scope="row" colspan="6">Total due on this statement</th><td class="num">${formatCents(totalCents)}</td></tr></tfoot>
</table>
${changedNote(lines)}`;
}
