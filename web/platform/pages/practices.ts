/**
 * The platform operator's practices page (GET /platform signed in; POST /platform/onboard's 422 and 409): every practice
 * on the platform and the onboarding form. A refused form comes back with each field's message and what was typed,
 * never the identity provider's client secret.
 */
import type { PracticeSummary } from '../../../app/practices';
import { centsToDollarsField } from '../../../domain/money';
import { html, type SafeHtml } from '../../../lib/html';
import { formatInstant } from '../../format';
import { operatorFrame } from './frame';

/** The onboarding form as typed, and its problems by field name (the form's names: see FIELDS). */
export interface OnboardForm {
  values: Record<string, string>;
  errors: Record<string, string>;
  /** A problem of the whole form (a duplicate EHR practice id). */
  problem?: string;
}

export const ONBOARD_FIELDS = {
  externalId: "EHR practice id", name: 'Practice name', timeZone: 'Time zone', paymentPageUrl: "EHR's payment page URL",
  statementThreshold: 'Statement threshold (dollars)', adminEmail: "First admin's email", adminName: "First admin's name",
  idpIssuer: 'Issuer URL', idpClientId: 'Client id', idpClientSecret: 'Client secret', idpAllowedEmailDomain: 'Allowed email domain',
} as const;
export type OnboardField = keyof typeof ONBOARD_FIELDS;

interface FieldOptions { type?: string; hint?: string; required?: boolean; secret?: boolean }

function field(form: OnboardForm, name: OnboardField, o: FieldOptions = {}): SafeHtml {
  const id = `f-${name}`;
  const label = ONBOARD_FIELDS[name];
  const error = form.errors[name];
  const value = o.secret ? '' : (form.values[name] ?? '');
  const described = [o.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<p><label for="${id}">${label}</label>${o.hint ? html` <small id="${id}-hint">${o.hint}</small>` : ''}<br>
<input id="${id}" name="${name}" type="${o.type ?? 'text'}" value="${value}"${o.required ? html` required` : ''}${o.secret ? html` autocomplete="off"` : ''}
${error ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}>
${error ? html`<br><strong id="${id}-error">${label}: ${error}</strong>` : ''}</p>`;
}

function practiceRows(practices: PracticeSummary[]): SafeHtml {
  if (practices.length === 0) return html`<p>No practice yet.</p>`;
  return html`<table>
<thead><tr><th scope="col">Name</th><th scope="col">EHR practice id</th><th scope="col">Time zone</th><th scope="col">Statement threshold</th>
<th scope="col">Active staff</th><th scope="col">Onboarded</th></tr></thead>
<tbody>
${practices.map((p) => html`<tr><td>${p.name}</td><td>${p.externalId}</td><td>${p.timeZone}</td><td>$${centsToDollarsField(p.statementThresholdCents)}</td>
<td>${p.staffCount}</td><td>${formatInstant(p.createdAt, p.timeZone)}</td></tr>
`)}</tbody>
</table>`;
}

const problemItem = (name: string, reason: string) => html`<li><a href="#f-${name}">${ONBOARD_FIELDS[name as OnboardField] ?? name}</a>: ${reason}</li>`;

export function practicesPage(o: { practices: PracticeSummary[]; csrf: string; notice?: string; form?: OnboardForm }): string {
  const form: OnboardForm = o.form ?? { values: { statementThreshold: '10.00' }, errors: {} };
  const problems = Object.entries(form.errors);
  const summary = form.problem || problems.length > 0
    ? html`<div role="alert"><p><strong>The practice was not onboarded.</strong>${form.problem ? html` ${form.problem}` : ''}</p>
${problems.length > 0 ? html`<ul>${problems.map(([name, reason]) => problemItem(name, reason))}</ul>` : ''}</div>`
    : '';
  return operatorFrame('Practices', html`${o.notice ? html`<p role="status"><strong>${o.notice}</strong></p>` : ''}
<h2>Every practice on the platform</h2>
${practiceRows(o.practices)}
<h2 id="onboard">Onboard a practice</h2>
${summary}
<form method="post" action="/platform/onboard">
<input type="hidden" name="csrf" value="${o.csrf}">
${field(form, 'externalId', { required: true, hint: 'its webhooks name the practice by it' })}
${field(form, 'name', { required: true })}
${field(form, 'timeZone', { required: true, hint: 'IANA, e.g. America/Chicago' })}
${field(form, 'paymentPageUrl', { type: 'url', required: true })}
${field(form, 'statementThreshold', { hint: 'no statement for a smaller balance; 10.00 when blank' })}
${field(form, 'adminEmail', { type: 'email', required: true, hint: 'invited: they sign in with the identity provider, then invite the staff' })}
${field(form, 'adminName', { required: true })}
<fieldset><legend>Identity provider (OpenID Connect), optional: the admin may set it later</legend>
${field(form, 'idpIssuer', { type: 'url', hint: 'e.g. https://accounts.google.com' })}
${field(form, 'idpClientId')}
${field(form, 'idpClientSecret', { type: 'password', secret: true, hint: 'stored sealed; never shown again' })}
${field(form, 'idpAllowedEmailDomain', { hint: 'e.g. clinic.example' })}
</fieldset>
<p><button type="submit">Onboard the practice</button></p>
</form>`, { csrf: o.csrf });
}
