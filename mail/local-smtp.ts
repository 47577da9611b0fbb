/**
 * The local SMTP server with a web inbox: what the stack (scripts/stack.ts) and the tests (test/support/smtp.ts) send
 * the patients' email to. A real SMTP server (`smtp-server`) on 127.0.0.1 that accepts every message, parses it with
 * `mailparser` and keeps it in memory (the newest 500), and a tiny web inbox on 127.0.0.1: the list, one message
 * (headers, the text body, the HTML body in a sandboxed frame, its attachments), each attachment's download, and
 * `/api/messages` (JSON) for scripts. Development and tests only: no authentication, nothing stored on disk.
 *
 * `stopSmtp()` / `startSmtp()` take the SMTP listener down and up again on the same port while the inbox and its
 * messages stay: how the tests show that an outage loses and doubles nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { html, htmlDocument } from '../lib/html';

export interface ReceivedAttachment { filename: string; contentType: string; size: number; content: Buffer }

export interface ReceivedMessage {
  /** Our inbox's own number (1, 2, …). */
  id: number;
  receivedAt: Date;
  envelope: { from: string; to: string[] };
  messageId: string | undefined;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | undefined;
  attachments: ReceivedAttachment[];
}

export interface LocalSmtp {
  /** smtp://127.0.0.1:<port> */
  smtpUrl: string;
  smtpPort: number;
  /** http://127.0.0.1:<port>/ (the web inbox) */
  inboxUrl: string;
  messages(): ReceivedMessage[];
  /** Resolves with the first message (arrived or arriving) that satisfies `match`. */
  waitFor(match: (m: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  clear(): void;
  /** The SMTP listener down (connections refused), the inbox stays. */
  stopSmtp(): Promise<void>;
  /** The SMTP listener up again, on the same port. */
  startSmtp(): Promise<void>;
  close(): Promise<void>;
}

const KEEP = 500;
const addressText = (a: AddressObject | AddressObject[] | undefined) => [a ?? []].flat().map((x) => x.text).join(', ');

export async function startLocalSmtp(opts: { smtpPort?: number; inboxPort?: number; host?: string } = {}): Promise<LocalSmtp> {
  const host = opts.host ?? '127.0.0.1';
  const received: ReceivedMessage[] = [];
  const waiters = new Set<{ match: (m: ReceivedMessage) => boolean; resolve: (m: ReceivedMessage) => void }>();
  let next = 1;

  const store = (m: ReceivedMessage) => {
    received.push(m);
    if (received.length > KEEP) received.splice(0, received.length - KEEP);
    for (const w of waiters) if (w.match(m)) {
      waiters.delete(w);
      w.resolve(m);
    }
  };

  const newSmtpServer = () => new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], size: 25 * 1024 * 1024, logger: false, closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          store({
            id: next++, receivedAt: new Date(), envelope: { from: envelopeFrom, to: session.envelope.rcptTo.map((r) => r.address) },
            messageId: parsed.messageId, from: addressText(parsed.from), to: addressText(parsed.to), subject: parsed.subject ?? '',
            text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : undefined,
            attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? 'attachment', contentType: a.contentType, size: a.size, content: a.content })),
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });

  let smtp: SMTPServer | undefined;
  let smtpPort = opts.smtpPort ?? 0;
  const listenSmtp = async () => {
    const server = newSmtpServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(smtpPort, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Errors of single connections (a client that went away) are not the server's.
    server.on('error', () => undefined);
    smtpPort = (server.server.address() as AddressInfo).port;
    smtp = server;
  };
  const closeSmtp = async () => {
    const server = smtp;
    smtp = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await listenSmtp();

  const web: Server = createServer((req, res) => inbox(req, res, received));
  await new Promise<void>((resolve, reject) => {
    web.once('error', reject);
    web.listen(opts.inboxPort ?? 0, host, () => resolve());
  });
  const inboxPort = (web.address() as AddressInfo).port;

  return {
    get smtpUrl() {
      return `smtp://${host}:${smtpPort}`;
    },
    get smtpPort() {
      return smtpPort;
    },
    inboxUrl: `http://${host}:${inboxPort}/`,
    messages: () => [...received],
    waitFor(match, timeoutMs = 60_000) {
      const found = received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (m: ReceivedMessage) => (clearTimeout(timer), resolve(m)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no such email within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear: () => void received.splice(0),
    stopSmtp: closeSmtp,
    startSmtp: async () => {
      if (!smtp) await listenSmtp();
    },
    async close() {
      await closeSmtp();
      await new Promise<void>((resolve) => {
        web.close(() => resolve());
        web.closeAllConnections();
      });
    },
  };
}

// ── the web inbox ──
function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(body);
}

const page = (title: string, body: ReturnType<typeof html>) => htmlDocument({
  title, head: html`<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}iframe{width:100%;height:32rem;border:1px solid #ccc}</style>`,
}, body);

function inbox(req: IncomingMessage, res: ServerResponse, received: ReceivedMessage[]): void {
  const url = new URL(req.url ?? '/', 'http://inbox');
  const byId = (id: string | undefined) => received.find((m) => String(m.id) === id);
  if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only');
  if (url.pathname === '/api/messages') {
    return send(res, 200, 'application/json', JSON.stringify(received.map((m) => ({
      id: m.id, receivedAt: m.receivedAt, messageId: m.messageId, from: m.from, to: m.to, subject: m.subject, text: m.text, html: m.html,
      attachments: m.attachments.map((a, i) => ({ filename: a.filename, contentType: a.contentType, size: a.size, url: `/messages/${m.id}/attachments/${i}` })),
    }))));
  }
  if (url.pathname === '/') {
    const rows = [...received].reverse().map((m) => html`<tr><td>${m.receivedAt.toISOString()}</td><td>${m.to}</td><td><a href="/messages/${String(m.id)}">${m.subject || '(no subject)'}</a></td><td>${String(m.attachments.length)}</td></tr>`);
    return send(res, 200, 'text/html; charset=utf-8', page('Local inbox', html`<h1>Local inbox</h1>
<p>Every email the local stack sent (kept in memory, newest first). JSON: <a href="/api/messages">/api/messages</a>.</p>
<table><thead><tr><th>Received</th><th>To</th><th>Subject</th><th>Attachments</th></tr></thead><tbody>${rows}</tbody></table>`));
  }
  const one = /^\/messages\/(\d+)(?:\/(html|attachments\/(\d+)))?$/.exec(url.pathname);
  const m = one && byId(one[1]);
  if (!one || !m) return send(res, 404, 'text/plain', 'Not found');
  if (one[2] === 'html') {
    // The HTML body on its own, without scripts or outside requests (it is shown in a sandboxed frame).
    return send(res, 200, 'text/html; charset=utf-8', m.html ?? '', { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox allow-popups allow-popups-to-escape-sandbox" });
  }
  if (one[3] !== undefined) {
    const a = m.attachments[Number(one[3])];
    if (!a) return send(res, 404, 'text/plain', 'Not found');
    return send(res, 200, a.contentType, a.content, { 'Content-Disposition': `attachment; filename="${a.filename.replace(/[^\w.-]/g, '_')}"` });
  }
  send(res, 200, 'text/html; charset=utf-8', page(m.subject || 'Message', html`<p><a href="/">← Inbox</a></p>
<h1>${m.subject || '(no subject)'}</h1>
<table>
<tr><th>From</th><td>${m.from}</td></tr><tr><th>To</th><td>${m.to}</td></tr>
<tr><th>Message-ID</th><td>${m.messageId ?? ''}</td></tr><tr><th>Received</th><td>${m.receivedAt.toISOString()}</td></tr>
<tr><th>Attachments</th><td>${m.attachments.length === 0 ? 'none' : m.attachments.map((a, i) => html`<a href="/messages/${String(m.id)}/attachments/${String(i)}">${a.filename}</a> (${a.contentType}, ${String(a.size)} bytes) `)}</td></tr>
</table>
${m.html ? html`<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" src="/messages/${String(m.id)}/html" title="HTML body"></iframe>` : ''}
<h2>Text</h2><pre>${m.text}</pre>`));
}
