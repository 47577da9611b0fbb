/** The practice's settings (admin): the statement threshold. */
import { centsToDollarsField } from '../../../domain/money';
import type { PracticeSettings } from '../../../db/queries/practice-settings';
import { html } from '../../../lib/html';
import { ariaInvalid, csrfField, dollarsInput, notice, page, type PageContext } from '../layout';

export function settingsPage(ctx: PageContext, s: PracticeSettings, o: { value?: string; error?: string; saved?: boolean } = {}): string {
  const threshold = dollarsInput(
    { id: 'threshold', name: 'statementThreshold', value: o.value ?? centsToDollarsField(s.statementThresholdCents) },
    html` aria-describedby="threshold-hint${o.error ? ' threshold-error' : ''}"${ariaInvalid(o.error)}`,
  );
  return page({ title: 'Settings', section: 'settings', ctx }, html`<h1>Practice settings</h1>
<p class="lead">${s.name} · ${s.timeZone}</p>
${o.saved ? notice({ kind: 'ok', title: 'Saved', focus: true }) : ''}
<form method="post" action="/staff/settings" class="card">
${csrfField(ctx)}
<div class="field"><label for="threshold">Statement threshold</label>
<p class="hint" id="threshold-hint">A statement goes out only when the patient balance is above this amount.</p>
${threshold}
${o.error ? html`<p class="error" id="threshold-error">${o.error}</p>` : ''}</div>
<button type="submit">Save</button>
</form>`);
}
