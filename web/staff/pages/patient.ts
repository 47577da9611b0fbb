/**
 * The patient billing page: the Balance pane (claims the patient owes, Collect Now for the outstanding balance), credits
 * on account with their 30-day refund deadline, open tasks, and the visits with their claim and copay.
 */
import { centsToDollarsField } from '../../../domain/money';
import type { OpenCredit } from '../../../db/queries/reports';
import type { CollectionSummary, PatientClaim, PatientProfile, VisitSummary } from '../../../db/queries/billing-pages';
import { isWaitingForCapture } from '../../../domain/collections';
import { localDateOf } from '../../../domain/dates';
import { REASON_LABELS, type CreditAge } from '../../../domain/manual-tasks';
import { html, type SafeHtml } from '../../../lib/html';
import { numTd, th } from '../../table';
import type { ContactPreferences } from '../../../app/channel-consents';
import { consentSection } from './patient-consent';
import type { AuthorisationView } from '../../../app/card-on-file';
import { cardsOnFileSection } from './card-on-file';
import type { PlanSetup, PlanView } from '../../../app/payment-plans';
import { paymentPlanSection, type PlanFormState } from './payment-plan';
import {
  ariaInvalid, collectError, csrfField, deadline, dollarsInput, formatDate, money, notice, page, reasonLabel, statusBadge,
  type CollectFormState, type Notice, type PageContext,
} from '../layout';

export interface PatientPageModel {
  patient: PatientProfile;
  claims: PatientClaim[];
  visits: VisitSummary[];
  copays: CollectionSummary[];
  balances: CollectionSummary[];
  credits: OpenCredit[];
  tasks: { taskId: string; reason: string; createdAt: Date }[];
  creditAge: (c: OpenCredit) => CreditAge;
  form?: CollectFormState;
  notice?: Notice;
  /** Contact preferences and consent (patient-consent.ts); absent: the card is not shown. */
  contact?: ContactPreferences;
  /** Card-on-file authorisations (issue 18, card-on-file.ts); absent: the card is not shown. */
  cards?: AuthorisationView[];
  /** The patient's payment plans, newest first (issue 18, payment-plan.ts); absent or none: the card is not shown. */
  plans?: PlanView[];
  /** Without a live plan: the balance, yearly cards and limits for the setup form; and the form after a refusal. */
  planSetup?: PlanSetup;
  planForm?: PlanFormState;
}

const COLLECT_HINT = html`Defaults to the open balance. The EHR's Patient Payment tool opens pre-filled for this patient (reason: Outstanding Balance).`;
const CLAIMS_FIRST = html`<legend>Pay these claims first <span class="hint">(optional; then oldest first)</span></legend>`;

/** A balance collection already waiting in the EHR: staff open it instead of starting another. */
function waitingNotice(live: CollectionSummary): SafeHtml {
  const link = html`<a href="/staff/collections/${live.collectionId}">Open it to Process Payment</a>`;
  const what = html`${money(live.requestedAmountCents)} · ${statusBadge(live.status)} · ${link}`;
  return html`<div class="notice warn" role="status"><h2>A payment is already waiting in the EHR</h2><p>${what}</p></div>`;
}

function balanceSection(ctx: PageContext, o: PatientPageModel): SafeHtml {
  const owned = o.claims.filter((c) => c.responsibility === 'patient' && c.openCents > 0);
  const withPayer = o.claims.filter((c) => c.responsibility === 'payer');
  const open = owned.reduce((s, c) => s + c.openCents, 0);
  const live = o.balances.find((c) => isWaitingForCapture(c.status));
  const named = new Set(o.form?.claimIds ?? []);
  const canCollect = true; // every staff role may start a collection
  const heads = [
    th('Date of service'), th('Claim'), th('Charge', 'num'), th('Insurance paid', 'num'), th('Patient paid', 'num'), th('Balance', 'num'),
  ];
  const rows = owned.map((c) => html`<tr><td>${formatDate(c.dateOfService)}</td><td>${c.externalId}</td>${
    [c.chargeCents, c.insurerPaidCents, c.appliedCents].map((cents) => numTd(money(cents)))}${numTd(html`<strong>${money(c.openCents)}</strong>`)}</tr>`);
  const payerClaims = withPayer.map((c) => `${c.externalId} (${formatDate(c.dateOfService)})`).join(', ');
  const amountInput = dollarsInput(
    { id: 'collect-amount', name: 'amount', value: o.form?.amount ?? (open > 0 ? centsToDollarsField(open) : '') },
    html` autocomplete="off" aria-describedby="collect-amount-hint${o.form?.error ? ' collect-error' : ''}"${ariaInvalid(o.form?.error)}`,
  );
  const choices = owned.map((c) => {
    const box = html`<input type="checkbox" name="claimId" value="${c.claimId}"${named.has(c.claimId) ? html` checked` : ''}>`;
    return html`<label>${box}<span>${formatDate(c.dateOfService)} · ${c.externalId} · ${money(c.openCents)}</span></label>`;
  });
  return html`<section class="card" aria-labelledby="balance-h"><h2 id="balance-h">Balance</h2>
<p class="big">${money(open)}<span>open patient balance</span></p>
${owned.length > 0 ? html`<table class="data"><caption class="visually-hidden">Claims the patient owes</caption>
<thead><tr>${heads}</tr></thead>
<tbody>${rows}</tbody>
</table>` : html`<p class="muted">Nothing owed by the patient right now.</p>`}
${withPayer.length > 0 ? html`<p class="muted small">With the payer (not collectible from the patient yet): ${payerClaims}.</p>` : ''}
${live ? waitingNotice(live) : ''}
${canCollect ? html`<form method="post" action="/staff/patients/${o.patient.patientId}/collect" aria-labelledby="collect-h">
${csrfField(ctx)}
<h3 id="collect-h">Collect Now</h3>
${collectError(o.form)}
<div class="field"><label for="collect-amount">Amount</label>
<p class="hint" id="collect-amount-hint">${COLLECT_HINT}</p>
${amountInput}</div>
${owned.length > 1 ? html`<fieldset class="choices">${CLAIMS_FIRST}
${choices}</fieldset>` : ''}
<button type="submit">Collect Now</button>
</form>` : ''}
</section>`;
}

