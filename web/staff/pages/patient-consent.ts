/**
 * The patient page's "Contact and consent" card (issue 17): per channel whether a contact is on file (never the contact
 * itself), whether the patient may be contacted there, what changed it last (the EHR's record, the patient in the
 * portal, an SMS reply, the email's unsubscribe link or a complaint, staff) and when, in the practice's time zone; and
 * for email and text a button to withdraw or restore consent (source `staff`, audited, the session's CSRF token); and
 * the preferred channel, which staff may set among the channels a message can go by (a contact on file, consent given).
 * Mail is the statement of record: it cannot be withdrawn.
 */
import type { ContactPreferences } from '../../../app/channel-consents';
import { html, type SafeHtml } from '../../../lib/html';
import { th } from '../../table';
import { csrfField, formatInstant, type PageContext } from '../layout';

const CHANNEL_LABELS = { email: 'Email', text: 'Text message', mail: 'Postal mail' } as const;
const SOURCE_LABELS: Record<string, string> = {
  reference_data: 'EHR record', portal: 'patient, in the portal', sms_reply: 'patient, by SMS reply (STOP/START)',
  email_unsubscribe: 'patient, email unsubscribe link (or spam complaint)', staff: 'staff',
};

export function consentSection(ctx: PageContext, c: ContactPreferences, timeZone: string): SafeHtml {
  const rows = (['email', 'text', 'mail'] as const).map((channel) => {
    const onFile = c.onFile[channel];
    if (channel === 'mail') {
      const address = onFile ? 'address on file' : html`<span class="muted">no address on file</span>`;
      return html`<tr><td>${CHANNEL_LABELS.mail}</td><td>${address}</td><td>always (statement of record)</td><td>—</td><td>—</td><td></td></tr>`;
    }
    const consent = c.consents[channel];
    const allowed = consent ? consent.allowed : true;
    const state = allowed ? html`allowed` : html`<strong>withdrawn</strong>`;
    const source = consent ? SOURCE_LABELS[consent.source] ?? consent.source : 'default (contact on file)';
    const when = consent ? formatInstant(consent.changedAt, timeZone) : '—';
    const button = html`<form method="post" action="/staff/patients/${c.patientId}/consent" class="inline">
${csrfField(ctx)}<input type="hidden" name="channel" value="${channel}">
<input type="hidden" name="allowed" value="${allowed ? 'no' : 'yes'}">
<button type="submit">${allowed ? 'Withdraw' : 'Restore'}<span class="visually-hidden"> ${CHANNEL_LABELS[channel]} consent</span></button>
</form>`;
    const contact = onFile ? (channel === 'email' ? 'address on file' : 'number on file') : html`<span class="muted">none on file</span>`;
    return html`<tr><td>${CHANNEL_LABELS[channel]}</td><td>${contact}</td>
<td data-consent="${channel}">${state}</td><td>${source}</td><td>${when}</td><td>${button}</td></tr>`;
  });
  const setBy = SOURCE_LABELS[c.preferredChannelSource ?? ''] ?? 'unknown';
  const setAt = c.preferredChannelChangedAt ? `, ${formatInstant(c.preferredChannelChangedAt, timeZone)}` : '';
  const preferred = c.preferredChannel
    ? html`${CHANNEL_LABELS[c.preferredChannel]} <span class="muted small">(set by ${setBy}${setAt})</span>`
    : html`none: statements go by every channel on file, and by post`;
  const usable = (['email', 'text', 'mail'] as const).filter((ch) => c.onFile[ch] && (ch === 'mail' || c.consents[ch]?.allowed !== false));
  const options = [html`<option value="none"${c.preferredChannel ? '' : html` selected`}>None (every channel on file)</option>`,
    ...usable.map((ch) => html`<option value="${ch}"${c.preferredChannel === ch ? html` selected` : ''}>${CHANNEL_LABELS[ch]}</option>`)];
  const change = html`<form method="post" action="/staff/patients/${c.patientId}/preferred-channel" class="inline">
${csrfField(ctx)}<label for="preferred-channel">Preferred channel</label>
<select id="preferred-channel" name="preferredChannel">${options}</select>
<button type="submit">Save<span class="visually-hidden"> preferred channel</span></button>
</form>`;
  return html`<section class="card" aria-labelledby="consent-h"><h2 id="consent-h">Contact and consent</h2>
<p>Preferred channel: ${preferred}</p>
${change}
<table class="data"><caption class="visually-hidden">Consent per channel</caption>
<thead><tr>${[th('Channel'), th('On file'), th('Consent'), th('Changed by'), th('When'), th(html`<span class="visually-hidden">Change</span>`)]}</tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted small">A patient who asks to stop (or start) billing email or texts: withdraw (or restore) here; one who asks to be
reached another way: change the preferred channel. Every change is audited with your name.</p>
</section>`;
}
