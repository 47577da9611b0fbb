/** The staff sign-in: a personal token turned into a server-side session (../session.ts). */
import { html } from '../../../lib/html';
import { notice, page, type Notice } from '../layout';

const REFUSED: Notice = {
  kind: 'bad', title: 'That token was not accepted', text: 'Check it and try again. Tokens are issued per person by your practice admin.', focus: true,
};

export function signInPage(o: { failed?: boolean; signedOut?: boolean }): string {
  return page({ title: 'Sign in', section: 'none' }, html`<div class="signin card">
<h1>Staff sign-in</h1>
${o.failed ? notice(REFUSED) : ''}
${o.signedOut ? notice({ kind: 'ok', title: 'You are signed out' }) : ''}
<form method="post" action="/staff/sign-in">
<div class="field">
<label for="token">Staff token</label>
<p class="hint" id="token-hint">Paste your personal token. It stays on this computer only as a sign-in session (8 hours).</p>
<input type="password" id="token" name="token" autocomplete="off" required aria-describedby="token-hint"${o.failed ? html` aria-invalid="true"` : ''}>
</div>
<button type="submit">Sign in</button>
</form>
</div>`);
}