function creditsSection(o: PatientPageModel): SafeHtml {
  const heads = [th('Paid'), th('Unapplied', 'num'), th('Age (30-day deadline)'), th('Task')];
  const rows = o.credits.map((c) => {
    const task = c.openTask
      ? html`<a href="/staff/tasks/${c.openTask.taskId}">${REASON_LABELS[c.openTask.reason]}</a>`
      : '—';
    const age = deadline(o.creditAge(c));
    return html`<tr><td>${formatDate(c.paymentDate)}</td>${numTd(money(c.unappliedCents))}<td>${age}</td><td>${task}</td></tr>`;
  });
  const tasks = o.tasks.map((t) => {
    const opened = formatDate(localDateOf(t.createdAt, o.patient.timeZone)); // the practice's calendar, not UTC's
    return html`<li><a href="/staff/tasks/${t.taskId}">${reasonLabel(t.reason)}</a> <span class="muted small">opened ${opened}</span></li>`;
  });
  const table = html`<table class="data"><caption class="visually-hidden">Unapplied payments</caption>
<thead><tr>${heads}</tr></thead>
<tbody>${rows}</tbody></table>`;
  return html`<section class="card" aria-labelledby="credits-h"><h2 id="credits-h">Credits on account</h2>
${o.credits.length === 0 ? html`<p class="muted">No unapplied money.</p>` : table}
<h3>Open tasks</h3>
${o.tasks.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${tasks}</ul>`}
</section>`;
}

function visitsSection(o: PatientPageModel): SafeHtml {
  const copayOf = (visitId: string) => o.copays.find((c) => c.visitId === visitId && c.status !== 'expired' && c.status !== 'cancelled');
  const heads = [th('Date of service'), th('Provider'), th('Claim'), th('Copay'), th(html`<span class="visually-hidden">Superbill</span>`)];
  const rows = o.visits.map((v) => {
    const claim = o.claims.find((c) => c.visitId === v.visitId);
    const copay = copayOf(v.visitId);
    const claimCell = claim
      ? html`${claim.externalId} · ${claim.responsibility === 'patient' ? `patient owes ${money(claim.openCents)}` : 'with the payer'}`
      : html`<span class="muted">no claim yet</span>`;
    const copayCell = copay
      ? html`${money(copay.payment?.amountCents ?? copay.requestedAmountCents)} ${statusBadge(copay.status)}`
      : html`<span class="muted">—</span>`;
    return html`<tr><td>${formatDate(v.dateOfService)}</td><td>${v.providerName ?? '—'}</td>
<td>${claimCell}</td>
<td>${copayCell}</td>
<td><a href="/staff/visits/${v.visitId}">Superbill<span class="visually-hidden"> of ${formatDate(v.dateOfService)}</span></a></td></tr>`;
  });
  return html`<section class="card" aria-labelledby="visits-h"><h2 id="visits-h">Visits</h2>
<table class="data"><caption class="visually-hidden">Visits, newest first</caption>
<thead><tr>${heads}</tr></thead>
<tbody>${rows}</tbody></table>
</section>`;
}

/** What a re-rendered patient page may show besides the patient: a refused form and a notice. */
export type PatientPageExtra = Pick<PatientPageModel, 'form' | 'planForm' | 'notice'>;

export function patientPage(ctx: PageContext, o: PatientPageModel): string {
  const name = `${o.patient.firstName} ${o.patient.lastName}`;
  return page({ title: name, section: 'patients', ctx }, html`<p class="crumbs"><a href="/staff/patients">← Patients</a></p>
<h1>${name}</h1>
<p class="lead">MRN ${o.patient.externalId} · born ${formatDate(o.patient.dateOfBirth)}</p>
${notice(o.notice)}
<div class="grid">
${balanceSection(ctx, o)}
${creditsSection(o)}
</div>
${visitsSection(o)}
${o.cards ? cardsOnFileSection(ctx, o.patient.patientId, o.cards, o.patient.timeZone) : ''}
${o.plans ? paymentPlanSection(ctx, o.patient.patientId, o.plans, o.planSetup, o.planForm) : ''}
${o.contact ? consentSection(ctx, o.contact, o.patient.timeZone) : ''}`);
}
