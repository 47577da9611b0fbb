/**
 * Card on file on the staff pages (issue 18; docs/card-on-file-and-plans.md):
 * - the superbill's "Save a card on file" button (front desk, billing): it starts a setup with the processor, then the
 *   browser goes to the processor's own card-entry page (the card number is typed there, never into payflow);
 * - the page the processor sends the browser back to: the saved card (brand, last 4, expiry, read from the processor)
 *   and the patient's authorisation: the cap per visit, this visit or every visit for a year, the notice channel, and
 *   the patient's agreement; a refused field says why next to it;
 * - the patient page's "Cards on file" card: each authorisation (card, cap, scope, status, charged so far) with Revoke.
 */
import type { AuthorisationView } from '../../../app/card-on-file';
import { cardName, type SetupCard } from '../../../app/card-on-file-pages';
import { html, htmlDocument, type SafeHtml } from '../../../lib/html';
import { numTd, th } from '../../table';
import { choice, csrfField, describedBy, dollarsInput, errorLine, formatDate, formatInstant, money, notice, page, type Notice, type PageContext } from '../layout';

const CHANNEL_WORDS = { email: 'email', text: 'text message', mail: 'postal mail' } as const;

const expiry = (c: { expMonth: number; expYear: number }) => `${String(c.expMonth).padStart(2, '0')}/${c.expYear}`;

/** The superbill's button: starts a setup (POST, CSRF), then on to the processor's card-entry page. */
export function saveCardForm(ctx: PageContext, visitId: string): SafeHtml {
  return html`<form method="post" action="/staff/visits/${visitId}/card-setup" aria-labelledby="card-setup-h">
${csrfField(ctx)}
<h3 id="card-setup-h">Card on file</h3>
<p class="hint">The patient types the card on the processor's page; payflow keeps only its brand, last 4 digits and expiry.
After the insurance has paid, what the patient owes is charged to it, up to a cap and after a notice.</p>
<button type="submit" class="secondary">Save a card on file</button>
</form>`;
}

/**
 * After starting the setup: on to the processor's card-entry page. A page that moves on by itself rather than a
 * redirect of the form post: the staff pages' CSP lets forms post to this site only (form-action 'self'), and a
 * browser applies that to the redirects of a form post too; a navigation a page starts is not a form's.
 */
export function cardEntryHandoffPage(entryUrl: string): string {
  return htmlDocument({
    title: 'Opening the card form · payflow staff',
    head: html`<meta http-equiv="refresh" content="0;url=${entryUrl}">
<link rel="stylesheet" href="/staff/static/staff.css">`,
  }, html`<main id="main"><div class="signin card"><h1>Opening the processor's card form…</h1>
<p>Hand the screen to the patient: they type the card on the processor's page, then come back here to agree to the authorisation.</p>
<p><a id="continue" href="${entryUrl}">Open the card form</a></p></div></main>`);
}

export interface AuthoriseFormState {
  cap?: string; scope?: string; noticeChannel?: string; agreed?: boolean;
  /** A refused field (cap, scope, noticeChannel, agreed) and why. */
  errors?: { field: string; message: string }[];
}

export interface AuthorisePageModel {
  patient: { patientId: string; firstName: string; lastName: string; externalId: string };
  /** The visit the card was saved at (the superbill it came from), when there is one. */
  visit?: { visitId: string; dateOfService: string };
  setupRef: string;
  /** The saved card, or undefined when the processor has none for this setup (not completed, cancelled). */
  card?: SetupCard;
  form?: AuthoriseFormState;
  notice?: Notice;
}

const errorOf = (form: AuthoriseFormState | undefined, field: string) => form?.errors?.find((e) => e.field === field)?.message;

