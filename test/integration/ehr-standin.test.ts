/**
 * The EHR / processor / clearinghouse stand-in, end to end over real HTTP: it listens on a free port and posts
 * signed webhooks to a tiny fake receiver (also on a free port) that verifies them exactly as our service does.
 * Also the pure wall-clock → instant conversion its payment form relies on.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import type { PaymentRequestInput } from '../../ehr/adapter';
import { clearinghouseEventSchema, ehrEventSchema, type WebhookSource } from '../../ehr/events';
import { createHttpEhrAdapter, EhrAdapterError } from '../../ehr/http-adapter';
import { createStandinApp, startStandin, type RunningStandin } from '../../ehr/standin/app';
import { instantToLocalDateTime, localDateTimeToInstant } from '../../ehr/standin/local-time';
import { verifyWebhook } from '../../lib/webhook-signature';
import { freePort } from '../support/global-setup';
import type { ClaimRecord } from '../../db/queries/reference-data';

const LA = 'America/Los_Angeles';
const PROBLEM = /^application\/problem\+json/;
const HTML = /^text\/html/;

describe('localDateTimeToInstant', () => {
  it.each([
    ['2026-11-20T19:30', LA, '2026-11-21T03:30:00.000Z'], // evening in LA is already tomorrow in UTC
    ['2026-07-04T09:00', LA, '2026-07-04T16:00:00.000Z'], // PDT, UTC-7
    ['2026-11-20T19:30:45', LA, '2026-11-21T03:30:45.000Z'], // seconds allowed
    ['2026-06-01T12:00', 'Asia/Kolkata', '2026-06-01T06:30:00.000Z'], // half-hour offset
    ['2026-01-01T00:00', 'UTC', '2026-01-01T00:00:00.000Z'],
    // Spring forward in Los Angeles, Sunday 2026-03-08: 02:00 PST jumps to 03:00 PDT.
    ['2026-03-08T01:30', LA, '2026-03-08T09:30:00.000Z'], // PST, UTC-8
    ['2026-03-08T03:30', LA, '2026-03-08T10:30:00.000Z'], // PDT, UTC-7
    ['2026-03-08T02:30', LA, '2026-03-08T10:30:00.000Z'], // does not exist: moves forward by the gap (03:30 PDT)
    // Fall back, Sunday 2026-11-01: 02:00 PDT goes back to 01:00 PST, so 01:xx happens twice.
    ['2026-11-01T00:30', LA, '2026-11-01T07:30:00.000Z'],
    ['2026-11-01T01:30', LA, '2026-11-01T08:30:00.000Z'], // twice: the earlier one (PDT)
    ['2026-11-01T02:30', LA, '2026-11-01T10:30:00.000Z'], // PST
    // Lord Howe Island shifts by 30 minutes.
    ['2026-10-04T02:15', 'Australia/Lord_Howe', '2026-10-03T15:45:00.000Z'],
    ['2026-03-29T01:30', 'Europe/London', '2026-03-29T01:30:00.000Z'], // skipped hour in London
  ])('%s in %s is %s', (local, zone, instant) => {
    expect(localDateTimeToInstant(local, zone).toISOString()).toBe(instant);
  });

  it.each(['2026-02-30T10:00', '2026-11-20 19:30', '2026-11-20T24:00', '2026-11-20T19:60', '2026-11-20', '', '2026-11-20T19:30Z'])(
    'refuses %p',
    (local) => {
      expect(() => localDateTimeToInstant(local, LA)).toThrow(RangeError);
    },
  );

  it('refuses an unknown time zone', () => {
    expect(() => localDateTimeToInstant('2026-11-20T19:30', 'Mars/Olympus_Mons')).toThrow(RangeError);
  });

  it('round-trips with instantToLocalDateTime on every half hour of both DST days', () => {
    for (const day of ['2026-03-08', '2026-11-01']) {
      for (let minutes = 0; minutes < 24 * 60; minutes += 30) {
        const local = `${day}T${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
        const skipped = day === '2026-03-08' && local.startsWith(`${day}T02:`);
        if (!skipped) expect(instantToLocalDateTime(localDateTimeToInstant(local, LA), LA)).toBe(local);
      }
    }
  });
});

// ── a fake receiver standing in for our service's webhook endpoints ──────────────────────────────────────────
const SECRETS = { ehr: 'test-ehr-secret', clearinghouse: 'test-clearinghouse-secret' };

interface Received { source: WebhookSource; raw: string; signature: string | undefined; contentType: string | undefined; event: { eventId: string; type: string; data: Record<string, unknown> } }

interface Receiver { url: string; received: Received[]; answerWith: { status: number }; close(): Promise<void> }

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A port nobody listens on (fetch refuses well-known "bad" ports such as 1, so pick a real free one). */
const closedPort = freePort;

