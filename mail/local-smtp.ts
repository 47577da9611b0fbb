/**
 * The local SMTP server with a web inbox: what the stack (scripts/stack.ts) and the tests (test/support/smtp.ts) send
 * the patients' email to. A real SMTP server (`smtp-server`) on 127.0.0.1 that accepts every message, parses it with
 * `mailparser` and keeps it in memory (the newest 500), and a tiny web inbox on 127.0.0.1: the list, one message
 * (headers, the text body, the HTML body in a sandboxed frame, its attachments), each attachment's download, and
 * `/api/messages` (JSON) for scripts. Development and tests only: no authentication, nothing stored on disk.
 *
 * `stopSmtp()` / `startSmtp()` take the SMTP listener down and up again on the same port while the inbox and its
 * messages stay: how the tests show that an outage loses and doubles nothing.
 *
 * It also plays the email PROVIDER's event webhook (`events`: payflow's POST /webhooks/email and one of its
 * EMAIL_WEBHOOK_SECRETS): a message to a recipient at the reserved domain `bounce.invalid` (RFC 2606: never a real
 * mailbox) is accepted, kept in the inbox marked bounced, and then reported as a permanent bounce (status 5.1.1) by a
 * signed event naming its Message-ID, as SES, Postmark or SendGrid report a bounce after they accepted a message.
 * A refused or unreachable webhook is retried a few times with backoff, as providers do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { randomUUID } from 'node:crypto';
import { html, htmlDocument } from '../lib/html';
import { signWebhook, SIGNATURE_HEADER } from '../lib/webhook-signature';

/** The reserved domain whose recipients bounce (after acceptance) when an event webhook is configured. */
export const BOUNCE_DOMAIN = 'bounce.invalid';

export interface EmailEventsWebhook {
  /** payflow's POST /webhooks/email */
  url: string;
  /** One of payflow's EMAIL_WEBHOOK_SECRETS. */
  secret: string;
  /** Delay before the report (providers report a bounce seconds to minutes later); default 50 ms. */
  delayMs?: number;
}

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
  /** Reported bounced to the events webhook (a recipient at bounce.invalid): `reported` once payflow answered 2xx. */
  bounce?: { reported: boolean; attempts: number; status?: number };
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

export async function startLocalSmtp(opts: { smtpPort?: number; inboxPort?: number; host?: string; events?: EmailEventsWebhook } = {}): Promise<LocalSmtp> {
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
          const to = session.envelope.rcptTo.map((r) => r.address);
          const bounces = !!opts.events && to.some((a) => a.toLowerCase().endsWith(`@${BOUNCE_DOMAIN}`));
          const message: ReceivedMessage = {
            id: next++, receivedAt: new Date(), envelope: { from: envelopeFrom, to },
            messageId: parsed.messageId, from: addressText(parsed.from), to: addressText(parsed.to), subject: parsed.subject ?? '',
            text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : undefined,
            attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? 'attachment', contentType: a.contentType, size: a.size, content: a.content })),
            ...(bounces ? { bounce: { reported: false, attempts: 0 } } : {}),
          };
          store(message);
          callback();
          // Accepted first (the sender's SMTP conversation ends with 250), reported bounced afterwards.
          if (bounces && opts.events) reportBounce(opts.events, message);
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

// ── the provider's event webhook ──
const BOUNCE_ATTEMPTS = 6;

/** Reports a permanent bounce of `m` to payflow, signed; retried with backoff until a 2xx (or a 4xx: never again). */
function reportBounce(events: EmailEventsWebhook, m: ReceivedMessage): void {
  if (!m.messageId || !m.bounce) return;
  const raw = JSON.stringify({
    eventId: `bounce-${randomUUID()}`, type: 'bounce', occurredAt: new Date().toISOString(),
    data: { messageId: m.messageId, bounceType: 'permanent', code: '5.1.1' },
  });
  const bounce = m.bounce;
  const attempt = async (n: number): Promise<void> => {
    bounce.attempts = n;
    try {
      const res = await fetch(events.url, {
        method: 'POST', body: raw, signal: AbortSignal.timeout(10_000),
        headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signWebhook(raw, events.secret, Math.floor(Date.now() / 1000)), 'User-Agent': 'payflow-local-smtp' },
      });
      bounce.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        bounce.reported = true;
        return;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) return;
    } catch {
      // payflow unreachable: retried below
    }
    if (n < BOUNCE_ATTEMPTS) setTimeout(() => void attempt(n + 1), Math.min(250 * 2 ** n, 5000)).unref();
  };
  setTimeout(() => void attempt(1), events.delayMs ?? 50).unref();
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
      ...(m.bounce ? { bounce: { reported: m.bounce.reported, attempts: m.bounce.attempts } } : {}),
    }))));
  }
  if (url.pathname === '/') {
    const rows = [...received].reverse().map((m) => html`<tr><td>${m.receivedAt.toISOString()}</td><td>${m.to}</td><td><a href="/messages/${String(m.id)}">${m.subject || '(no subject)'}</a>${m.bounce ? html` <strong>(bounced${m.bounce.reported ? ', reported' : ''})</strong>` : ''}</td><td>${String(m.attachments.length)}</td></tr>`);
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
