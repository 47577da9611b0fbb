/** The platform operator's sign-in page (GET /platform without a session; the answer of a refused POST /platform/sign-in). */
import { html } from '../../../lib/html';
import { operatorFrame } from './frame';

export function operatorSignInPage(o: { problem?: string; signedOut?: boolean } = {}): string {
  return operatorFrame('Sign in', html`${o.problem ? html`<p role="alert"><strong>${o.problem}</strong></p>` : ''}
${o.signedOut ? html`<p role="status">You are signed out.</p>` : ''}
<p>Sign in with a platform operator token (PLATFORM_OPERATOR_TOKENS). The session lasts 1 hour in this browser.</p>
<form method="post" action="/platform/sign-in">
<p><label for="token">Operator token</label><br><input id="token" name="token" type="password" autocomplete="off" required></p>
<p><button type="submit">Sign in</button></p>
</form>`);
}
