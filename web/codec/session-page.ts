/**
 * The codec sign-in page for engineers (GET and POST /codec/session, api/routes/codec.ts; given to it by server/app.ts): the engineer codec token
 * turned into a cookie, so the Temporal Web UI can decode payloads in this browser. A page of its own, outside the
 * staff and portal frames; its few styles are inline (its CSP allows inline styles and no scripts).
 */
import { html } from '../../lib/html';

export function codecSessionPage(message: string): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>payflow: codec sign-in</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}input,button{font:inherit;padding:.4rem}</style></head>
<body><h1>Decode payloads in the Temporal UI</h1><p>${message}</p>
<form method="post" action="/codec/session"><label>Engineer codec token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button></form>
<form method="post" action="/codec/session/end"><button type="submit">Sign out</button></form>
<p>Then, in the Temporal UI: <em>Codec Server</em> settings → tick <em>Include cross-origin credentials</em>. See docs/operations.md.</p></body></html>`.value;
}
