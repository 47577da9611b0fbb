/**
 * HTML for the stand-in's Patient Payment tool. Every interpolated value is escaped by the `html` tag unless it
 * is itself the output of `html` (SafeHtml): there is no other way to put text into a page.
 * No external assets: the CSS is inline and allowed by its hash in the Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import { html, htmlDocument, SafeHtml } from '../../lib/html';

// One escaping tag for every page we serve (lib/html.ts); re-exported for the stand-in's modules.
export { escapeHtml, html, SafeHtml } from '../../lib/html';

export const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5260; --line: #c4cad3; --accent: #0b5cad; --ok: #1d6b35; --bad: #a4161a; }
* { box-sizing: border-box; }
body { margin: 0; font: 1.0625rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f4f6f8; }
main { max-width: 36rem; margin: 0 auto; padding: 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: 1rem 1.25rem; margin: 0 0 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.125rem; margin: 0 0 .5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.amount { font-size: 1.375rem; font-weight: 700; }
fieldset { border: 1px solid var(--line); border-radius: .5rem; margin: 0 0 1rem; padding: .5rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; font-weight: 600; margin: 0 0 .25rem; }
.choice { display: flex; align-items: center; gap: .5rem; font-weight: 400; min-height: 2.75rem; margin: 0; }
.choice input { width: 1.25rem; height: 1.25rem; margin: 0; }
input[type=datetime-local], input[type=text] { width: 100%; font: inherit; padding: .625rem; min-height: 2.75rem; border: 1px solid var(--muted); border-radius: .375rem; }
.field { margin: 0 0 1rem; }
.hint { color: var(--muted); font-size: .9375rem; margin: .25rem 0 0; }
.error { color: var(--bad); font-weight: 600; margin: .25rem 0 0; }
[aria-invalid=true] { border-color: var(--bad); border-width: 2px; }
button { font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: .375rem; padding: .75rem 1.25rem; min-height: 2.75rem; width: 100%; cursor: pointer; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.notice { border-left: .375rem solid var(--muted); }
.notice.ok { border-left-color: var(--ok); }
.notice.bad { border-left-color: var(--bad); }
.tag { display: inline-block; font-size: .8125rem; font-weight: 600; letter-spacing: .02em; text-transform: uppercase; color: var(--muted); }
@media (min-width: 40rem) { button { width: auto; } }
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** No scripts, no external anything; forms may only post back here; the page may not be framed. */
export const CONTENT_SECURITY_POLICY =
  `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export function page(title: string, body: SafeHtml): string {
  return htmlDocument({ title: html`${title} · EHR stand-in`, head: html`<style>${new SafeHtml(STYLE)}</style>`, robots: 'noindex' }, html`<main>
<p class="tag">EHR stand-in (development only)</p>
${body}
</main>`);
}
