/**
 * The SMS provider stand-in (development and tests only), mounted at /sms by the stand-in app. In memory. It plays an
 * HTTP SMS provider shaped like the common ones, and reaches payflow only through signed webhooks
 * (lib/webhook-signature.ts, the SMS_WEBHOOK_SECRET; events: contracts/webhooks.ts):
 *
 *   POST /sms/api/messages    Authorization: Bearer <token>, Idempotency-Key: <key>, {from, to, body, statusCallback}
 *                             → 201 {sid, status: 'queued'} (the same key again: 200 and the same message, nothing new;
 *                             the same key with other content: 409). Then it reports the delivery at statusCallback
 *                             (signed message.status): `delivered`, or `failed` (error 30003) for a number ending in
 *                             0000; a number ending in 9999 is refused at once (400, an invalid number).
 *   GET  /sms/api/messages    every message, oldest first (JSON)
 *   POST /sms/api/inbound     {from, body, to?}: a patient's reply, as if texted from `from` → a signed message.inbound
 *                             to payflow's /webhooks/sms; payflow's `reply` (STOP, START, HELP confirmations) is
 *                             recorded as a message back to the patient. No token (it is the patient's phone).
 *   GET  /sms/inbox           the inbox page: every message, newest first, with its status
 *
 * Tests drive failures through `SmsStandin`: `setDown(true)` answers every send 503; `loseAnswers(n)` takes the next n
 * messages and then answers 500 as if the answer were lost (the Idempotency-Key retry must not send twice).
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { badRequest, conflict, unauthorized, AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { signWebhook, SIGNATURE_HEADER } from '../../lib/webhook-signature';
import type { SmsEvent } from '../../contracts/webhooks';
import { CONTENT_SECURITY_POLICY, html, page } from './html';
import { jsonOrNull } from './json-body';

export interface SmsStandinOptions {
  /** The bearer token senders must present (payflow's SMS_PROVIDER_TOKEN). */
  token: string;
  /** Signs the webhooks (one of payflow's SMS_WEBHOOK_SECRETS); a list signs with each (a rotation). */
  webhookSecret: string | string[];
  /** payflow's POST /webhooks/sms: where replies (message.inbound) go. Statuses go to each message's statusCallback. */
  inboundUrl: string;
  /** The number patients reply to when a reply names none. */
  defaultNumber?: string;
  /** How long after a send its status callback goes (50 ms unless told). */
  callbackDelayMs?: number;
  deliveryTimeoutMs?: number;
  now?: () => Date;
  log: Logger;
}

export interface SmsMessage {
  sid: string;
  direction: 'outbound' | 'inbound' | 'reply';
  from: string;
  to: string;
  body: string;
  status: 'queued' | 'delivered' | 'failed' | 'received';
  errorCode?: string;
  createdAt: string;
  idempotencyKey?: string;
  /** What payflow answered to its webhook (status callback or inbound): HTTP status, null when unreachable. */
  webhookStatus?: number | null;
}

export interface SmsStandin {
  router: Router;
  /** Every message, oldest first (copies). */
  messages(): SmsMessage[];
  /** Sends per provider request (including refused and repeated ones): how often payflow asked. */
  requests(): number;
  /** While down, every send answers 503 (nothing is recorded). */
  setDown(down: boolean): void;
  /** The next `n` sends are taken (recorded, reported) but answered 500, as if the answer were lost. */
  loseAnswers(n: number): void;
  /** A patient's reply from `from`: sends the signed message.inbound and records payflow's reply; its answer. */
  inbound(from: string, body: string, to?: string): Promise<{ status: number | null; body: unknown }>;
  /** Resolves when every status callback sent so far has been answered. */
  settled(): Promise<void>;
}

const numberSchema = z.string().regex(/^\+?[0-9]{5,15}$/, { error: 'must be a phone number in E.164 form' });
const sendSchema = z.strictObject({
  from: numberSchema,
  to: numberSchema,
  body: z.string().min(1, { error: 'must not be empty' }).max(1600, { error: 'must be at most 1600 characters' }),
  statusCallback: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});
const inboundSchema = z.strictObject({ from: numberSchema, body: z.string().max(1600), to: numberSchema.optional() });

const newSid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const MAX_MESSAGES = 1000;

