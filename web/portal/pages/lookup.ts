/**
 * The portal's sign-in form: account ID and date of birth. After a failed lookup it answers exactly the same bytes
 * whatever went wrong (unknown account, wrong date of birth, locked): it echoes nothing the patient typed and says the
 * same thing.
 */
import { html } from '../../../lib/html';
import { dateOfBirthField, described, errorSummary, fieldError, layout, type FieldError } from '../layout';

export type LookupNotice = 'expired' | 'signed-out';

export interface LookupPageOptions {
  csrf: string;
  failed?: boolean;
  errors?: FieldError[];
  values?: { accountId?: string };
  notice?: LookupNotice;
}

/** What the browser is told about the account ID field: typed as printed, never remembered or corrected. */
const ACCOUNT_ID_INPUT = html` autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" required`;

export function lookupPage(o: LookupPageOptions): string {
  const errors = o.errors ?? [];
  const failedMessage = html`<div class="error-summary" role="alert" aria-labelledby="failed-title" tabindex="-1">
<h2 id="failed-title">We could not find your statement</h2>
<p>Check the account ID on your statement and your date of birth, then try again. After several unsuccessful tries, online access to
the account is paused for 30 minutes. You can always pay by phone or by mail.</p>
</div>`;
  const notice = o.notice === 'expired'
    ? html`<p class="notice">For your privacy you were signed out. Please enter your details again.</p>`
    : o.notice === 'signed-out' ? html`<p class="notice ok">You are signed out.</p>` : '';
  const body = html`<h1>Pay your bill online</h1>
${notice}
${o.failed ? failedMessage : errorSummary(errors)}
<p class="lead">Enter the account ID printed on your statement and your date of birth.</p>
<form method="post" action="/portal/lookup" novalidate>
<input type="hidden" name="csrf" value="${o.csrf}">
<div class="field">
<label for="accountId">Account ID</label>
<p class="hint" id="accountId-hint">10 letters and numbers, printed at the top of your statement.</p>
${fieldError('accountId', errors)}
<input type="text" id="accountId" name="accountId" value="${o.values?.accountId ?? ''}"${ACCOUNT_ID_INPUT}${described('accountId', errors)}>
</div>
${dateOfBirthField(errors)}
<button type="submit">Find my statement</button>
</form>`;
  const title = o.failed ? 'Error: statement not found' : errors.length > 0 ? 'Error: check your details' : 'Find your statement';
  return layout({ title }, body);
}
