/**
 * The print-and-mail service stand-in (development and tests only), mounted at /print-mail by the stand-in app. In
 * memory. It plays an HTTP print-and-mail provider: it takes a PDF and a mailing address and "prints and mails" it.
 *
 *   POST /print-mail/v1/letters   Authorization: Bearer <token>, Idempotency-Key: <key>,
 *                                 {idempotencyKey, to: {name, line1, line2, city, state, postalCode}, from: {name}, kind, pdfBase64}
 *                                 → 201 {letterId, status: 'queued'} (the same key again: 200 and the same letter, nothing
 *                                 new; the same key with another PDF or address: 409); not a PDF or no address: 422
 *   GET  /print-mail/v1/letters   every letter, oldest first (JSON, without the PDF bytes)
 *   GET  /print-mail              the page: every letter, newest first, with its address and a PDF download
 *   GET  /print-mail/letters/:letterId.pdf   the letter's PDF
 *
 * Tests drive failures through `PrintMailStandin`: `failNext(status, n)` answers the next n letters with that HTTP
 * status (503: the worker retries; 422: rejected for good).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Router, type RequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, badRequest, conflict, notFound, unauthorized } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { CONTENT_SECURITY_POLICY, html, page } from './html';

export interface PrintMailStandinOptions {
  /** The bearer token senders must present (payflow's PRINT_MAIL_TOKEN). */
  token: string;
  now?: () => Date;
  log: Logger;
}

export interface MailedLetter {
  letterId: string;
  idempotencyKey: string;
  kind: string;
  to: { name: string; line1: string; line2: string | null; city: string; state: string | null; postalCode: string };
  from: { name: string };
  pdf: Buffer;
  receivedAt: string;
  status: 'queued';
}

export interface PrintMailStandin {
  router: Router;
  /** Every letter taken, oldest first (copies). */
  letters(): MailedLetter[];
  /** Requests received (any answer): how many tries the worker made. */
  requests(): number;
  /** Answers the next `times` letters with `status` (e.g. 503, 422), taking nothing. */
  failNext(status: number, times?: number): void;
}

const MAX_LETTERS = 500;
const text = (max: number) => z.string().trim().min(1).max(max);
const letterSchema = z.strictObject({
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/),
  to: z.strictObject({ name: text(200), line1: text(200), line2: text(200).nullable(), city: text(100), state: text(50).nullable(), postalCode: text(20) }),
  from: z.strictObject({ name: text(200) }),
  kind: z.enum(['statement', 'reminder', 'receipt']),
  pdfBase64: z.string().min(8).max(14_000_000),
});

export function createPrintMailStandin(o: PrintMailStandinOptions): PrintMailStandin {
  const now = o.now ?? (() => new Date());
  const letters: MailedLetter[] = [];
  const byKey = new Map<string, { letter: MailedLetter; fingerprint: string }>();
  const failures: number[] = [];
  let requestCount = 0;
  const wantToken = createHash('sha256').update(o.token).digest();

  const requireToken: RequestHandler = (req, _res, next) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), wantToken)) throw unauthorized();
    next();
  };

  const router = Router();

  router.post('/v1/letters', requireToken, express.json({ limit: '15mb' }), (req, res) => {
    requestCount++;
    const failure = failures.shift();
    if (failure !== undefined) throw new AppError(failure, failure >= 500 ? 'unavailable' : 'invalid', failure >= 500 ? 'Service unavailable' : 'Refused', 'The print-and-mail stand-in was told to fail (failNext).');
    const parsed = letterSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest(`Invalid letter: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}.`);
    const input = parsed.data;
    const pdf = Buffer.from(input.pdfBase64, 'base64');
    if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new AppError(422, 'invalid', 'Not a PDF', 'The letter is not a PDF.');
    const key = req.get('idempotency-key') ?? input.idempotencyKey;
    const fingerprint = createHash('sha256').update(JSON.stringify(input.to)).update(pdf).digest('hex');
    const seen = byKey.get(key);
    if (seen) {
      if (seen.fingerprint !== fingerprint) throw conflict('This Idempotency-Key was used for another letter.');
      res.status(200).json({ letterId: seen.letter.letterId, status: seen.letter.status });
      return;
    }
    const letter: MailedLetter = {
      letterId: `ltr_${randomBytes(10).toString('hex')}`, idempotencyKey: key, kind: input.kind, to: input.to, from: input.from, pdf,
      receivedAt: now().toISOString(), status: 'queued',
    };
    letters.push(letter);
    if (letters.length > MAX_LETTERS) letters.shift();
    byKey.set(key, { letter, fingerprint });
    o.log.info({ letterId: letter.letterId, kind: letter.kind, bytes: pdf.length }, 'letter queued for print and mail');
    res.status(201).json({ letterId: letter.letterId, status: letter.status });
  });

  router.get('/v1/letters', requireToken, (_req, res) => {
    res.json({ letters: letters.map(({ pdf, ...l }) => ({ ...l, pdfBytes: pdf.length })) });
  });

  router.get('/letters/:file', (req: Request<{ file: string }>, res: Response) => {
    const id = /^(ltr_[0-9a-f]{20})\.pdf$/.exec(req.params.file)?.[1];
    const letter = id && letters.find((l) => l.letterId === id);
    if (!letter) throw notFound('letter');
    res.status(200).set({ 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="${letter.letterId}.pdf"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).send(letter.pdf);
  });

  router.get('/', (req, res: Response) => {
    const rows = [...letters].reverse().map((l) => html`<div class="card">
<p class="tag">${l.kind} · ${l.status} · ${l.letterId}</p>
<dl><dt>To</dt><dd>${l.to.name}<br>${l.to.line1}${l.to.line2 ? html`<br>${l.to.line2}` : ''}<br>${l.to.city}${l.to.state ? `, ${l.to.state}` : ''} ${l.to.postalCode}</dd>
<dt>From</dt><dd>${l.from.name}</dd><dt>Received</dt><dd>${l.receivedAt}</dd>
<dt>Letter</dt><dd><a href="${req.baseUrl}/letters/${l.letterId}.pdf">PDF (${Math.ceil(l.pdf.length / 1024)} KB)</a></dd></dl>
</div>`);
    res.status(200).set({
      'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer',
    }).send(page('Letters', html`<h1>Letters (print-and-mail stand-in)</h1>
<p>${letters.length === 0 ? 'No letters yet.' : `${letters.length} letter${letters.length === 1 ? '' : 's'}, newest first. Nothing is printed: each PDF is kept here.`}</p>
${rows}`));
  });

  return {
    router,
    letters: () => letters.map((l) => ({ ...l, to: { ...l.to }, from: { ...l.from }, pdf: Buffer.from(l.pdf) })),
    requests: () => requestCount,
    failNext: (status, times = 1) => {
      for (let i = 0; i < times; i++) failures.push(status);
    },
  };
}
