/**
 * The postal-mail adapter of the Notifier port (lib/notifier.ts): a print-and-mail service over HTTP (PRINT_MAIL_URL,
 * PRINT_MAIL_TOKEN; locally the stand-in's /print-mail, ehr/standin/print-mail.ts). Exactly once, the way the email
 * adapter is:
 *   1. the letter is written to the notification outbox FIRST, `pending`, with its PDF (a statement or reminder: the
 *      printable statement, mail/statement-pdf.ts; a receipt: a one-page letter) and the mailing address of record as
 *      its recipient; a retry finds the row and sends what it holds;
 *   2. it is POSTed under the row's lock (db/queries/notifications.ts deliverOutboxMessage) with an `Idempotency-Key`
 *      header derived from the business key (the service answers a repeat with the same letter): `sent`, with the
 *      service's letter id in `provider_ref`;
 *   3. the service down or answering 5xx (or 408/429): `failed`, and the activity fails with the retryable
 *      `PrintMailDeliveryFailed`: Temporal retries it with backoff. Any other 4xx: `rejected` for good (staff see it in
 *      the outbox). No address of record: the letter is written `rejected` (`NO_MAILING_ADDRESS`) and not sent.
 * Errors carry a reason code only (`HTTP_503`, `ECONNREFUSED`), never the service's text nor any PHI.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import PDFDocument from 'pdfkit';
import type { Db } from '../db/connection';
import {
  completePendingLetter, deliverOutboxMessage, letterHasPdf, mailingAddressOf, outboxRowById, outboxStateOf, practiceNameOf, putOutboxLetter,
  type MailingAddress, type StoredEmail,
} from '../db/queries/notifications';
import { statementDocument } from '../db/queries/statements';
import { printableOf } from '../app/statements';
import { portalUrlOf } from '../activities/statement-notices';
import type { Notifier, OutgoingMessage } from '../lib/notifier';
import { renderStatementPdf } from './statement-pdf';

export interface PrintMailNotifierOptions {
  db: Db;
  /** The service's base URL, e.g. https://print.example.com/print-mail (letters are POSTed to <url>/v1/letters). */
  url: string;
  token: string;
  /** Where patients reach the portal, when the message does not say (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  /** How long one POST may take (within the activity's 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const PRINT_MAIL_DELIVERY_FAILED = 'PrintMailDeliveryFailed';

/** The JSON a letter is POSTed as (the stand-in validates the same shape). */
export interface LetterRequest {
  idempotencyKey: string;
  /** The mailing address of record: the addressee's name, then the address lines. */
  to: { name: string; line1: string; line2: string | null; city: string; state: string | null; postalCode: string };
  /** The practice, as the sender shown on the envelope. */
  from: { name: string };
  /** statement | reminder | receipt */
  kind: string;
  pdfBase64: string;
}

