/**
 * A collection (copay, outstanding balance, statement payment): the EHR's Process Payment link while it waits for the
 * payment, then the payment, what was applied, and its tasks.
 */
import type { CollectionPage } from '../../../db/queries/billing-pages';
import { isWaitingForCapture } from '../../../domain/collections';
import { html } from '../../../lib/html';
import { formatDate, formatInstant, money, notice, page, reasonLabel, statusBadge, type Notice, type PageContext } from '../layout';

const PATH_WORDS: Record<string, string> = { copay: 'Copay collection', balance: 'Outstanding-balance collection', statement: 'Statement payment' };

export interface CollectionLedgerView {
  payment?: { amountCents: number; method: string; paymentDate: string; externalPaymentId: string } | undefined;
  applications: { claimId: string; amountCents: number; kind: string; reversed: boolean }[];
  tasks: { id: string; reason: string; status: string }[];
}

const NEW_TAB = html`<span class="visually-hidden"> (opens in a new tab)</span>`;

export function collectionPageHtml(ctx: PageContext, o: { c: CollectionPage; ledger: CollectionLedgerView; notice?: Notice }): string {
  const c = o.c;
  const waiting = isWaitingForCapture(c.status);
  const title = PATH_WORDS[c.path] ?? 'Collection';
  const crumbs = [
    html`<a href="/staff/patients/${c.patient.patientId}">← ${c.patient.firstName} ${c.patient.lastName}</a>`,
    c.visit ? html` · <a href="/staff/visits/${c.visit.visitId}">Superbill ${formatDate(c.visit.dateOfService)}</a>` : '',
  ];
  const ofVisit = c.visit ? ` · visit of ${formatDate(c.visit.dateOfService)}` : '';
  const forVisit = c.visit ? ' and visit' : '';
  const what = `${c.path === 'copay' ? 'reason: Copay' : 'reason: Outstanding Balance'}, ${money(c.requestedAmountCents)}`;
  const p = o.ledger.payment;
  const applied = o.ledger.applications.map((a) => html`<li>${money(a.amountCents)} (${a.kind})${a.reversed ? ' — reversed' : ''}</li>`);
  const payment = p
    ? html`<dl class="facts">${[
      html`<dt>Amount</dt><dd>${money(p.amountCents)} (${p.method})</dd>`,
      html`<dt>Date of payment</dt><dd>${formatDate(p.paymentDate)}</dd>`,
      html`<dt>EHR payment</dt><dd class="small">${p.externalPaymentId}</dd>`,
    ]}</dl>
${applied.length > 0 ? html`<h3>Applied</h3><ul>${applied}</ul>` : ''}`
    : html`<p class="muted">Not captured yet.</p>`;
  const tasks = o.ledger.tasks.map((t) => html`<li><a href="/staff/tasks/${t.id}">${reasonLabel(t.reason)}</a> ${statusBadge(t.status)}</li>`);
  return page({ title, section: 'patients', ctx }, html`<p class="crumbs">${crumbs}</p>
<h1>${title} · ${money(c.requestedAmountCents)} ${statusBadge(c.status)}</h1>
<p class="lead">${c.patient.firstName} ${c.patient.lastName} (${c.patient.externalId})${ofVisit} · started ${formatInstant(c.createdAt, c.timeZone)}</p>
${notice(o.notice)}
${waiting && c.paymentRequestUrl ? html`<section class="card" aria-labelledby="pay-h"><h2 id="pay-h">Process Payment</h2>
<p>The EHR's Patient Payment tool is ready, pre-filled for this patient${forVisit} (${what}). Take the card, cash or check there.</p>
<p><a class="button" href="${c.paymentRequestUrl}" target="_blank" rel="noopener noreferrer">Process Payment in the EHR${NEW_TAB}</a></p>
<p class="muted small">This page does not refresh itself: <a href="/staff/collections/${c.collectionId}">reload</a> after the payment to see it recorded.</p>
</section>` : ''}
<div class="grid">
<section class="card" aria-labelledby="payment-h"><h2 id="payment-h">Payment</h2>
${payment}
</section>
<section class="card" aria-labelledby="tasks-h"><h2 id="tasks-h">Tasks</h2>
${tasks.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${tasks}</ul>`}
<p class="muted small">Workflow (Temporal UI): <code>${c.workflowId}</code></p>
</section>
</div>`);
}