const closeServer = (server: Server) =>
  new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answerWith = { status: 200 };
  const app = express();
  app.post('/webhooks/:source', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const source = req.params.source as WebhookSource;
    const raw = req.body as Buffer;
    const check = verifyWebhook(req.get('Payflow-Signature'), raw, [SECRETS[source]], Math.floor(Date.now() / 1000));
    if (!check.ok) {
      res.status(401).json({ reason: check.reason });
      return;
    }
    const event = JSON.parse(raw.toString('utf8')) as Received['event'];
    received.push({ source, raw: raw.toString('utf8'), signature: req.get('Payflow-Signature'), contentType: req.get('Content-Type'), event });
    res.status(answerWith.status).json({ status: answerWith.status === 200 ? 'accepted' : 'rejected', eventId: event.eventId });
  });
  const { server, url } = await listen(app);
  return { url, received, answerWith, close: () => closeServer(server) };
}

// ── fixtures ─────────────────────────────────────────────────────────────────────────────────────────────────
const HOSTILE_FIRST = '<script>alert("pwned")</script>';
const HOSTILE_LAST = `O'Brien & "Sons" <b>`;

const copayInput = (overrides: Partial<PaymentRequestInput> = {}): PaymentRequestInput => ({
  collectionId: randomUUID(),
  practiceExternalId: 'demo-practice',
  patientExternalId: 'pt-1001',
  visitExternalId: 'v-2001',
  reason: 'copay',
  amountCents: 4500,
  ...overrides,
});

const claim = (overrides: Partial<ClaimRecord> = {}): ClaimRecord => ({
  practiceExternalId: 'demo-practice', visitExternalId: 'v-2001', externalId: 'c-3001', version: 2,
  responsibility: 'patient', payerName: 'Blue Harbor Health', payerStatus: 'adjudicated', patientResponsibilityCents: 4500,
  lines: [{ lineNumber: 1, procedureCode: '99213', description: 'Office visit', chargeCents: 18000, insurerPaidCents: 9500, adjustmentCents: 4000, patientResponsibilityCents: 4500 }],
  ...overrides,
});

