/**
 * The local EHR + payment processor + clearinghouse stand-in (development and tests only). In-memory state.
 * It plays the systems on the other side of our adapters, and reaches our service ONLY through the signed
 * webhooks the real systems would send (ehr/events.ts, lib/webhook-signature.ts).
 *
 * JSON API (what our EhrAdapter and test harnesses call):
 *   POST /api/payment-requests                         PaymentRequestInput → 201 { requestId, url } (200, same, on repeat)
 *   GET  /api/payment-requests/:requestId              → the request, its status and captures
 *   POST /api/payment-requests/:requestId/cancel       → 204 (idempotent); 409 once captured
 *   POST /api/payment-requests/:requestId/capture      { method, paidAt, amountCents?, externalPaymentId? }
 *                                                      → sends payment.captured; 200 { eventId, externalPaymentId, delivery }
 *   POST /api/remittances                              { claim, format?, patientShare? } → the clearinghouse's remittance:
 *                                                      format 835 (the stack's default): a real X12 835 file POSTed to
 *                                                      payflow's /v1/remittances (./remittance-835.ts) → 200 { format,
 *                                                      traceNumber, file, delivery }; format json: the signed
 *                                                      claim.upserted webhook → 200 { eventId, delivery }
 *   POST /api/reference-data                           { type: practice|patient|visit, record } → sends *.upserted
 *   POST /api/refunds                                  RefundRequestInput → 201 { refundRequestId } (200, same, on repeat)
 *   GET  /api/refunds                                  → every refund request it recorded
 * Pages (what staff click): GET /pay/:requestId, POST /pay/:requestId/capture (form).
 * The SMS provider: /sms/api/messages, /sms/api/inbound, /sms/inbox (./sms.ts).
 * The print-and-mail service: /print-mail/v1/letters, /print-mail (the letters, their PDFs) (./print-mail.ts).
 * The card processor: /processor/v1/… (customers, setups, charges, refunds), /processor/setup/:setupRef (the card-entry
 * page), /processor (its dashboard) (./processor.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { errorHandler, notFoundHandler } from '../../http/problem';
import { badRequest, conflict, notFound, unauthorized, type FieldProblem } from '../../lib/errors';
import { createLogger, type Logger } from '../../lib/logger';
import { signWebhook, SIGNATURE_HEADER } from '../../lib/webhook-signature';
import type { PatientRecord, PracticeRecord, VisitRecord } from '../../db/queries/reference-data';
import {
  paymentRequestInputSchema, refundRequestInputSchema, type PaymentRequest, type PaymentRequestInput, type RefundRequest, type RefundRequestInput,
} from '../adapter';
import {
  claimRecordSchema, EXTERNAL_ID_PATTERN, externalIdSchema, instantSchema, patientRecordSchema, paymentCentsSchema,
  paymentMethodSchema, practiceRecordSchema, timeZoneSchema, visitRecordSchema,
  type ClearinghouseEvent, type EhrEvent, type EventOf, type PaymentMethod, type WebhookSource,
} from '../events';
import { CONTENT_SECURITY_POLICY } from './html';
import { DEV_PAYMENT_LINK_SECRET, hostedPayRoutes } from './hosted-pay';
import { instantToLocalDateTime, localDateTimeToInstant, parseLocalDateTime } from './local-time';
import { Not835, type PatientShare } from './remittance-835';
import { createRemittanceSender, type Payflow835Target, type SentRemittance } from './remittance-sender';
import { createSmsStandin, type SmsStandin, type SmsStandinOptions } from './sms';
import { createPrintMailStandin, type PrintMailStandin } from './print-mail';
import { createProcessorStandin, type ProcessorStandin } from './processor';
import {
  centsToDollarsText, dollarsTextToCents, messagePage, payPage, resultPage,
  type CaptureOutcome, type FormErrors, type FormValues, type PayPageModel,
} from './pages';
import { jsonOrNull } from './json-body';

export interface StandinOptions {
  /** Base of the links handed out for payment requests: `${publicBaseUrl}/pay/${requestId}`. */
  publicBaseUrl: string;
  /** Our service's webhook endpoints. */
  webhooks: { ehrUrl: string; clearinghouseUrl: string };
  /** Signing secrets per source; a list signs with each (a rotation in progress). */
  secrets: { ehr: string | string[]; clearinghouse: string | string[] };
  /** Display names for the payment page; falls back to records the stand-in holds, then to the external id. */
  patientDirectory?: (practiceExternalId: string, patientExternalId: string) => { firstName: string; lastName: string } | undefined;
  /** The EHR's business clock (event occurredAt, the form's default time). Signatures use the real clock. */
  now?: () => Date;
  /** Records the stand-in "EHR" already holds (names, practice time zone, dates of service). Not sent anywhere. */
  seed?: { practices?: PracticeRecord[]; patients?: PatientRecord[]; visits?: VisitRecord[] };
  /** Time zone of practices it holds no record for. America/Los_Angeles unless told. */
  defaultTimeZone?: string;
  /** When set, /api/* requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** How long one webhook delivery may take; 15 s unless told. */
  deliveryTimeoutMs?: number;
  /** Where its 835 files go (payflow's POST /v1/remittances, with an API token); without it, no 835 format. */
  payflow835?: Payflow835Target;
  /** POST /api/remittances when the body names no format: `json` unless told (tests drive the webhook directly). */
  remittanceFormat?: RemittanceFormat;
  /** Verifies the references of the hosted payment page (GET /hosted-pay); the development secret unless told. */
  paymentLinkSecret?: string;
  /** The SMS provider stand-in at /sms (./sms.ts): its token and webhook secret (development values unless told); replies go to inboundUrl (default: /webhooks/sms beside the EHR webhook). */
  sms?: Partial<Pick<SmsStandinOptions, 'token' | 'webhookSecret' | 'inboundUrl' | 'defaultNumber' | 'callbackDelayMs'>>;
  /** The print-and-mail stand-in at /print-mail (./print-mail.ts): the token senders present (development value unless told). */
  printMailToken?: string;
  /** The card processor stand-in at /processor (./processor.ts): the token callers present (development value unless told). */
  processorToken?: string;
  log?: Logger;
}

