/**
 * The text-message adapter of the Notifier port (lib/notifier.ts): an HTTP SMS provider shaped like the common ones.
 *
 *   POST {SMS_PROVIDER_URL}/messages
 *   Authorization: Bearer {SMS_PROVIDER_TOKEN}
 *   Idempotency-Key: sha256(business key)            (no PHI; the same key twice is one message at the provider)
 *   {"from": SMS_FROM, "to": "+1…", "body": "…", "statusCallback": "{PUBLIC_BASE_URL}/webhooks/sms?ref={outbox id}"}
 *   → 201/200 {"sid": "SM…", "status": "queued"}
 *
 * Exactly once, by the business key (as the email adapter, mail/smtp-notifier.ts):
 *   1. the text is written to the notification outbox FIRST, `pending` (db/queries/sms-outbox.ts); a retry finds it;
 *   2. under the row's lock, after reading the patient's text consent (withdrawn → `suppressed`, audited, never sent),
 *      it is handed to the provider with the business key's hash as its Idempotency-Key, and the provider's message id
 *      (sid) is stored with the row (`sent`); a row already sent is never sent again;
 *   3. the provider down (network error, timeout, 5xx, 429, or our token refused: a configuration problem) fails the
 *      activity with the retryable `SmsDeliveryFailed`; Temporal retries it with backoff, and nothing is lost. A 4xx
 *      refusal of the message (an invalid number, a blocked recipient) is final: `rejected`, audited; the statement
 *      still goes by mail.
 * The provider then reports on the message at statusCallback (api/routes/webhooks.ts POST /webhooks/sms, signed):
 * `delivered` or `undelivered` (failed), recorded on the row. The one gap of step 2 (the provider took it and this
 * process died before the row said `sent`) is closed by the Idempotency-Key: the retry gets the same message back.
 * Errors carry reason codes only (ECONNREFUSED, HTTP_503): never the number, the body, nor the provider's text.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../db/connection';
import { deliverText, putPendingText, type StoredText } from '../db/queries/sms-outbox';
import type { Notifier, OutgoingMessage } from '../lib/notifier';

export interface HttpSmsNotifierOptions {
  db: Db;
  /** The provider's API base, e.g. https://sms.example.com/v1 (messages are POSTed to {providerUrl}/messages). */
  providerUrl: string;
  token: string;
  /** Our sender number (E.164) or short code. */
  from: string;
  /** Where the provider reports delivery statuses: payflow's POST /webhooks/sms. */
  statusCallbackUrl: string;
  /** One request's time limit (within the activity's 30 s); 10 s unless told. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The retryable failure type the activity throws (visible as the pending activity's last failure in the UI). */
export const SMS_DELIVERY_FAILED = 'SmsDeliveryFailed';

/** The Idempotency-Key of a message: the business key's SHA-256, hex (the key names ids only; hashed all the same). */
export const idempotencyKeyOf = (businessKey: string): string => createHash('sha256').update(businessKey).digest('hex');

/** An HTTP answer the provider gave (status only: never its text, which may quote the number). */
export class ProviderAnswer extends Error {
  constructor(readonly status: number) {
    super(`the SMS provider answered ${status}`);
  }
}

/** A reason code for a failed hand-over, and whether trying again may help. */
export function classifySmsError(err: unknown): { reason: string; retry: boolean } {
  if (err instanceof ProviderAnswer) {
    const s = err.status;
    // Our credentials refused, or rate-limited: retried (with backoff) until fixed or allowed; the message is fine.
    if (s === 401 || s === 403 || s === 408 || s === 429 || s >= 500) return { reason: `HTTP_${s}`, retry: true };
    return { reason: `HTTP_${s}`, retry: false }; // 400, 404, 409, 422…: the provider refused this message for good
  }
  const e = (err ?? {}) as { name?: string; code?: unknown; cause?: { code?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return { reason: 'ETIMEDOUT', retry: true };
  const code = typeof e.cause?.code === 'string' ? e.cause.code : typeof e.code === 'string' ? e.code : 'UNKNOWN';
  return { reason: /^[A-Z_]{2,30}$/.test(code) ? code : 'UNKNOWN', retry: true };
}

const REASON_WORDS: Record<string, string> = {
  ECONNREFUSED: 'the SMS provider cannot be reached', ECONNRESET: 'the SMS provider closed the connection', ENOTFOUND: 'the SMS provider name does not resolve',
  ETIMEDOUT: 'the SMS provider did not answer in time', HTTP_401: 'the SMS provider refused our token', HTTP_403: 'the SMS provider refused our token',
  HTTP_429: 'the SMS provider asked us to slow down',
};
const wordsOf = (reason: string) => REASON_WORDS[reason] ?? (reason.startsWith('HTTP_5') ? 'the SMS provider is failing' : 'the SMS provider did not take the message');

export function createHttpSmsNotifier(o: HttpSmsNotifierOptions): Notifier {
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const endpoint = `${o.providerUrl.replace(/\/+$/, '')}/messages`;

  const handOver = (businessKey: string) => async (text: StoredText): Promise<{ providerId: string; status: string }> => {
    const callback = new URL(o.statusCallbackUrl);
    callback.searchParams.set('ref', text.id);
    const res = await doFetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${o.token}`,
        'Idempotency-Key': idempotencyKeyOf(businessKey), 'User-Agent': 'payflow-sms',
      },
      body: JSON.stringify({ from: o.from, to: text.recipient, body: text.body, statusCallback: callback.toString() }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const raw = await res.text();
    if (!res.ok) throw new ProviderAnswer(res.status);
    let answer: { sid?: unknown; status?: unknown };
    try {
      answer = JSON.parse(raw) as typeof answer;
    } catch {
      throw new ProviderAnswer(502); // a 2xx we cannot read: as a failing provider (retried; the Idempotency-Key dedups)
    }
    if (typeof answer.sid !== 'string' || !/^[A-Za-z0-9._:-]{1,100}$/.test(answer.sid)) throw new ProviderAnswer(502);
    return { providerId: answer.sid, status: typeof answer.status === 'string' && /^[a-z_]{1,20}$/.test(answer.status) ? answer.status : 'queued' };
  };

  return {
    async send(m: OutgoingMessage) {
      if (m.channel !== 'text') throw new TypeError('the SMS notifier sends text messages only');
      // 1. Written first (once per key), as it will be sent.
      const row = await putPendingText(o.db, {
        practiceId: m.practiceId, patientId: m.patientId, statementId: m.statementId, channel: m.channel, kind: m.kind, sequence: m.sequence,
        recipient: m.recipient, subject: null, body: m.body, businessKey: m.businessKey, paymentId: m.paymentId ?? null,
      });
      // 2. Handed over once, if consent stands.
      const outcome = await deliverText(o.db, row.id, handOver(m.businessKey), classifySmsError);
      // 3. A failure worth retrying fails the activity; Temporal retries it with backoff.
      if (outcome.kind === 'failed' && outcome.retry) {
        throw ApplicationFailure.retryable(`Text message not sent yet: ${wordsOf(outcome.reason)} (${outcome.reason}); it will be retried`, SMS_DELIVERY_FAILED);
      }
      return { messageId: row.id, created: row.created };
    },
  };
}