describe('EHR stand-in', () => {
  let receiver: Receiver;
  let standin: RunningStandin;
  const ehr = () => createHttpEhrAdapter({ baseUrl: standin.url });
  const lastReceived = () => receiver.received[receiver.received.length - 1]!;

  beforeAll(async () => {
    receiver = await startReceiver();
    standin = await startStandin({
      port: 0,
      webhooks: { ehrUrl: `${receiver.url}/webhooks/ehr`, clearinghouseUrl: `${receiver.url}/webhooks/clearinghouse` },
      secrets: SECRETS,
      patientDirectory: (practice, patient) =>
        practice === 'demo-practice' && patient === 'pt-1001' ? { firstName: 'Ada', lastName: 'Reyes' }
        : patient === 'pt-hostile' ? { firstName: HOSTILE_FIRST, lastName: HOSTILE_LAST }
        : undefined,
    });
  });

  afterAll(async () => {
    await standin?.close();
    await receiver?.close();
  });

  beforeEach(() => {
    receiver.answerWith.status = 200;
  });

  describe('payment requests', () => {
    it('are idempotent by collectionId: 201 then 200 with the same request', async () => {
      const input = copayInput();
      const first = await request(standin.app).post('/api/payment-requests').send(input).expect(201);
      expect(first.body).toEqual({ requestId: expect.stringMatching(/^pr_[0-9a-f]{24}$/), url: `${standin.url}/pay/${first.body.requestId}` });
      const again = await request(standin.app).post('/api/payment-requests').send(input).expect(200);
      expect(again.body).toEqual(first.body);
      // Through the HTTP adapter our activities use: the same request again.
      expect(await ehr().openPaymentRequest(input)).toEqual(first.body);
      // A different collection gets a different request.
      expect((await ehr().openPaymentRequest(copayInput())).requestId).not.toBe(first.body.requestId);
    });

    it('refuse a collectionId reused with different details (409), and emit nothing', async () => {
      const input = copayInput();
      await ehr().openPaymentRequest(input);
      const before = receiver.received.length;
      const res = await request(standin.app).post('/api/payment-requests').send({ ...input, amountCents: 9999 }).expect(409).expect('Content-Type', PROBLEM);
      expect(res.body).toMatchObject({ status: 409, type: '/problems/conflict' });
      expect(receiver.received).toHaveLength(before);
    });

    it('return a link that opens the pre-filled Patient Payment page', async () => {
      const { url } = await ehr().openPaymentRequest(copayInput({ amountCents: 123_456 }));
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(HTML);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const page = await res.text();
      expect(page).toContain('$1,234.56');
      expect(page).toContain('Copay');
      expect(page).toContain('Ada Reyes');
      expect(page).toContain('v-2001');
      // Accessible form: labelled controls, a fieldset for the radio group, a date-time defaulting to now.
      expect(page).toMatch(/<fieldset[^>]*>\s*<legend>Payment method<\/legend>/);
      for (const method of ['cash', 'check', 'card']) expect(page).toContain(`value="${method}"`);
      expect(page).toContain('<label for="paidAt">');
      expect(page).toMatch(/<input type="datetime-local" id="paidAt" name="paidAt" value="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"/);
      expect(page).toContain(`<input type="hidden" name="timeZone" value="${LA}">`);
      expect(page).toContain('name="viewport"');
      expect(page).not.toMatch(/<(script|link)\b|src=/); // no scripts, no external assets
    });

    it('show "Outstanding Balance" for a balance payment without a visit', async () => {
      const { url } = await ehr().openPaymentRequest(copayInput({ reason: 'outstanding_balance', visitExternalId: null, amountCents: 12_550 }));
      const page = await (await fetch(url)).text();
      expect(page).toContain('Outstanding Balance');
      expect(page).toContain('$125.50');
      expect(page).toContain('None (outstanding balance)');
    });

    it('answer an unknown request with a 404 page', async () => {
      const res = await request(standin.app).get('/pay/pr_nope').expect(404).expect('Content-Type', HTML);
      expect(res.text).toContain('Payment request not found');
    });
  });

  describe('capture', () => {
    it('emits a correctly signed payment.captured with the chosen method and paidAt', async () => {
      const input = copayInput();
      const { requestId } = await ehr().openPaymentRequest(input);
      const res = await request(standin.app)
        .post(`/api/payment-requests/${requestId}/capture`)
        .send({ method: 'check', paidAt: '2026-11-20T19:30:00-08:00' })
        .expect(200);
      expect(res.body).toEqual({
        eventId: expect.stringMatching(/^evt_[0-9a-f]{24}$/),
        externalPaymentId: expect.stringMatching(/^pay_[0-9a-f]{24}$/),
        delivery: { status: 200, body: { status: 'accepted', eventId: res.body.eventId } },
      });

      const got = lastReceived();
      expect(got.source).toBe('ehr');
      expect(got.contentType).toMatch(/^application\/json/);
      expect(got.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      // Signed with the EHR secret, not the clearinghouse's.
      expect(verifyWebhook(got.signature, Buffer.from(got.raw), [SECRETS.clearinghouse], Math.floor(Date.now() / 1000))).toEqual({ ok: false, reason: 'mismatch' });
      const event = ehrEventSchema.parse(JSON.parse(got.raw));
      expect(event).toEqual({
        eventId: res.body.eventId,
        type: 'payment.captured',
        occurredAt: expect.any(String),
        data: {
          requestId, collectionId: input.collectionId, externalPaymentId: res.body.externalPaymentId,
          amountCents: 4500, method: 'check', paidAt: '2026-11-20T19:30:00-08:00',
        },
      });
      expect(standin.paymentRequest(requestId)?.status).toBe('captured');
    });

    it('uses a given amount and external payment id', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      await request(standin.app)
        .post(`/api/payment-requests/${requestId}/capture`)
        .send({ method: 'card', paidAt: '2026-11-21T03:30:00Z', amountCents: 2500, externalPaymentId: 'ch_3Nx9' })
        .expect(200);
      expect(lastReceived().event.data).toMatchObject({ amountCents: 2500, externalPaymentId: 'ch_3Nx9', method: 'card', paidAt: '2026-11-21T03:30:00Z' });
    });

    it('reports the receiver\'s answer when it refuses the payment', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      receiver.answerWith.status = 409;
      const res = await request(standin.app).post(`/api/payment-requests/${requestId}/capture`).send({ method: 'cash', paidAt: '2026-11-20T10:00:00-08:00' }).expect(200);
      expect(res.body.delivery).toEqual({ status: 409, body: { status: 'rejected', eventId: res.body.eventId } });
    });

    it('deliver() resends an identical event (same event id, same bytes) for duplicate-delivery tests', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      const res = await request(standin.app).post(`/api/payment-requests/${requestId}/capture`).send({ method: 'cash', paidAt: '2026-11-20T10:00:00-08:00' }).expect(200);
      const original = lastReceived();
      const sent = standin.sentEvents().find((s) => s.event.eventId === res.body.eventId)!;
      expect(sent.source).toBe('ehr');
      if (sent.source !== 'ehr') throw new Error('expected an EHR event');
      const delivery = await standin.deliver(sent.source, sent.event);
      expect(delivery.status).toBe(200);
      const duplicate = lastReceived();
      expect(duplicate).not.toBe(original);
      expect(duplicate.event.eventId).toBe(res.body.eventId);
      expect(duplicate.raw).toBe(original.raw);
    });

    it('refuses to capture a cancelled request (409) and emits nothing; cancel is idempotent', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      await request(standin.app).post(`/api/payment-requests/${requestId}/cancel`).expect(204);
      await request(standin.app).post(`/api/payment-requests/${requestId}/cancel`).expect(204);
      await ehr().cancelPaymentRequest(requestId); // through the adapter too
      const before = receiver.received.length;
      const res = await request(standin.app)
        .post(`/api/payment-requests/${requestId}/capture`)
        .send({ method: 'card', paidAt: '2026-11-20T19:30:00-08:00' })
        .expect(409)
        .expect('Content-Type', PROBLEM);
      expect(res.body).toMatchObject({ status: 409, title: 'Conflict' });
      // The page shows it cancelled, without a form; the form path refuses too.
      const page = await request(standin.app).get(`/pay/${requestId}`).expect(200);
      expect(page.text).toContain('It can no longer be captured');
      expect(page.text).not.toContain('<form');
      await request(standin.app).post(`/pay/${requestId}/capture`).type('form').send({ method: 'card', paidAt: '2026-11-20T19:30', timeZone: LA }).expect(409);
      expect(receiver.received).toHaveLength(before);
    });

    it('refuses to cancel a captured request (409)', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      await request(standin.app).post(`/api/payment-requests/${requestId}/capture`).send({ method: 'card', paidAt: '2026-11-20T19:30:00-08:00' }).expect(200);
      await request(standin.app).post(`/api/payment-requests/${requestId}/cancel`).expect(409).expect('Content-Type', PROBLEM);
      await expect(ehr().cancelPaymentRequest(requestId)).rejects.toMatchObject({ name: 'EhrAdapterError', status: 409, retryable: false });
    });

    it('answers 404 for an unknown request; the adapter error carries the status, never the body', async () => {
      await request(standin.app).post('/api/payment-requests/pr_unknown/capture').send({ method: 'card', paidAt: '2026-11-20T19:30:00-08:00' }).expect(404).expect('Content-Type', PROBLEM);
      const err = await ehr().cancelPaymentRequest('pr_unknown').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EhrAdapterError);
      expect(err).toMatchObject({ operation: 'cancelPaymentRequest', status: 404, retryable: false, message: 'EHR cancelPaymentRequest failed with HTTP 404' });
    });

    it('the adapter reports an unreachable EHR as a retryable error without a status', async () => {
      const err = await createHttpEhrAdapter({ baseUrl: `http://127.0.0.1:${await closedPort()}`, timeoutMs: 2000 }).openPaymentRequest(copayInput()).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'EhrAdapterError', operation: 'openPaymentRequest', status: undefined, retryable: true });
      expect((err as Error).message).not.toContain('pt-1001');
    });
  });

  describe('HTML form capture', () => {
    it('converts 2026-11-20T19:30 America/Los_Angeles to 2026-11-21T03:30:00.000Z and says whether we accepted it', async () => {
      const input = copayInput();
      const { requestId } = await ehr().openPaymentRequest(input);
      const res = await request(standin.app)
        .post(`/pay/${requestId}/capture`)
        .type('form')
        .send({ method: 'card', paidAt: '2026-11-20T19:30', timeZone: LA, amount: '45.00' })
        .expect(200)
        .expect('Content-Type', HTML);
      expect(res.text).toContain('Payflow accepted the payment');
      expect(res.text).toContain('HTTP 200');
      const event = ehrEventSchema.parse(JSON.parse(lastReceived().raw));
      expect(event.type).toBe('payment.captured');
      expect(event.data).toMatchObject({ requestId, collectionId: input.collectionId, method: 'card', amountCents: 4500, paidAt: '2026-11-21T03:30:00.000Z' });
    });

    it('takes an edited amount in dollars, without floating point', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      await request(standin.app).post(`/pay/${requestId}/capture`).type('form').send({ method: 'cash', paidAt: '2026-11-20T09:05', timeZone: LA, amount: '$1,000.10' }).expect(200);
      expect(lastReceived().event.data).toMatchObject({ amountCents: 100_010, paidAt: '2026-11-20T17:05:00.000Z' });
    });

    it('says so when our service does not accept the payment', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      receiver.answerWith.status = 422;
      const res = await request(standin.app).post(`/pay/${requestId}/capture`).type('form').send({ method: 'cash', paidAt: '2026-11-20T09:05', timeZone: LA }).expect(200);
      expect(res.text).toContain('Payflow did not accept the payment');
      expect(res.text).toContain('HTTP 422');
    });

    it('re-renders the form with accessible errors on bad input (400), or answers problem+json to a JSON client', async () => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      const before = receiver.received.length;
      const bad = { method: 'bitcoin', paidAt: '2026-02-30T19:30', timeZone: LA, amount: '12.345' };
      const page = await request(standin.app).post(`/pay/${requestId}/capture`).type('form').send(bad).expect(400).expect('Content-Type', HTML);
      expect(page.text).toContain('role="alert"');
      expect(page.text).toContain('Choose how the patient paid.');
      expect(page.text).toMatch(/id="paidAt"[^>]*aria-describedby="paidAt-hint paidAt-error"[^>]*aria-invalid="true"/);
      expect(page.text).toMatch(/id="amount"[^>]*aria-invalid="true"/);
      expect(page.text).toContain('value="12.345"'); // what was typed is kept

      const json = await request(standin.app).post(`/pay/${requestId}/capture`).set('Accept', 'application/json').type('form').send(bad).expect(400).expect('Content-Type', PROBLEM);
      expect(json.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['amount', 'method', 'paidAt']);
      expect(receiver.received).toHaveLength(before);
    });
  });

  describe('remittances and reference data', () => {
    it('a remittance emits claim.upserted to the clearinghouse endpoint, signed with its secret', async () => {
      const transfer = claim();
      const res = await request(standin.app).post('/api/remittances').send({ claim: transfer }).expect(200);
      expect(res.body).toEqual({ eventId: expect.stringMatching(/^evt_/), delivery: { status: 200, body: expect.any(Object) } });
      const got = lastReceived();
      expect(got.source).toBe('clearinghouse');
      const event = clearinghouseEventSchema.parse(JSON.parse(got.raw));
      expect(event).toMatchObject({ eventId: res.body.eventId, type: 'claim.upserted', data: transfer });
      expect(verifyWebhook(got.signature, Buffer.from(got.raw), [SECRETS.ehr], Math.floor(Date.now() / 1000))).toEqual({ ok: false, reason: 'mismatch' });
    });

    it('a reversal (CLP02 = 22) is a claim.upserted back to the payer with a higher version', async () => {
      const reversal = claim({ version: 3, responsibility: 'payer', payerStatus: 'reprocessing', patientResponsibilityCents: 0 });
      await request(standin.app).post('/api/remittances').send({ claim: reversal }).expect(200);
      expect(clearinghouseEventSchema.parse(JSON.parse(lastReceived().raw)).data).toMatchObject({ version: 3, responsibility: 'payer', payerStatus: 'reprocessing' });
    });

    it.each([
      ['practice', 'practice.upserted', { externalId: 'p-ref', name: 'Harbor Clinic', timeZone: 'America/New_York', paymentPageUrl: 'https://pay.example.com/p-ref' }],
      ['patient', 'patient.upserted', { practiceExternalId: 'p-ref', externalId: 'pt-ref', version: 1, firstName: 'Eve', lastName: 'Lind', dateOfBirth: '1980-02-29', email: null, phone: '+15555550101' }],
      ['visit', 'visit.upserted', { practiceExternalId: 'p-ref', patientExternalId: 'pt-ref', externalId: 'v-ref', version: 1, dateOfService: '2026-11-20', providerName: 'Dr. Soto' }],
    ])('reference data %s emits %s to the EHR endpoint', async (type, eventType, record) => {
      const res = await request(standin.app).post('/api/reference-data').send({ type, record }).expect(200);
      const got = lastReceived();
      expect(got.source).toBe('ehr');
      expect(ehrEventSchema.parse(JSON.parse(got.raw))).toMatchObject({ eventId: res.body.eventId, type: eventType, data: record });
    });

    it('the payment page then shows what the stand-in EHR holds: practice name, time zone, patient, date of service', async () => {
      const { url } = await ehr().openPaymentRequest(copayInput({ practiceExternalId: 'p-ref', patientExternalId: 'pt-ref', visitExternalId: 'v-ref' }));
      const page = await (await fetch(url)).text();
      expect(page).toContain('Harbor Clinic');
      expect(page).toContain('Eve Lind');
      expect(page).toContain('date of service 2026-11-20');
      expect(page).toContain('value="America/New_York"');
    });
  });

  describe('bad input', () => {
    const expectProblem = async (path: string, body: unknown, field: string) => {
      const before = receiver.received.length;
      const res = await request(standin.app).post(path).send(body as object).expect(400).expect('Content-Type', PROBLEM);
      expect(res.body).toMatchObject({ type: '/problems/bad-request', status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(receiver.received).toHaveLength(before);
      return res.body;
    };

    it.each([
      ['fractional amount', { amountCents: 12.5 }, 'amountCents'],
      ['zero amount', { amountCents: 0 }, 'amountCents'],
      ['absurd amount', { amountCents: 10_000_001 }, 'amountCents'],
      ['amount as a string', { amountCents: '4500' }, 'amountCents'],
      ['collectionId not a UUID', { collectionId: 'abc' }, 'collectionId'],
      ['unknown reason', { reason: 'tip' }, 'reason'],
      ['copay without a visit', { visitExternalId: null }, 'visitExternalId'],
      ['external id with spaces', { patientExternalId: 'pt 1' }, 'patientExternalId'],
      ['unknown field', { ssn: '000-00-0000' }, 'ssn'],
    ])('POST /api/payment-requests: %s → 400 naming the field', async (_label, change, field) => {
      await expectProblem('/api/payment-requests', { ...copayInput(), ...change }, field);
    });

    it('names a missing field as required', async () => {
      const { collectionId: _omit, ...rest } = copayInput();
      const body = await expectProblem('/api/payment-requests', rest, 'collectionId');
      expect(body.errors).toContainEqual({ field: 'collectionId', reason: 'is required' });
    });

    it('does not echo submitted values in the problem', async () => {
      const body = await expectProblem('/api/payment-requests', { ...copayInput(), patientExternalId: '<Jane Doe 1970-01-01>' }, 'patientExternalId');
      expect(JSON.stringify(body)).not.toContain('Jane');
    });

    it.each([
      ['unknown method', { method: 'bitcoin', paidAt: '2026-11-20T19:30:00-08:00' }, 'method'],
      ['paidAt without an offset', { method: 'card', paidAt: '2026-11-20T19:30:00' }, 'paidAt'],
      ['paidAt not a real date', { method: 'card', paidAt: '2026-02-30T19:30:00Z' }, 'paidAt'],
      ['negative amount', { method: 'card', paidAt: '2026-11-20T19:30:00Z', amountCents: -1 }, 'amountCents'],
    ])('POST capture: %s → 400 naming the field', async (_label, body, field) => {
      const { requestId } = await ehr().openPaymentRequest(copayInput());
      await expectProblem(`/api/payment-requests/${requestId}/capture`, body, field);
      expect(standin.paymentRequest(requestId)?.status).toBe('open');
    });

    it.each([
      ['negative line charge', { claim: claim({ lines: [{ ...claim().lines[0]!, chargeCents: -100 }] }) }, 'claim.lines.0.chargeCents'],
      ['unknown responsibility', { claim: { ...claim(), responsibility: 'nobody' } }, 'claim.responsibility'],
      ['repeated line number', { claim: claim({ lines: [claim().lines[0]!, claim().lines[0]!] }) }, 'claim.lines.1.lineNumber'],
      ['no claim', {}, 'claim'],
    ])('POST /api/remittances: %s → 400 naming the field', async (_label, body, field) => {
      await expectProblem('/api/remittances', body, field);
    });

    it.each([
      ['unknown type', { type: 'doctor', record: {} }, 'type'],
      ['impossible date of birth', { type: 'patient', record: { practiceExternalId: 'p', externalId: 'x', version: 1, firstName: 'A', lastName: 'B', dateOfBirth: '1990-02-30' } }, 'record.dateOfBirth'],
      ['unknown time zone', { type: 'practice', record: { externalId: 'p', name: 'P', timeZone: 'Mars/Base', paymentPageUrl: 'https://x.example' } }, 'record.timeZone'],
    ])('POST /api/reference-data: %s → 400 naming the field', async (_label, body, field) => {
      await expectProblem('/api/reference-data', body, field);
    });

    it('malformed JSON → 400 problem+json', async () => {
      const res = await request(standin.app).post('/api/payment-requests').set('Content-Type', 'application/json').send('{"collectionId": ').expect(400).expect('Content-Type', PROBLEM);
      expect(res.body.errors).toEqual([{ field: 'body', reason: 'not valid JSON' }]);
    });
  });

  describe('HTML escaping', () => {
    it('escapes hostile patient and practice names everywhere on the page', async () => {
      await request(standin.app)
        .post('/api/reference-data')
        .send({ type: 'practice', record: { externalId: 'p-hostile', name: '<img src=x onerror=alert(1)>', timeZone: LA, paymentPageUrl: 'https://x.example/pay' } })
        .expect(200);
      // External ids cannot carry markup (their alphabet is restricted), so names are the hostile input.
      const { url } = await ehr().openPaymentRequest(copayInput({ practiceExternalId: 'p-hostile', patientExternalId: 'pt-hostile' }));
      const page = await (await fetch(url)).text();
      expect(page).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
      expect(page).toContain('O&#39;Brien &amp; &quot;Sons&quot; &lt;b&gt;');
      expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(page).not.toContain('<script');
      expect(page).not.toContain('<img');
      expect(page).not.toContain('<b>');
    });
  });
});