export interface Delivery {
  /** Our service's HTTP status; null when it could not be reached. */
  status: number | null;
  /** Its JSON answer (null when not JSON or not reached). */
  body: unknown;
  /** Why it could not be reached (network error code or timeout). */
  error?: string;
}

/** Narrow on `source` to get the event's type back: `if (s.source === 'ehr') deliver(s.source, s.event)`. */
export type SentEvent =
  | { source: 'ehr'; event: EhrEvent; delivery: Delivery }
  | { source: 'clearinghouse'; event: ClearinghouseEvent; delivery: Delivery };

export interface StoredPaymentRequest {
  requestId: string;
  url: string;
  input: PaymentRequestInput;
  status: 'open' | 'captured' | 'cancelled';
  createdAt: string;
  captures: { eventId: string; externalPaymentId: string; amountCents: number; method: PaymentMethod; paidAt: string }[];
}

/** A refund the EHR was asked for (work queue: staff chose "refund"); the stand-in only records it. */
export interface StoredRefundRequest {
  refundRequestId: string;
  input: RefundRequestInput;
  createdAt: string;
}

export type RemittanceFormat = '835' | 'json';

export interface Standin {
  app: Express;
  /** Every 835 file posted to payflow so far (oldest first; the last 100), with its delivery. */
  sentRemittances(): readonly SentRemittance[];
  /** POSTs any 835 text for the practice to payflow, as the clearinghouse (needs `payflow835`). */
  postRemittanceFile(practiceExternalId: string, file: string): Promise<SentRemittance['delivery']>;
  /** Every refund request recorded so far, oldest first. */
  refundRequests(): readonly StoredRefundRequest[];
  /** Signs and POSTs an event to its source's endpoint, exactly as given: resending one gives a duplicate delivery. */
  deliver<S extends WebhookSource>(source: S, event: EventOf<S>): Promise<Delivery>;
  /** Every event sent so far (oldest first; the last 1000). */
  sentEvents(): readonly SentEvent[];
  paymentRequest(requestId: string): StoredPaymentRequest | undefined;
  /** The SMS provider stand-in (/sms): its messages, failure switches, simulated replies. */
  sms: SmsStandin;
  /** The print-and-mail stand-in (/print-mail): its letters, failure switch. */
  printMail: PrintMailStandin;
  /** The card processor stand-in (/processor): customers, saved cards, charges, outage switch. */
  processor: ProcessorStandin;
}

