/**
 * The staff sign-in: with the practice's identity provider (OpenID Connect, app/staff-sign-in.ts), and, where the
 * configuration allows it (`STAFF_TOKEN_SIGN_IN`, not in production), a personal token turned into a server-side
 * session (../session.ts). The pages a refused or failed sign-in through the provider ends on.
 */
import { html, htmlDocument } from '../../../lib/html';
import { notice, page, type Notice } from '../layout';

const REFUSED: Notice = {
  kind: 'bad', title: 'That token was not accepted', text: 'Check it and try again. Tokens are issued per person by your practice admin.', focus: true,
};

export interface SignInChoices {
  /** Practices whose staff sign in with an identity provider (external id, name). */
  practices: { externalId: string; name: string }[];
  /** The practice asked for (`?practice=`), when it is one of them. */
  chosen?: { externalId: string; name: string };
  /** The token form is offered (development and tests). */
  tokenForm: boolean;
}

const oidcLink = (p: { externalId: string; name: string }) =>
  html`<p><a class="button" id="oidc-sign-in" href="/staff/sign-in/oidc?practice=${encodeURIComponent(p.externalId)}">
Sign in with your practice's identity provider</a></p>
<p class="hint">${p.name}: you sign in on your practice's own sign-in page (Google Workspace, Microsoft Entra, Okta…) and come back here.</p>`;

export function signInPage(o: { failed?: boolean; signedOut?: boolean; choices?: SignInChoices }): string {
  const choices = o.choices ?? { practices: [], tokenForm: true };
  const single = choices.chosen ?? (choices.practices.length === 1 ? choices.practices[0] : undefined);
  const oidc = single ? oidcLink(single)
    : choices.practices.length > 1 ? html`<form method="get" action="/staff/sign-in/oidc">
<div class="field">
<label for="practice">Your practice's ID</label>
<p class="hint" id="practice-hint">Your practice admin can tell you; bookmark this page with <code>?practice=</code> and it is filled in.</p>
<input id="practice" name="practice" required aria-describedby="practice-hint">
</div>
<button type="submit">Sign in with your practice's identity provider</button>
</form>`
      : choices.tokenForm ? '' : html`<p class="lead">No practice signs in here yet.
Ask the person who runs payflow to connect your practice's identity provider.</p>`;
  return page({ title: 'Sign in', section: 'none' }, html`<div class="signin card">
<h1>Staff sign-in</h1>
${o.failed ? notice(REFUSED) : ''}
${o.signedOut ? notice({ kind: 'ok', title: 'You are signed out' }) : ''}
${oidc}
${choices.tokenForm ? html`${single || choices.practices.length > 1 ? html`<h2>Or with a staff token</h2>` : ''}
<form method="post" action="/staff/sign-in">
<div class="field">
<label for="token">Staff token</label>
<p class="hint" id="token-hint">Paste your personal token. It stays on this computer only as a sign-in session (8 hours, or 30 minutes unused).</p>
<input type="password" id="token" name="token" autocomplete="off" required aria-describedby="token-hint"${o.failed ? html` aria-invalid="true"` : ''}>
</div>
<button type="submit">Sign in</button>
</form>` : ''}
</div>`);
}

/** A sign-in through the identity provider that did not end in a session: what happened and what to do. */
export function signInProblemPage(o: { title: string; text: string; practice?: string }): string {
  const again = o.practice ? `/staff/sign-in?practice=${encodeURIComponent(o.practice)}` : '/staff/sign-in';
  return page({ title: o.title, section: 'none' }, html`<div class="signin card">
<h1>${o.title}</h1>
<p class="lead">${o.text}</p>
<p><a href="${again}">Back to the sign-in page</a></p>
</div>`);
}

/**
 * Signed in: on to the work queue from a page of ours. A redirect straight from the provider's callback would not
 * carry the SameSite=Strict session cookie when the provider is another site (the navigation began there); a
 * navigation this page starts is same-site, so it does.
 */
export function signedInPage(next: string): string {
  return htmlDocument({
    title: 'Signed in · payflow staff',
    head: html`<meta http-equiv="refresh" content="0;url=${next}">
<link rel="stylesheet" href="/staff/static/staff.css">`,
  }, html`<main id="main"><div class="signin card"><h1>You are signed in</h1>
<p><a id="continue" href="${next}">Continue to the work queue</a></p></div></main>`);
}
