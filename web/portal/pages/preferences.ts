/**
 * The signed-in patient's contact preferences (issue 17): how they want to hear about their bill (a preferred channel
 * among those on file, or none) and whether billing email and text messages may be sent at all. The page names the
 * channels, never the address or number on file (the minimum necessary; a shared screen shows no contact details).
 */
import { html, type SafeHtml } from '../../../lib/html';
import { errorSummary, fieldError, layout, type FieldError } from '../layout';

export interface PreferencesPageModel {
  csrf: string;
  practiceName: string;
  firstName: string;
  onFile: { email: boolean; text: boolean; mail: boolean };
  preferredChannel: 'email' | 'text' | 'mail' | null;
  emailAllowed: boolean;
  textAllowed: boolean;
  saved?: boolean;
  errors?: FieldError[];
}

const LABELS = { email: 'Email', text: 'Text message', mail: 'Postal mail' } as const;

function radio(m: PreferencesPageModel, value: 'email' | 'text' | 'mail' | '', label: string, hint?: string): SafeHtml {
  const checked = (m.preferredChannel ?? '') === value;
  const id = `preferredChannel-${value || 'none'}`;
  return html`<div class="choice"><input type="radio" id="${id}" name="preferredChannel" value="${value}"${checked ? html` checked` : ''}>
<label for="${id}">${label}</label>${hint ? html` <span class="hint">${hint}</span>` : ''}</div>`;
}

function toggle(name: 'email' | 'text', allowed: boolean, label: string, onFile: boolean, errors: FieldError[]): SafeHtml {
  const contact = name === 'email' ? 'email address' : 'mobile number';
  if (!onFile) return html`<p class="small">${label}: no ${contact} on file. Ask the billing office to add one.</p>`;
  return html`<fieldset id="${name}" class="choices"><legend>${label}</legend>
${fieldError(name, errors)}
<div class="choice"><input type="radio" id="${name}-on" name="${name}" value="on"${allowed ? html` checked` : ''}>
<label for="${name}-on">Send them</label></div>
<div class="choice"><input type="radio" id="${name}-off" name="${name}" value="off"${allowed ? '' : html` checked`}>
<label for="${name}-off">Do not send them</label></div>
</fieldset>`;
}

export function preferencesPage(m: PreferencesPageModel): string {
  const errors = m.errors ?? [];
  const channels = (['email', 'text', 'mail'] as const).filter((c) => m.onFile[c]);
  const body = html`<h1>How we contact you</h1>
${errorSummary(errors)}
${m.saved ? html`<p class="notice ok" role="status">Your choices are saved.</p>` : ''}
<p class="lead">${m.firstName}, choose how ${m.practiceName} sends your statements, reminders and receipts.</p>
<form method="post" action="/portal/preferences" novalidate>
<input type="hidden" name="csrf" value="${m.csrf}">
<fieldset id="preferredChannel" class="choices"><legend>Preferred way to hear from us</legend>
<p class="hint" id="preferredChannel-hint">With a preference, statements come that way only (by post if it fails).
Without one, they come by every way on file, and always by post.</p>
${fieldError('preferredChannel', errors)}
${radio(m, '', 'No preference')}
${channels.map((c) => radio(m, c, LABELS[c]))}
</fieldset>
${toggle('email', m.emailAllowed, 'Billing email', m.onFile.email, errors)}
${toggle('text', m.textAllowed, 'Billing text messages', m.onFile.text, errors)}
<p class="small">Statements by post cannot be turned off here: they are your statement of record.</p>
<button type="submit">Save my choices</button>
</form>
<p><a href="/portal/statement">Back to your statement</a></p>`;
  return layout({ title: errors.length > 0 ? 'Error: how we contact you' : 'How we contact you', heading: m.practiceName, csrf: m.csrf, signedIn: true }, body);
}