const JSON_LIMIT = '256kb';
const MAX_SENT_EVENTS = 1000;
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
export const newEventId = (): string => newId('evt');

// ── validation ────────────────────────────────────────────────────────────────────────────────────────────────
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** One problem per offending field, named by its path; messages say what is expected and never echo the value. */
function fieldProblems(error: z.ZodError, input: unknown): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => ({ field: at ? `${at}.${k}` : k, reason: 'is not a known field' }));
    const missing = issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    return [{ field: at || 'body', reason: missing ? 'is required' : issue.message }];
  });
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = fieldProblems(result.error, value);
  throw badRequest(`Invalid ${what}: ${fields.map((f) => `${f.field} ${f.reason}`).join('; ')}.`, fields);
}

const captureBodySchema = z.strictObject({
  method: paymentMethodSchema,
  paidAt: instantSchema,
  amountCents: paymentCentsSchema.optional(),
  externalPaymentId: externalIdSchema.optional(),
});
const shareCents = z.number({ error: 'must be whole cents' }).int({ error: 'must be whole cents' }).min(0, { error: 'must not be negative' }).max(10_000_000, { error: 'is too large' });
const remittanceBodySchema = z.strictObject({
  claim: claimRecordSchema,
  format: z.enum(['835', 'json'], { error: 'must be 835 or json' }).optional(),
  /** 835 only: how the patient responsibility splits into copay, deductible and coinsurance (PR 3, 1, 2). */
  patientShare: z.strictObject({ copayCents: shareCents.optional(), deductibleCents: shareCents.optional(), coinsuranceCents: shareCents.optional() }).optional(),
});
const referenceDataBodySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('practice'), record: practiceRecordSchema }),
  z.strictObject({ type: z.literal('patient'), record: patientRecordSchema }),
  z.strictObject({ type: z.literal('visit'), record: visitRecordSchema }),
], { error: 'must be practice, patient or visit' });
const emptyBodySchema = z.union([z.undefined(), z.strictObject({})]);

