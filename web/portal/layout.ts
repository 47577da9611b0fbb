/**
 * The patient portal's frame and form pieces, shared by its pages (pages/): plain server-rendered HTML (no scripts),
 * one column, form fields with labels, hints and errors tied to them (aria-describedby), an error summary announced
 * as an alert. The stylesheet is a static file (static/portal.css).
 */
import { html, htmlDocument, type Interpolation, type SafeHtml } from '../../lib/html';

export { formatDate, formatInstant } from '../format';

interface LayoutOptions { title: string; heading?: string; csrf?: string; signedIn?: boolean; refreshSeconds?: number }

const csrfInput = (csrf: string): SafeHtml => html`<input type="hidden" name="csrf" value="${csrf}">`;

const signOutForm = (csrf: string): SafeHtml =>
  html`<form method="post" action="/portal/sign-out">${csrfInput(csrf)}<button type="submit" class="link">Sign out</button></form>`;

export function layout(o: LayoutOptions, body: SafeHtml): string {
  const head = html`${o.refreshSeconds ? html`<meta http-equiv="refresh" content="${o.refreshSeconds}">` : ''}
<link rel="stylesheet" href="/portal/static/portal.css">`;
  return htmlDocument({ title: html`${o.title} · Pay your medical bill`, head }, html`<a class="skip" href="#main">Skip to main content</a>
<header class="site"><div class="inner">
<p class="brand">${o.heading ?? 'Pay your medical bill'}</p>
${o.signedIn && o.csrf ? signOutForm(o.csrf) : ''}
</div></header>
<main id="main" tabindex="-1">
${body}
</main>
<footer class="site"><p>Your information is protected. For your privacy, a session ends a few minutes after you sign in.</p></footer>`);
}

export interface FieldError { field: string; message: string }

export function errorSummary(errors: FieldError[], title = 'There is a problem'): Interpolation {
  if (errors.length === 0) return '';
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">${title}</h2>
<ul>${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}</ul>
</div>`;
}

const errorFor = (errors: FieldError[], field: string) => errors.find((e) => e.field === field)?.message;

/** The field's hint, and its error when it has one. */
const describedBy = (field: string, errors: FieldError[]) =>
  [`${field}-hint`, errorFor(errors, field) ? `${field}-error` : ''].filter(Boolean).join(' ');

export const fieldError = (field: string, errors: FieldError[]): Interpolation => {
  const message = errorFor(errors, field);
  return message ? html`<p class="error" id="${field}-error"><span class="visually-hidden">Error:</span> ${message}</p>` : '';
};

const invalid = (field: string, errors: FieldError[]): Interpolation => (errorFor(errors, field) ? html` aria-invalid="true"` : '');

/** An input's ` aria-describedby="…"` (its hint, its error) and, after an error, ` aria-invalid="true"`. */
export const described = (field: string, errors: FieldError[]): SafeHtml =>
  html` aria-describedby="${describedBy(field, errors)}"${invalid(field, errors)}`;

/** The date-of-birth field every sign-in form asks for (the portal's lookup, a pay link). */
export const dateOfBirthField = (errors: FieldError[]): SafeHtml => html`<div class="field">
<label for="dateOfBirth">Date of birth</label>
<p class="hint" id="dateOfBirth-hint">The patient's date of birth, for example 03/12/1984.</p>
${fieldError('dateOfBirth', errors)}
<input type="date" id="dateOfBirth" name="dateOfBirth" autocomplete="bday" required${described('dateOfBirth', errors)}>
</div>`;