class HttpRefusal extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** A reason code, and whether trying again may help: 5xx, 408, 429 and network errors yes; any other 4xx no. */
export function classifyPrintMailError(err: unknown): { reason: string; retry: boolean } {
  if (err instanceof HttpRefusal) return { reason: `HTTP_${err.status}`, retry: err.status >= 500 || err.status === 408 || err.status === 429 };
  const e = err as { name?: string; cause?: { code?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { reason: 'ETIMEDOUT', retry: true };
  const code = typeof e?.cause?.code === 'string' && /^[A-Z_]{2,24}$/.test(e.cause.code) ? e.cause.code : 'ENETWORK';
  return { reason: code, retry: true };
}

/** The Idempotency-Key of a letter: a hash of its business key (ids only, but no need to show them). */
export const letterIdempotencyKey = (businessKey: string) => createHash('sha256').update(`letter:${businessKey}`).digest('hex');

/** The address block printed and shown in the outbox (PHI). */
export const addressLines = (a: MailingAddress): string =>
  [a.name, a.line1, a.line2, `${a.city}${a.state ? `, ${a.state}` : ''} ${a.postalCode}`].filter(Boolean).join('\n');

/** A one-page letter (a receipt by post): the practice, the date, the text. Deterministic for the same text. */
export function renderLetterPdf(o: { practiceName: string; title: string; text: string }): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'LETTER', margin: 60, info: { Title: o.title, Author: o.practiceName, CreationDate: new Date(0), ModDate: new Date(0) } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(16).text(o.practiceName);
  doc.moveDown(2);
  doc.font('Helvetica').fontSize(11).text(o.text, { width: doc.page.width - 120 });
  doc.end();
  return done;
}

export function createPrintMailNotifier(o: PrintMailNotifierOptions): Notifier {
  const doFetch = o.fetch ?? fetch;
  const base = o.url.replace(/\/+$/, '');

  /** The letter's PDF: the printable statement (a statement or reminder), else a one-page letter of the message. */
  async function pdfOf(m: Pick<OutgoingMessage, 'statementId' | 'kind' | 'subject' | 'body' | 'publicBaseUrl'>, practiceName: () => Promise<string>): Promise<{ filename: string; content: Buffer }> {
    if (m.statementId && (m.kind === 'statement' || m.kind === 'reminder')) {
      const doc = await statementDocument(o.db, m.statementId);
      if (doc) {
        const content = await renderStatementPdf(await printableOf(o.db, doc, portalUrlOf(m.publicBaseUrl ?? o.publicBaseUrl)));
        return { filename: `statement-${doc.statement.statement_date}.pdf`, content };
      }
    }
    return { filename: `${m.kind}.pdf`, content: await renderLetterPdf({ practiceName: await practiceName(), title: m.subject ?? m.kind, text: m.body }) };
  }

  const practiceName = (practiceId: string) => async () => (await practiceNameOf(o.db, practiceId)) ?? 'Billing office';

  const handOver = (address: MailingAddress, practiceName: string, kind: string, businessKey: string) => async (letter: StoredEmail) => {
    const body: LetterRequest = {
      idempotencyKey: letterIdempotencyKey(businessKey), to: address, from: { name: practiceName }, kind,
      pdfBase64: (letter.attachment ?? Buffer.alloc(0)).toString('base64'),
    };
    const res = await doFetch(`${base}/v1/letters`, {
      method: 'POST', redirect: 'error', signal: AbortSignal.timeout(o.timeoutMs ?? 20_000),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${o.token}`, 'Idempotency-Key': body.idempotencyKey },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new HttpRefusal(res.status);
    let letterId: unknown;
    try {
      letterId = (JSON.parse(text) as { letterId?: unknown }).letterId;
    } catch {
      letterId = undefined;
    }
    return typeof letterId === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(letterId) ? { providerRef: letterId } : {};
  };

  return {
    async send(m: OutgoingMessage) {
      if (m.channel !== 'mail') throw new TypeError('the print-mail notifier sends postal mail only');
      const address = await mailingAddressOf(o.db, m.patientId);
      const senderName = practiceName(m.practiceId);
      // 1. Written first (once per key), as it will be printed; without an address of record, written rejected.
      const known = await outboxStateOf(o.db, m.businessKey);
      let id = known?.id;
      let created = false;
      if (!known) {
        const put = await putOutboxLetter(o.db, {
          practiceId: m.practiceId, patientId: m.patientId, statementId: m.statementId, channel: 'mail', kind: m.kind, sequence: m.sequence,
          recipient: address ? addressLines(address) : m.recipient, subject: m.subject, body: m.body, businessKey: m.businessKey, paymentId: m.paymentId ?? null,
          ...(address ? { attachment: await pdfOf(m, senderName) } : { rejectedFor: 'NO_MAILING_ADDRESS' }),
        });
        id = put.id;
        created = put.created;
      } else {
        // A row written by someone else first (a fallback claimed by app/notification-fallback.ts): complete it once.
        const row = await outboxRowById(o.db, known.id);
        if (row && row.state === 'pending') {
          if (!address) await completePendingLetter(o.db, row.id, 'no_address');
          else if (!(await letterHasPdf(o.db, row.id))) {
            const pdf = await pdfOf({ statementId: row.statement_id, kind: row.kind, subject: row.subject, body: row.body, publicBaseUrl: m.publicBaseUrl }, senderName);
            await completePendingLetter(o.db, row.id, { recipient: addressLines(address), attachment: pdf });
          }
        }
      }
      if (!address) return { messageId: id!, created };
      // 2. Handed over once.
      const outcome = await deliverOutboxMessage(o.db, id!, handOver(address, await senderName(), m.kind, m.businessKey), classifyPrintMailError);
      // 3. The service down: the activity fails, and Temporal retries it with backoff.
      if (outcome.kind === 'failed' && outcome.retry) {
        throw ApplicationFailure.retryable(`Letter not sent yet: the print-and-mail service did not take it (${outcome.reason}); it will be retried`, PRINT_MAIL_DELIVERY_FAILED);
      }
      return { messageId: id!, created };
    },
  };
}