export function cardAuthorisePage(ctx: PageContext, o: AuthorisePageModel): string {
  const name = `${o.patient.firstName} ${o.patient.lastName}`;
  const back = o.visit
    ? html`<a href="/staff/visits/${o.visit.visitId}">← Superbill ${formatDate(o.visit.dateOfService)}</a>`
    : html`<a href="/staff/patients/${o.patient.patientId}">← ${name}</a>`;
  const head = html`<p class="crumbs">${back}</p>
<h1>Authorise the card on file</h1>
<p class="lead">${name} (${o.patient.externalId})</p>
${notice(o.notice)}`;
  if (!o.card) {
    const again = o.visit
      ? html`<a href="/staff/visits/${o.visit.visitId}">Back to the superbill</a> and press Save a card on file again.`
      : html`<a href="/staff/patients/${o.patient.patientId}">Back to the patient</a>.`;
    return page({ title: 'Card not saved', section: 'patients', ctx }, html`${head}
<section class="card" aria-labelledby="nocard-h"><h2 id="nocard-h">The card is not saved</h2>
<p>The processor has no completed card for this setup: the card form was left before the card was saved. ${again}</p>
</section>`);
  }
  const f = o.form ?? {};
  const scope = f.scope ?? (o.visit ? 'visit' : 'year');
  const channel = f.noticeChannel ?? 'email';
  const capError = errorOf(f, 'cap');
  const scopeError = errorOf(f, 'scope');
  const channelError = errorOf(f, 'noticeChannel');
  const agreedError = errorOf(f, 'agreed');
  const capInput = dollarsInput({ id: 'cap', name: 'cap', value: f.cap ?? '' }, html` required autocomplete="off"${describedBy('cap', capError)}`);
  const visitChoice = o.visit
    ? choice('scope', 'visit', html`<strong>This visit</strong> what the patient owes for the visit of ${formatDate(o.visit.dateOfService)}`, scope === 'visit')
    : '';
  const agreement = html`The patient agrees to be charged, after the insurance has paid, what they owe up to the cap per visit
on the card ${cardName(o.card)}, after a notice by the channel chosen, and knows they can pay another way from the notice or revoke this at any time.`;
  const failed = capError || scopeError || channelError || agreedError;
  return page({ title: `${failed ? 'Error: ' : ''}Authorise the card on file`, section: 'patients', ctx }, html`${head}
<section class="card" aria-labelledby="authorise-h"><h2 id="authorise-h">The card</h2>
<dl class="facts">
<dt>Card</dt><dd id="saved-card">${cardName(o.card)}</dd>
<dt>Expires</dt><dd>${expiry(o.card)}</dd>
</dl>
<form method="post" action="/staff/patients/${o.patient.patientId}/card-on-file" novalidate aria-labelledby="authorise-form-h">
${csrfField(ctx)}
<input type="hidden" name="setupRef" value="${o.setupRef}">
${o.visit ? html`<input type="hidden" name="visitId" value="${o.visit.visitId}">` : ''}
<h3 id="authorise-form-h">The authorisation</h3>
<div class="field"><label for="cap">Cap per visit</label>
<p class="hint" id="cap-hint">The most charged for one visit, in dollars, e.g. 100.00. What is owed above it goes on the statement.</p>
${capInput}
${errorLine('cap', capError)}</div>
<fieldset class="choices" id="scope"${describedBy('scope', scopeError, false)}><legend>For</legend>
${visitChoice}
${choice('scope', 'year', html`<strong>Every visit for a year</strong> what the patient owes for any visit, for one year from today`, scope === 'year')}
${errorLine('scope', scopeError)}</fieldset>
<fieldset class="choices" id="noticeChannel"${describedBy('noticeChannel', channelError)}><legend>Notice before each charge, by</legend>
<p class="hint" id="noticeChannel-hint">If the patient cannot be reached that way (no contact on file, consent withdrawn),
the notice goes by another way they can receive.</p>
${(['email', 'text', 'mail'] as const).map((c) => choice('noticeChannel', c, CHANNEL_WORDS[c], channel === c))}
${errorLine('noticeChannel', channelError)}</fieldset>
<fieldset class="choices" id="agreed"><legend class="visually-hidden">Agreement</legend>
<label><input type="checkbox" name="agreed" value="yes" required${f.agreed ? html` checked` : ''}${describedBy('agreed', agreedError, false)}>
<span>${agreement}</span></label>
${errorLine('agreed', agreedError)}</fieldset>
<button type="submit">Authorise the card</button>
</form>
</section>`);
}

const SCOPE_WORDS = { visit: 'one visit', year: 'every visit' } as const;
const STATUS_CLASS = { active: 'applied', revoked: 'cancelled', expired: 'expired' } as const;

/** The patient page's "Cards on file" card: every authorisation, newest first; Revoke on the active ones. */
export function cardsOnFileSection(ctx: PageContext, patientId: string, cards: AuthorisationView[], timeZone: string): SafeHtml {
  const heads = [
    th('Card'), th('Cap per visit', 'num'), th('For'), th('Notice by'), th('Status'), th('Charged so far', 'num'),
    th(html`<span class="visually-hidden">Revoke</span>`),
  ];
  const rows = cards.map((a) => {
    const until = formatInstant(new Date(a.validUntil), timeZone);
    const scopeCell = a.scope === 'visit' && a.visitId
      ? html`<a href="/staff/visits/${a.visitId}">${SCOPE_WORDS.visit}</a>`
      : html`${SCOPE_WORDS[a.scope]} <span class="muted small">until ${until}</span>`;
    const revokedAt = a.revokedAt ? html` <span class="muted small">${formatInstant(new Date(a.revokedAt), timeZone)}</span>` : '';
    const status = html`<span class="badge ${STATUS_CLASS[a.status]}">${a.status}</span>${revokedAt}`;
    const revoke = a.status === 'active'
      ? html`<form method="post" action="/staff/patients/${patientId}/card-authorisations/${a.authorisationId}/revoke" class="inline">
${csrfField(ctx)}<button type="submit" class="secondary">Revoke<span class="visually-hidden"> the ${cardName(a.card)}</span></button></form>`
      : '';
    return html`<tr data-authorisation="${a.authorisationId}">
<td>${cardName(a.card)} <span class="muted small">exp. ${expiry(a.card)}</span></td>${numTd(money(a.capCents))}
<td>${scopeCell}</td><td>${CHANNEL_WORDS[a.noticeChannel]}</td><td>${status}</td>${numTd(money(a.chargedCents))}<td>${revoke}</td></tr>`;
  });
  return html`<section class="card" aria-labelledby="cards-h"><h2 id="cards-h">Cards on file</h2>
${cards.length === 0 ? html`<p class="muted">No card on file. Save one from a visit's superbill (Save a card on file).</p>` : html`<table class="data">
<caption class="visually-hidden">Card-on-file authorisations, newest first</caption>
<thead><tr>${heads}</tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted small">After the insurance has paid, what the patient owes is charged to an active card, up to its cap per visit, after a notice.
Revoking stops every charge under it from now on, even one already announced.</p>`}
</section>`;
}