describe('EHR stand-in without a listening receiver', () => {
  it('still captures, and reports that our service could not be reached', async () => {
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    const { app } = createStandinApp({
      publicBaseUrl: 'http://ehr.test',
      webhooks: { ehrUrl: `${nobody}/webhooks/ehr`, clearinghouseUrl: `${nobody}/webhooks/clearinghouse` },
      secrets: SECRETS,
      now: () => new Date('2026-11-21T03:30:00Z'),
    });
    const created = await request(app).post('/api/payment-requests').send(copayInput()).expect(201);
    expect(created.body.url).toBe(`http://ehr.test/pay/${created.body.requestId}`);
    // The form defaults to "now" on the practice's wall clock.
    const page = await request(app).get(`/pay/${created.body.requestId}`).expect(200);
    expect(page.text).toContain('value="2026-11-20T19:30"');
    const res = await request(app).post(`/api/payment-requests/${created.body.requestId}/capture`).send({ method: 'card', paidAt: '2026-11-20T19:30:00-08:00' }).expect(200);
    expect(res.body.delivery).toEqual({ status: null, body: null, error: 'ECONNREFUSED' });
    const html = await request(app).post(`/pay/${created.body.requestId}/capture`).type('form').send({ method: 'card', paidAt: '2026-11-20T19:30', timeZone: LA }).expect(200);
    expect(html.text).toContain('Payflow could not be reached');
  });

  it('requires the API key when one is configured', async () => {
    const options = {
      webhooks: { ehrUrl: 'http://127.0.0.1:1/e', clearinghouseUrl: 'http://127.0.0.1:1/c' },
      secrets: SECRETS,
      apiKey: 'ehr-api-key',
    };
    const standin = await startStandin({ port: 0, ...options });
    try {
      await request(standin.app).post('/api/payment-requests').send(copayInput()).expect(401).expect('Content-Type', PROBLEM);
      await request(standin.app).post('/api/payment-requests').set('Authorization', 'Bearer wrong').send(copayInput()).expect(401);
      await expect(createHttpEhrAdapter({ baseUrl: standin.url }).openPaymentRequest(copayInput())).rejects.toMatchObject({ status: 401, retryable: false });
      const opened = await createHttpEhrAdapter({ baseUrl: standin.url, apiKey: 'ehr-api-key' }).openPaymentRequest(copayInput());
      expect(opened.url).toBe(`${standin.url}/pay/${opened.requestId}`);
      // The page itself is for people at the desk: no key.
      await request(standin.app).get(`/pay/${opened.requestId}`).expect(200);
    } finally {
      await standin.close();
    }
  });
});