export function createSmsStandin(o: SmsStandinOptions): SmsStandin {
  const now = o.now ?? (() => new Date());
  const messages: SmsMessage[] = [];
  const byKey = new Map<string, { message: SmsMessage; fingerprint: string }>();
  const pending = new Set<Promise<unknown>>();
  let down = false;
  let toLose = 0;
  let requestCount = 0;
  const wantToken = createHash('sha256').update(o.token).digest();
  const timeoutMs = o.deliveryTimeoutMs ?? 15_000;

  const record = (m: SmsMessage) => {
    messages.push(m);
    if (messages.length > MAX_MESSAGES) messages.shift();
  };

  /** Signs and POSTs one event; retried (3 tries in all) while payflow is unreachable or answers 5xx. */
  async function post(url: string, event: SmsEvent): Promise<{ status: number | null; body: unknown }> {
    const raw = JSON.stringify(event);
    let last: { status: number | null; body: unknown } = { status: null, body: null };
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const res = await fetch(url, {
          method: 'POST', body: raw, redirect: 'error', signal: AbortSignal.timeout(timeoutMs),
          headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signWebhook(raw, o.webhookSecret, Math.floor(Date.now() / 1000)), 'User-Agent': 'payflow-sms-standin' },
        });
        const body = await jsonOrNull(res);
        last = { status: res.status, body };
        if (res.status < 500) break;
      } catch {
        last = { status: null, body: null };
      }
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
    o.log.info({ eventType: event.type, eventId: event.eventId, status: last.status }, 'sms webhook delivery');
    return last;
  }

  function reportLater(m: SmsMessage, statusCallback: string) {
    const failed = /0000$/.test(m.to);
    const run = new Promise((r) => setTimeout(r, o.callbackDelayMs ?? 50)).then(async () => {
      const status = failed ? 'failed' : 'delivered';
      m.status = status;
      if (failed) m.errorCode = '30003';
      const event: SmsEvent = {
        eventId: newSid('EV'), type: 'message.status', occurredAt: now().toISOString(),
        data: { messageId: m.sid, status, ...(failed ? { errorCode: '30003' } : {}) },
      };
      m.webhookStatus = (await post(statusCallback, event)).status;
    });
    pending.add(run);
    void run.finally(() => pending.delete(run));
  }

  const requireToken: RequestHandler = (req, _res, next) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), wantToken)) throw unauthorized();
    next();
  };
  const json = express.json({ limit: '64kb' });

  const router = Router();

  router.post('/api/messages', requireToken, json, (req, res) => {
    requestCount++;
    if (down) throw new AppError(503, 'unavailable', 'Service unavailable', 'The SMS provider stand-in is down (setDown).');
    const parsed = sendSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest(`Invalid message: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}.`);
    const input = parsed.data;
    const key = req.get('idempotency-key');
    const fingerprint = createHash('sha256').update(JSON.stringify([input.from, input.to, input.body])).digest('hex');
    if (key) {
      const seen = byKey.get(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) throw conflict('This Idempotency-Key was used for another message.');
        res.status(200).json({ sid: seen.message.sid, status: 'queued' });
        return;
      }
    }
    if (/9999$/.test(input.to)) throw badRequest('The To number is not a valid mobile number.');
    const message: SmsMessage = {
      sid: newSid('SM'), direction: 'outbound', from: input.from, to: input.to, body: input.body, status: 'queued', createdAt: now().toISOString(),
      ...(key ? { idempotencyKey: key } : {}),
    };
    record(message);
    if (key) byKey.set(key, { message, fingerprint });
    if (input.statusCallback) reportLater(message, input.statusCallback);
    if (toLose > 0) {
      toLose--;
      throw new AppError(500, 'internal', 'Internal error', 'The answer was lost (loseAnswers).');
    }
    res.status(201).json({ sid: message.sid, status: 'queued' });
  });

  router.get('/api/messages', requireToken, (_req, res) => {
    res.json({ messages });
  });

  async function inbound(from: string, body: string, to?: string) {
    const ours = to ?? [...messages].reverse().find((m) => m.direction === 'outbound' && m.to === from)?.from ?? o.defaultNumber ?? '+15555550123';
    const received: SmsMessage = { sid: newSid('SM'), direction: 'inbound', from, to: ours, body, status: 'received', createdAt: now().toISOString() };
    record(received);
    const answer = await post(o.inboundUrl, { eventId: newSid('EV'), type: 'message.inbound', occurredAt: now().toISOString(), data: { messageId: received.sid, from, to: ours, body } });
    received.webhookStatus = answer.status;
    const reply = (answer.body as { reply?: unknown } | null)?.reply;
    if (answer.status === 200 && typeof reply === 'string' && reply) {
      record({ sid: newSid('SM'), direction: 'reply', from: ours, to: from, body: reply, status: 'delivered', createdAt: now().toISOString() });
    }
    return answer;
  }

  router.post('/api/inbound', json, async (req, res) => {
    const parsed = inboundSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest(`Invalid reply: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}.`);
    const answer = await inbound(parsed.data.from, parsed.data.body, parsed.data.to);
    res.status(200).json({ delivery: answer });
  });

  router.get('/inbox', (_req, res: Response) => {
    const rows = [...messages].reverse().map((m) => html`<div class="card">
<p class="tag">${m.direction} · ${m.status}${m.errorCode ? ` (error ${m.errorCode})` : ''}</p>
<dl><dt>From</dt><dd>${m.from}</dd><dt>To</dt><dd>${m.to}</dd><dt>At</dt><dd>${m.createdAt}</dd><dt>Message</dt><dd>${m.body}</dd></dl>
</div>`);
    res.status(200).set({
      'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer',
    }).send(page('Text messages', html`<h1>Text messages (SMS provider stand-in)</h1>
<p>${messages.length === 0 ? 'No messages yet.' : `${messages.length} message${messages.length === 1 ? '' : 's'}, newest first.`}
Reply as a patient: <code>curl -X POST …/sms/api/inbound -H 'Content-Type: application/json' -d '{"from":"+1…","body":"STOP"}'</code></p>
${rows}`));
  });

  return {
    router,
    messages: () => messages.map((m) => ({ ...m })),
    requests: () => requestCount,
    setDown: (d) => {
      down = d;
    },
    loseAnswers: (n) => {
      toLose = n;
    },
    inbound,
    settled: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