// ── the app ───────────────────────────────────────────────────────────────────────────────────────────────────
export function createStandinApp(opts: StandinOptions): Standin {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? createLogger('silent', 'ehr-standin');
  const defaultTimeZone = opts.defaultTimeZone ?? 'America/Los_Angeles';
  timeZoneSchema.parse(defaultTimeZone);
  const publicBase = opts.publicBaseUrl.replace(/\/+$/, '');
  const endpoints: Record<WebhookSource, string> = { ehr: opts.webhooks.ehrUrl, clearinghouse: opts.webhooks.clearinghouseUrl };
  const deliveryTimeoutMs = opts.deliveryTimeoutMs ?? 15_000;

  const requests = new Map<string, StoredPaymentRequest>();
  const requestByCollection = new Map<string, string>();
  const refunds = new Map<string, StoredRefundRequest>();
  const practices = new Map<string, PracticeRecord>();
  const patients = new Map<string, PatientRecord>();
  const visits = new Map<string, VisitRecord>();
  const sent: SentEvent[] = [];
  const sentFiles: SentRemittance[] = [];
  const remittanceFormat = opts.remittanceFormat ?? 'json';
  // The split of each claim's last adjudication it sent: its reversal takes back exactly those PR amounts.
  const sharesSent = new Map<string, PatientShare>();
  const sender = opts.payflow835 && createRemittanceSender({
    target: opts.payflow835, now, log, timeoutMs: deliveryTimeoutMs,
    practice: (id) => ({ name: practices.get(id)?.name ?? id, timeZone: practices.get(id)?.timeZone ?? defaultTimeZone }),
  });
  async function postRemittanceFile(practiceExternalId: string, file: string, traceNumber = ''): Promise<SentRemittance['delivery']> {
    if (!sender) throw conflict('This stand-in sends no 835 files: it has no payflow API URL and token (PAYFLOW_API_URL, PAYFLOW_API_TOKEN).');
    let delivery: SentRemittance['delivery'];
    try {
      delivery = await sender.post(practiceExternalId, file);
    } catch (err) {
      if (err instanceof Not835) throw conflict(`${err.message}.`);
      throw err;
    }
    sentFiles.push({ practiceExternalId, traceNumber, file, delivery });
    if (sentFiles.length > 100) sentFiles.shift();
    log.info({ format: '835', traceNumber, status: delivery.status }, 'remittance delivery');
    return delivery;
  }
  const key = (practice: string, id: string) => `${practice}\u0000${id}`;
  const remember = {
    practice: (r: PracticeRecord) => practices.set(r.externalId, r),
    patient: (r: PatientRecord) => patients.set(key(r.practiceExternalId, r.externalId), r),
    visit: (r: VisitRecord) => visits.set(key(r.practiceExternalId, r.externalId), r),
  };
  opts.seed?.practices?.forEach(remember.practice);
  opts.seed?.patients?.forEach(remember.patient);
  opts.seed?.visits?.forEach(remember.visit);

  async function deliver<S extends WebhookSource>(source: S, event: EventOf<S>): Promise<Delivery> {
    const raw = JSON.stringify(event);
    const signature = signWebhook(raw, opts.secrets[source], Math.floor(Date.now() / 1000));
    let delivery: Delivery;
    try {
      const res = await fetch(endpoints[source], {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signature, 'User-Agent': 'payflow-ehr-standin' },
        body: raw,
        signal: AbortSignal.timeout(deliveryTimeoutMs),
        redirect: 'error',
      });
      const body = await jsonOrNull(res);
      delivery = { status: res.status, body };
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: unknown } };
      const error = e.name === 'TimeoutError' ? `timed out after ${deliveryTimeoutMs} ms` : typeof e.cause?.code === 'string' ? e.cause.code : 'network error';
      delivery = { status: null, body: null, error };
    }
    sent.push({ source, event, delivery } as SentEvent);
    if (sent.length > MAX_SENT_EVENTS) sent.shift();
    log.info({ source, eventType: event.type, eventId: event.eventId, status: delivery.status }, 'webhook delivery');
    return delivery;
  }

  const envelope = () => ({ eventId: newEventId(), occurredAt: now().toISOString() });
  const sendEhr = async (event: EhrEvent) => ({ eventId: event.eventId, delivery: await deliver('ehr', event) });
  const sendClearinghouse = async (event: ClearinghouseEvent) => ({ eventId: event.eventId, delivery: await deliver('clearinghouse', event) });

  function findRequest(requestId: string): StoredPaymentRequest | undefined {
    return EXTERNAL_ID_PATTERN.test(requestId) ? requests.get(requestId) : undefined;
  }
  function requireRequest(requestId: string): StoredPaymentRequest {
    const found = findRequest(requestId);
    if (!found) throw notFound('payment request');
    return found;
  }

  async function capture(pr: StoredPaymentRequest, c: { method: PaymentMethod; paidAt: string; amountCents?: number; externalPaymentId?: string }): Promise<CaptureOutcome & { delivery: Delivery }> {
    if (pr.status === 'cancelled') throw conflict('This payment request was cancelled; it cannot be captured.');
    const data = {
      requestId: pr.requestId,
      collectionId: pr.input.collectionId,
      externalPaymentId: c.externalPaymentId ?? newId('pay'),
      amountCents: c.amountCents ?? pr.input.amountCents,
      method: c.method,
      paidAt: c.paidAt,
    };
    const event: EhrEvent = { ...envelope(), type: 'payment.captured', data };
    // The money is taken before anyone is told: the request is captured whatever the delivery's fate.
    pr.status = 'captured';
    pr.captures.push({ eventId: event.eventId, externalPaymentId: data.externalPaymentId, amountCents: data.amountCents, method: data.method, paidAt: data.paidAt });
    const delivery = await deliver('ehr', event);
    return { eventId: event.eventId, externalPaymentId: data.externalPaymentId, amountCents: data.amountCents, method: data.method, paidAt: data.paidAt, delivery };
  }

  function pageModel(pr: StoredPaymentRequest): PayPageModel {
    const { practiceExternalId, patientExternalId, visitExternalId } = pr.input;
    const practice = practices.get(practiceExternalId);
    const fromDirectory = opts.patientDirectory?.(practiceExternalId, patientExternalId);
    const patient = fromDirectory ?? patients.get(key(practiceExternalId, patientExternalId));
    const visit = visitExternalId === null ? undefined : visits.get(key(practiceExternalId, visitExternalId));
    return {
      requestId: pr.requestId,
      input: pr.input,
      status: pr.status,
      practiceName: practice?.name ?? practiceExternalId,
      patientName: patient ? `${patient.firstName} ${patient.lastName}` : patientExternalId,
      dateOfService: visit?.dateOfService,
      timeZone: practice?.timeZone ?? defaultTimeZone,
      captures: pr.captures,
    };
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  const sendHtml = (res: Response, status: number, body: string) => {
    res
      .status(status)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store', // the pages show patient names
      })
      .send(body);
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // ── JSON API ──
  const api = express.Router();
  if (opts.apiKey) {
    const want = createHash('sha256').update(opts.apiKey).digest();
    const requireKey: RequestHandler = (req, _res, next) => {
      const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
      if (!timingSafeEqual(createHash('sha256').update(given).digest(), want)) throw unauthorized();
      next();
    };
    api.use(requireKey);
  }
  api.use(express.json({ limit: JSON_LIMIT, type: ['application/json', 'application/*+json'] }));

  api.post('/payment-requests', (req, res) => {
    const input = parse(paymentRequestInputSchema, req.body, 'payment request');
    const existingId = requestByCollection.get(input.collectionId);
    if (existingId) {
      const existing = requests.get(existingId)!;
      const same = (Object.keys(input) as (keyof PaymentRequestInput)[]).every((k) => existing.input[k] === input[k]);
      if (!same) throw conflict('This collectionId already has a payment request with different details.');
      res.status(200).json({ requestId: existing.requestId, url: existing.url } satisfies PaymentRequest);
      return;
    }
    const requestId = newId('pr');
    const stored: StoredPaymentRequest = {
      requestId, url: `${publicBase}/pay/${requestId}`, input, status: 'open', createdAt: now().toISOString(), captures: [],
    };
    requests.set(requestId, stored);
    requestByCollection.set(input.collectionId, requestId);
    res.status(201).location(stored.url).json({ requestId, url: stored.url } satisfies PaymentRequest);
  });

  api.get('/payment-requests/:requestId', (req: Request<{ requestId: string }>, res) => {
    res.json(requireRequest(req.params.requestId));
  });

  api.post('/payment-requests/:requestId/cancel', (req: Request<{ requestId: string }>, res) => {
    const pr = requireRequest(req.params.requestId);
    parse(emptyBodySchema, req.body, 'cancel request');
    if (pr.status === 'captured') throw conflict('This payment request was already captured; it cannot be cancelled.');
    pr.status = 'cancelled';
    res.status(204).end();
  });

  api.post('/payment-requests/:requestId/capture', async (req: Request<{ requestId: string }>, res) => {
    const pr = requireRequest(req.params.requestId);
    const body = parse(captureBodySchema, req.body, 'capture');
    const outcome = await capture(pr, body);
    res.status(200).json({ eventId: outcome.eventId, externalPaymentId: outcome.externalPaymentId, delivery: outcome.delivery });
  });

  api.post('/remittances', async (req, res) => {
    const { claim, format = remittanceFormat, patientShare } = parse(remittanceBodySchema, req.body, 'remittance');
    if (format === 'json') {
      if (patientShare) throw badRequest('Invalid remittance: patientShare is for format 835 only.', [{ field: 'patientShare', reason: 'is for format 835 only' }]);
      res.status(200).json(await sendClearinghouse({ ...envelope(), type: 'claim.upserted', data: claim })); // the answer as before issue 16
      return;
    }
    if (!sender) throw conflict('This stand-in sends no 835 files: it has no payflow API URL and token (PAYFLOW_API_URL, PAYFLOW_API_TOKEN).');
    const visit = visits.get(key(claim.practiceExternalId, claim.visitExternalId));
    const patient = visit && patients.get(key(claim.practiceExternalId, visit.patientExternalId));
    const claimKey = key(claim.practiceExternalId, claim.externalId);
    // A reversal with no share of its own takes back the split last sent, when it is the same total.
    const lastShare = claim.payerStatus === 'reprocessing' ? sharesSent.get(claimKey) : undefined;
    const lastTotal = lastShare ? (lastShare.copayCents ?? 0) + (lastShare.deductibleCents ?? 0) + (lastShare.coinsuranceCents ?? 0) : -1;
    const share = patientShare ?? (lastTotal === claim.patientResponsibilityCents ? lastShare : undefined);
    let built: { traceNumber: string; file: string };
    try {
      built = sender.build(claim.practiceExternalId, [{
        claim, ...(share ? { share } : {}), ...(patient ? { patient } : {}), ...(visit ? { dateOfService: visit.dateOfService } : {}),
      }]);
    } catch (err) {
      if (err instanceof Not835) throw badRequest(`Invalid remittance: ${err.message}.`, [{ field: 'claim', reason: err.message }]);
      throw err;
    }
    const delivery = await postRemittanceFile(claim.practiceExternalId, built.file, built.traceNumber);
    if (claim.responsibility === 'patient' && claim.payerStatus !== 'reprocessing' && claim.payerStatus !== 'denied') {
      sharesSent.set(claimKey, patientShare ?? { copayCents: claim.patientResponsibilityCents });
    }
    res.status(200).json({ format, traceNumber: built.traceNumber, file: built.file, delivery });
  });

  api.post('/reference-data', async (req, res) => {
    const body = parse(referenceDataBodySchema, req.body, 'reference data');
    let event: EhrEvent;
    switch (body.type) {
      case 'practice':
        remember.practice(body.record);
        event = { ...envelope(), type: 'practice.upserted', data: body.record };
        break;
      case 'patient':
        remember.patient(body.record);
        event = { ...envelope(), type: 'patient.upserted', data: body.record };
        break;
      case 'visit':
        remember.visit(body.record);
        event = { ...envelope(), type: 'visit.upserted', data: body.record };
        break;
    }
    res.status(200).json(await sendEhr(event));
  });

  api.post('/refunds', (req, res) => {
    const input = parse(refundRequestInputSchema, req.body, 'refund request');
    const existing = refunds.get(input.refundId);
    if (existing) {
      const same = (Object.keys(input) as (keyof RefundRequestInput)[]).every((k) => existing.input[k] === input[k]);
      if (!same) throw conflict('This refundId already has a refund request with different details.');
      res.status(200).json({ refundRequestId: existing.refundRequestId } satisfies RefundRequest);
      return;
    }
    const stored: StoredRefundRequest = { refundRequestId: newId('rf'), input, createdAt: now().toISOString() };
    refunds.set(input.refundId, stored);
    log.info({ refundRequestId: stored.refundRequestId, amountCents: input.amountCents }, 'refund requested');
    res.status(201).json({ refundRequestId: stored.refundRequestId } satisfies RefundRequest);
  });

  api.get('/refunds', (_req, res) => {
    res.json({ refunds: [...refunds.values()] });
  });

  app.use('/api', api);

  // ── pages ──
  const formSchema = z.object({
    method: paymentMethodSchema,
    paidAt: z.string({ error: 'Enter the date and time of payment.' }).refine((s) => parseLocalDateTime(s) !== undefined, { error: 'Enter a real date and time of payment.' }),
    timeZone: timeZoneSchema.optional(),
    amount: z.string().optional(),
  });

  app.get('/pay/:requestId', (req: Request<{ requestId: string }>, res) => {
    const pr = findRequest(req.params.requestId);
    if (!pr) return sendHtml(res, 404, messagePage('Payment request not found', 'There is no payment request at this address. It may have been mistyped.'));
    const model = pageModel(pr);
    const values: FormValues = {
      method: 'card',
      paidAt: instantToLocalDateTime(now(), model.timeZone),
      amount: centsToDollarsText(pr.input.amountCents),
    };
    sendHtml(res, 200, payPage(model, values));
  });

  app.post('/pay/:requestId/capture', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), async (req: Request<{ requestId: string }>, res) => {
    const wantsJson = req.accepts(['html', 'json']) === 'json';
    const pr = findRequest(req.params.requestId);
    if (!pr) {
      if (wantsJson) throw notFound('payment request');
      return sendHtml(res, 404, messagePage('Payment request not found', 'There is no payment request at this address.'));
    }
    const model = pageModel(pr);
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const values: FormValues = { method: str(raw.method), paidAt: str(raw.paidAt), amount: str(raw.amount) };

    const errors: FormErrors = {};
    const fields: FieldProblem[] = [];
    const parsed = formSchema.safeParse(raw);
    if (!parsed.success) {
      for (const f of fieldProblems(parsed.error, raw)) {
        fields.push(f);
        if (f.field === 'method') errors.method = 'Choose how the patient paid.';
        else if (f.field === 'paidAt') errors.paidAt = 'Enter a real date and time of payment.';
        else if (f.field === 'timeZone') errors.paidAt = 'The practice time zone of this page is not valid: reload the page.';
      }
    }
    const amountCents = values.amount.trim() === '' ? pr.input.amountCents : dollarsTextToCents(values.amount);
    if (amountCents === undefined || !paymentCentsSchema.safeParse(amountCents).success) {
      errors.amount = 'Enter an amount between $0.01 and $100,000.00, e.g. 45.00.';
      fields.push({ field: 'amount', reason: 'must be an amount in dollars between 0.01 and 100000.00' });
    }
    if (!parsed.success || amountCents === undefined || fields.length > 0) {
      if (wantsJson) throw badRequest(`Invalid capture form: ${fields.map((f) => `${f.field} ${f.reason}`).join('; ')}.`, fields);
      return sendHtml(res, 400, payPage(model, values, errors));
    }
    if (pr.status === 'cancelled') {
      if (wantsJson) throw conflict('This payment request was cancelled; it cannot be captured.');
      return sendHtml(res, 409, payPage(model, values));
    }
    const paidAt = localDateTimeToInstant(parsed.data.paidAt, parsed.data.timeZone ?? model.timeZone).toISOString();
    const outcome = await capture(pr, { method: parsed.data.method, paidAt, amountCents });
    if (wantsJson) {
      res.status(200).json({ eventId: outcome.eventId, externalPaymentId: outcome.externalPaymentId, paidAt, delivery: outcome.delivery });
      return;
    }
    sendHtml(res, 200, resultPage(pr.requestId, outcome));
  });

  // The processor's hosted payment page (statement payments from the patient portal).
  app.use(hostedPayRoutes({ secret: opts.paymentLinkSecret ?? DEV_PAYMENT_LINK_SECRET, deliver: (event) => deliver('ehr', event), now, log }));

  // The SMS provider (text messages; ./sms.ts).
  const sms = createSmsStandin({
    token: opts.sms?.token ?? 'dev-sms-provider-token', webhookSecret: opts.sms?.webhookSecret ?? 'dev-sms-webhook-secret',
    inboundUrl: opts.sms?.inboundUrl ?? new URL('/webhooks/sms', opts.webhooks.ehrUrl).toString(),
    ...(opts.sms?.defaultNumber ? { defaultNumber: opts.sms.defaultNumber } : {}),
    ...(opts.sms?.callbackDelayMs !== undefined ? { callbackDelayMs: opts.sms.callbackDelayMs } : {}),
    deliveryTimeoutMs, now, log,
  });
  app.use('/sms', sms.router);
  // The print-and-mail service (postal letters; ./print-mail.ts).
  const printMail = createPrintMailStandin({ token: opts.printMailToken ?? 'dev-print-mail-token-not-for-production', now, log });
  app.use('/print-mail', printMail.router);
  // The card processor (cards on file, off-session charges; ./processor.ts).
  const processor = createProcessorStandin({ token: opts.processorToken ?? 'dev-processor-standin-token-not-for-production', publicBaseUrl: publicBase, now, log });
  app.use('/processor', processor.router);

  app.use(notFoundHandler);
  app.use(errorHandler(log));

  return {
    app,
    deliver,
    sentEvents: () => sent.slice(),
    sentRemittances: () => sentFiles.slice(),
    postRemittanceFile: (practiceExternalId, file) => postRemittanceFile(practiceExternalId, file),
    refundRequests: () => [...refunds.values()].map((r) => structuredClone(r)),
    sms,
    printMail,
    processor,
    paymentRequest: (requestId) => {
      const found = requests.get(requestId);
      return found && structuredClone(found);
    },
  };
}

// ── listening ─────────────────────────────────────────────────────────────────────────────────────────────────
export type StartStandinOptions = Omit<StandinOptions, 'publicBaseUrl'> & {
  /** Defaults to the URL it listens on (handy with port 0). */
  publicBaseUrl?: string;
  /** 0 picks a free port. */
  port: number;
  /** 127.0.0.1 unless told. */
  host?: string;
};

export interface RunningStandin extends Standin {
  /** Where it listens, e.g. http://127.0.0.1:3100. */
  url: string;
  close(): Promise<void>;
}

export async function startStandin(opts: StartStandinOptions): Promise<RunningStandin> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  let standin: Standin;
  try {
    standin = createStandinApp({ ...opts, publicBaseUrl: opts.publicBaseUrl ?? url });
  } catch (err) {
    server.close();
    throw err;
  }
  server.on('request', standin.app);
  return {
    ...standin,
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
