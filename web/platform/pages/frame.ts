/** The frame of the platform operator's pages (web/platform/): no stylesheet, no script; a sign-out form when signed in. */
import { html, htmlDocument, type Interpolation } from '../../../lib/html';

export function operatorFrame(title: string, body: Interpolation, signedIn?: { csrf: string }): string {
  const signOut = signedIn
    ? html`<form method="post" action="/platform/sign-out"><input type="hidden" name="csrf" value="${signedIn.csrf}">
<button type="submit">Sign out</button></form>`
    : '';
  return htmlDocument({ title: `payflow platform: ${title}` }, html`<header><p><strong>payflow platform</strong> (operator)</p>${signOut}</header>
<main>
<h1>${title}</h1>
${body}
</main>`);
}
