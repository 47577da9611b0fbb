/**
 * The superbill of a visit: its Copayment Collected panel (the copay collections, Collect Now) and its claim, with why
 * the patient owes it in the payer's words (the words the patient reads on the portal and the printed statement).
 */
import type { CollectionSummary, PatientClaim, VisitPanel } from '../../../db/queries/billing-pages';
import { isWaitingForCapture } from '../../../domain/collections';
import { owedLineText, type OwedLine } from '../../../domain/remittance-reasons';
import { html, type SafeHtml } from '../../../lib/html';
import { numTd, th } from '../../table';
import {
  ariaInvalid, collectError, csrfField, dollarsInput, formatDate, formatInstant, money, notice, page, statusBadge, type CollectFormState, type Notice,
  type PageContext,
} from '../layout';
import { saveCardForm } from './card-on-file';

export interface VisitPageModel {
  panel: VisitPanel; copays: CollectionSummary[]; form?: CollectFormState; notice?: Notice;
  /** The PR adjustments of the remittance that produced the claim's current version (none after a reversal). */
  whyYouOwe?: OwedLine[];
}

function copaysTable(o: VisitPageModel): SafeHtml {
  const { visit } = o.panel;
  const heads = [th('Started'), th('Amount', 'num'), th('Status'), th('Date of payment'), th(html`<span class="visually-hidden">Collection</span>`)];
  const rows = o.copays.map((c) => {
    const otherDay = c.payment && c.payment.paymentDate !== visit.dateOfService ? html` <span class="badge open">≠ date of service</span>` : '';
    const paid = c.payment ? html`${formatDate(c.payment.paymentDate)}${otherDay}` : '—';
    const task = c.openTaskId ? html` · <a href="/staff/tasks/${c.openTaskId}">Task</a>` : '';
    const amount = numTd(money(c.payment?.amountCents ?? c.requestedAmountCents));
    return html`<tr><td>${formatInstant(c.createdAt, o.panel.timeZone)}</td>${amount}<td>${statusBadge(c.status)}</td>
<td>${paid}</td>
<td><a href="/staff/collections/${c.collectionId}">Open<span class="visually-hidden"> collection</span></a>${task}</td></tr>`;
  });
  return html`<table class="data"><caption class="visually-hidden">Copay collections of this visit</caption>
<thead><tr>${heads}</tr></thead>
<tbody>${rows}</tbody></table>`;
}

function collectForm(ctx: PageContext, o: VisitPageModel): SafeHtml {
  const { visit } = o.panel;
  const hint = [
    html`The EHR's Patient Payment tool opens pre-filled for this patient and visit (reason: Copay).`,
    html` Take the payment on the date of service (${formatDate(visit.dateOfService)}), or it will need staff later.`,
  ];
  const amountInput = dollarsInput(
    { id: 'copay-amount', name: 'amount', value: o.form?.amount ?? '' },
    html` required autocomplete="off" aria-describedby="copay-amount-hint${o.form?.error ? ' collect-error' : ''}"${ariaInvalid(o.form?.error)}`,
  );
  return html`<form method="post" action="/staff/visits/${visit.visitId}/collect" aria-labelledby="collect-h">
${csrfField(ctx)}
<h3 id="collect-h">Collect Now</h3>
${collectError(o.form)}
<div class="field"><label for="copay-amount">Copay amount</label>
<p class="hint" id="copay-amount-hint">${hint}</p>
${amountInput}</div>
<button type="submit">Collect Now</button>
</form>`;
}

/** Why the patient owes the claim: each reason as the patient reads it, with its code for staff (PR-1 …). */
function whyYouOwe(claim: PatientClaim, reasons: readonly OwedLine[]): SafeHtml {
  const body = reasons.length > 0
    ? html`<ul>${reasons.map((r) => html`<li>${owedLineText(r)} <span class="muted small">(PR-${r.code})</span></li>`)}</ul>
<p class="muted small">From the payer's remittance (835) that set the claim's current amounts;
the patient sees the same words on the portal and the statement.</p>`
    : html`<p class="muted">${claim.responsibility === 'payer'
      ? 'None now: the payer holds this claim (not transferred yet, or taken back for reprocessing).'
      : 'No remittance (835) received here explains the claim\'s current amounts.'}</p>`;
  return html`<h3 id="why-h">Why the patient owes</h3>
${body}`;
}

function claimFacts(claim: PatientClaim): SafeHtml {
  return html`<dl class="facts">
<dt>Claim</dt><dd>${claim.externalId}</dd>
<dt>Payer</dt><dd>${claim.payerName ?? '—'} <span class="muted small">(${claim.payerStatus})</span></dd>
<dt>Who owes the balance</dt><dd>${claim.responsibility === 'patient' ? 'the patient' : 'the payer (not transferred yet)'}</dd>
<dt>Charge</dt><dd>${money(claim.chargeCents)}</dd>
<dt>Insurance paid</dt><dd>${money(claim.insurerPaidCents)}</dd>
<dt>Patient responsibility</dt><dd>${money(claim.patientResponsibilityCents)}</dd>
<dt>Patient paid</dt><dd>${money(claim.appliedCents)}</dd>
<dt>Open</dt><dd>${money(claim.openCents)}</dd>
</dl>`;
}

export function visitPage(ctx: PageContext, o: VisitPageModel): string {
  const { visit, patient, claim } = o.panel;
  const live = o.copays.find((c) => c.status !== 'expired' && c.status !== 'cancelled');
  const open = live && isWaitingForCapture(live.status)
    ? html`A copay request is open in the EHR: <a href="/staff/collections/${live.collectionId}">open it to Process Payment</a>.`
    : 'The copay for this visit has been collected.';
  const back = html`<a href="/staff/patients/${patient.patientId}">← ${patient.firstName} ${patient.lastName}</a>`;
  return page({ title: `Superbill ${formatDate(visit.dateOfService)}`, section: 'patients', ctx }, html`<p class="crumbs">${back}</p>
<h1>Superbill · ${formatDate(visit.dateOfService)}</h1>
<p class="lead">${patient.firstName} ${patient.lastName} (${patient.externalId}) · ${visit.providerName ?? 'no provider'} · visit ${visit.externalId}</p>
${notice(o.notice)}
<div class="grid">
<section class="card" aria-labelledby="copay-h"><h2 id="copay-h">Copayment Collected</h2>
${o.copays.length > 0 ? copaysTable(o) : html`<p class="muted">No copay collected for this visit yet.</p>`}
${live ? html`<p>${open}</p>` : collectForm(ctx, o)}
${saveCardForm(ctx, visit.visitId)}
</section>
<section class="card" aria-labelledby="claim-h"><h2 id="claim-h">Claim</h2>
${claim ? html`${claimFacts(claim)}
${whyYouOwe(claim, o.whyYouOwe ?? [])}` : html`<p class="muted">No claim from the clearinghouse yet.</p>`}
</section>
</div>`);
}
