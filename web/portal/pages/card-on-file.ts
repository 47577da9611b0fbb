/**
 * The signed-in patient's cards on file (issue 18; docs/card-on-file-and-plans.md): each authorisation they gave (the
 * card's brand and last 4 digits, never more; the cap per visit; one visit or every visit until a date; the notice
 * channel; charged so far) and a button to revoke an active one: no charge is made under it from then on, even one
 * already announced.
 */
import type { AuthorisationView } from '../../../app/card-on-file';
import { cardName } from '../../../app/card-on-file-pages';
import { formatCents } from '../../../domain/money';
import { html, type SafeHtml } from '../../../lib/html';
import { formatInstant, layout } from '../layout';

export interface CardOnFilePageModel {
  csrf: string;
  practiceName: string;
  firstName: string;
  timeZone: string;
  cards: AuthorisationView[];
  revoked?: boolean;
}

const CHANNELS = { email: 'email', text: 'text message', mail: 'postal mail' } as const;
const STATUS = { active: 'Active', revoked: 'Revoked', expired: 'Expired' } as const;

function cardSection(m: CardOnFilePageModel, a: AuthorisationView): SafeHtml {
  const card = cardName(a.card);
  const until = formatInstant(new Date(a.validUntil), m.timeZone);
  const scope = a.scope === 'visit' ? 'one visit' : html`every visit until ${until}`;
  const id = `card-${a.authorisationId}`;
  const revoke = a.status === 'active'
    ? html`<form method="post" action="/portal/card-on-file/${a.authorisationId}/revoke">
<input type="hidden" name="csrf" value="${m.csrf}">
<button type="submit">Revoke<span class="visually-hidden"> the authorisation for the card ${card}</span></button>
</form>`
    : '';
  return html`<section class="card" aria-labelledby="${id}">
<h2 id="${id}">${card}</h2>
<dl class="totals">
<dt>Status</dt><dd>${STATUS[a.status]}${a.revokedAt ? html` (${formatInstant(new Date(a.revokedAt), m.timeZone)})` : ''}</dd>
<dt>Most charged per visit</dt><dd>${formatCents(a.capCents)}</dd>
<dt>For</dt><dd>${scope}</dd>
<dt>Notice before each charge by</dt><dd>${CHANNELS[a.noticeChannel]}</dd>
<dt>Charged so far</dt><dd>${formatCents(a.chargedCents)}</dd>
</dl>
${revoke}
</section>`;
}

export function cardOnFilePage(m: CardOnFilePageModel): string {
  const active = m.cards.some((a) => a.status === 'active');
  const body = html`<h1>Your card on file</h1>
${m.revoked ? html`<p class="notice ok" role="status">Revoked. We will not charge that card from now on.</p>` : ''}
<p class="lead">${m.firstName}, after your insurance has paid, ${m.practiceName} charges what you owe to a card you authorised,
up to the limit you chose, and only after telling you first. You can revoke it here at any time.</p>
${m.cards.length === 0 ? html`<p>You have no card on file with ${m.practiceName}.</p>` : m.cards.map((a) => cardSection(m, a))}
${active ? html`<p class="small">Revoking does not change what you owe: it comes on your statement instead.</p>` : ''}
<p><a href="/portal/statement">Back to your statement</a></p>`;
  return layout({ title: 'Your card on file', heading: m.practiceName, csrf: m.csrf, signedIn: true }, body);
}
