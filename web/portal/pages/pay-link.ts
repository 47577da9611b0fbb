/** The date-of-birth form a statement email's pay link opens (web/portal/pay-link-routes.ts). */
import { html } from '../../../lib/html';
import { dateOfBirthField, errorSummary, layout, type FieldError } from '../layout';

/** The date-of-birth form of a pay link; after a failed lookup the same bytes whatever went wrong. */
export function payLinkPage(o: { csrf: string; action: string; failed?: boolean; errors?: FieldError[] }): string {
  const errors = o.errors ?? [];
  const failed = html`<div class="error-summary" role="alert" aria-labelledby="failed-title" tabindex="-1">
<h2 id="failed-title">We could not confirm the date of birth</h2>
<p>Check the patient's date of birth and try again. After several unsuccessful tries, online access to the account is paused for
30 minutes. You can always pay by phone or by mail.</p>
</div>`;
  const body = html`<h1>Pay your bill online</h1>
${o.failed ? failed : errorSummary(errors)}
<p class="lead">You opened the pay link from your statement email. To keep your information private, confirm the patient's date of birth.</p>
<form method="post" action="${o.action}" novalidate>
<input type="hidden" name="csrf" value="${o.csrf}">
${dateOfBirthField(errors)}
<button type="submit">Continue</button>
</form>
<p class="small">Not your statement, or the link does not work? <a href="/portal">Sign in with the account ID printed on your statement</a>.</p>`;
  return layout({ title: o.failed ? 'Error: date of birth not confirmed' : errors.length > 0 ? 'Error: check the date of birth' : 'Confirm the date of birth' }, body);
}
