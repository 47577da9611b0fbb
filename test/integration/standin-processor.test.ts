/**
 * The default card processor: the stand-in's /processor (ehr/standin/processor.ts) and its adapter
 * (processor/standin-processor.ts), over real HTTP: the stand-in listens on a free port (and, once, runs as its own
 * process, ehr/standin/main.ts, with its token from the environment). A card is saved through the hosted card-entry
 * page as a person types it, then charged and refunded through the port; idempotency keys, lost answers, the outage
 * switch, the token and a timeout.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startStandin, type RunningStandin } from '../../ehr/standin/app';
import { CardProcessorError, type CardProcessor, type SavedCard } from '../../processor/card-processor';
import { createCardProcessor } from '../../processor';
import { createStandinProcessor } from '../../processor/standin-processor';
import { freePort } from '../support/global-setup';

const TOKEN = 'test-processor-standin-token-0000';
const HTML = /^text\/html/;

/** Types the card into the hosted page as a browser posts it. */
async function enterCard(entryUrl: string, cardNumber: string, expiry = '12 / 30', extra: Record<string, string> = {}): Promise<Response> {
  const page = await fetch(entryUrl);
  expect(page.status).toBe(200);
  const action = /<form method="post" action="([^"]+)"/.exec(await page.text())?.[1];
  expect(action).toBeDefined();
  return fetch(new URL(action!, entryUrl), {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ cardNumber, expiry, cvc: '123', ...extra }).toString(),
  });
}

describe('the stand-in card processor and its adapter', () => {
  let standin: RunningStandin;
  let processor: CardProcessor;

  beforeAll(async () => {
    standin = await startStandin({
      port: 0, webhooks: { ehrUrl: 'http://127.0.0.1:9/webhooks/ehr', clearinghouseUrl: 'http://127.0.0.1:9/webhooks/clearinghouse' },
      secrets: { ehr: 'test-ehr-secret', clearinghouse: 'test-clearinghouse-secret' }, processorToken: TOKEN,
    });
    processor = createStandinProcessor({ baseUrl: `${standin.url}/processor`, token: TOKEN, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await standin?.close();
  });
  afterEach(() => {
    standin.processor.setDown(false);
    standin.processor.loseAnswers(0);
  });

  async function saveCard(cardNumber: string): Promise<SavedCard> {
    const setup = await processor.startCardSetup({ idempotencyKey: `card-setup:${randomUUID()}` });
    const saved = await enterCard(setup.entryUrl!, cardNumber);
    expect(saved.status).toBe(200);
    const card = await processor.completedCard(setup.setupRef);
    expect(card).toBeDefined();
    return card!;
  }

  it('saves a card through the hosted page, keeping brand, last 4 and expiry only; charges it once per key', async () => {
    const key = `card-setup:${randomUUID()}`;
    const setup = await processor.startCardSetup({ idempotencyKey: key, metadata: { patientId: 'pat_1' } });
    expect(setup).toEqual({
      setupRef: expect.stringMatching(/^seti_/), clientSecret: expect.stringMatching(/^seti_.+_secret_/), customerRef: expect.stringMatching(/^cus_/),
      entryUrl: `${standin.url}/processor/setup/${setup.setupRef}`,
    });
    // The same key again: the same setup, the same customer (a retried activity).
    expect(await processor.startCardSetup({ idempotencyKey: key, metadata: { patientId: 'pat_1' } })).toEqual(setup);
    expect(await processor.completedCard(setup.setupRef)).toBeUndefined();

    const page = await fetch(setup.entryUrl!);
    expect(page.headers.get('content-type')).toMatch(HTML);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(await page.text()).toContain('<label for="cardNumber">Card number</label>');

    const saved = await enterCard(setup.entryUrl!, '4242 4242 4242 4242', '12 / 30');
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('ending 4242');
    const card = await processor.completedCard(setup.setupRef);
    expect(card).toEqual({ customerRef: setup.customerRef, paymentMethodRef: expect.stringMatching(/^pm_/), brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 });

    const chargeKey = `card-charge:${randomUUID()}`;
    const request = { card: card!, amountCents: 4500, idempotencyKey: chargeKey, description: 'Visit balance', metadata: { claimId: 'claim_1' } };
    const first = await processor.charge(request);
    expect(first).toEqual({ status: 'succeeded', chargeRef: expect.stringMatching(/^ch_/), amountCents: 4500 });
    expect(await processor.charge(request)).toEqual(first);
    expect(standin.processor.charges().filter((c) => c.idempotencyKey === chargeKey)).toHaveLength(1);

    // A card number is never kept: not in the setups, cards or charges the stand-in holds.
    const held = JSON.stringify([standin.processor.setups(), standin.processor.cards(), standin.processor.charges()]);
    expect(held).not.toContain('4242424242424242');
    expect(held).not.toContain('4242 4242 4242 4242');
  });

  it.each([
    ['4000000000000002', 'card_declined'],
    ['4000000000009995', 'insufficient_funds'],
    ['4000000000000069', 'expired_card'],
    ['4000002760003184', 'authentication_required'],
  ])('the test card %s saves, and its charges are declined %s (the same key: the same answer, no new attempt)', async (number, code) => {
    const card = await saveCard(number);
    expect(card.last4).toBe(number.slice(-4));
    const request = { card, amountCents: 2000, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' };
    const declined = await processor.charge(request);
    expect(declined).toEqual({ status: 'declined', code, chargeRef: expect.stringMatching(/^ch_/) });
    expect(await processor.charge(request)).toEqual(declined);
    expect(standin.processor.charges().filter((c) => c.idempotencyKey === request.idempotencyKey)).toHaveLength(1);
    // A later round is another attempt, declined again.
    expect(await processor.charge({ ...request, idempotencyKey: `${request.idempotencyKey}:2` })).toMatchObject({ status: 'declined', code });
  });

  it('refuses the same key with other parameters, for good (not retryable)', async () => {
    const card = await saveCard('4242424242424242');
    const key = `card-charge:${randomUUID()}`;
    await processor.charge({ card, amountCents: 1000, idempotencyKey: key, description: 'x' });
    const err = await processor.charge({ card, amountCents: 1001, idempotencyKey: key, description: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProcessorError);
    expect(err).toMatchObject({ retryable: false, httpStatus: 422, code: 'idempotency_key_reused' });
  });

  it('a lost answer is retried under the same key and gets the first answer: one charge', async () => {
    const card = await saveCard('4242424242424242');
    const request = { card, amountCents: 3000, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' };
    standin.processor.loseAnswers(1);
    const lost = await processor.charge(request).catch((e: unknown) => e);
    expect(lost).toMatchObject({ retryable: true, httpStatus: 500 });
    const retried = await processor.charge(request);
    expect(retried).toMatchObject({ status: 'succeeded', amountCents: 3000 });
    expect(standin.processor.charges().filter((c) => c.idempotencyKey === request.idempotencyKey)).toEqual([expect.objectContaining({ id: (retried as { chargeRef: string }).chargeRef })]);
  });

  it('the operator\'s outage switch: every call answers 503 (retryable), nothing is recorded; the card page too', async () => {
    const card = await saveCard('4242424242424242');
    const switchTo = (down: boolean) => fetch(`${standin.url}/processor/operator/outage`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ down }),
    });
    expect((await fetch(`${standin.url}/processor/operator/outage`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"down":true}' })).status).toBe(401);
    expect((await switchTo(true)).status).toBe(204);
    const before = standin.processor.charges().length;
    const request = { card, amountCents: 1200, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' };
    const down = await processor.charge(request).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(CardProcessorError);
    expect(down).toMatchObject({ retryable: true, httpStatus: 503 });
    await expect(processor.startCardSetup({ idempotencyKey: `card-setup:${randomUUID()}` })).rejects.toMatchObject({ retryable: true, httpStatus: 503 });
    expect(standin.processor.charges()).toHaveLength(before);
    expect((await fetch(`${standin.url}/processor/setup/seti_${'0'.repeat(24)}`)).status).toBe(503);

    expect((await switchTo(false)).status).toBe(204);
    expect(await processor.charge(request)).toMatchObject({ status: 'succeeded' });
  });

  it('refunds part of a charge, once per key; more than is left, or a declined charge, is refused for good', async () => {
    const card = await saveCard('4242424242424242');
    const charge = await processor.charge({ card, amountCents: 5000, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' });
    if (charge.status !== 'succeeded') throw new Error('expected a charge');
    const key = `card-refund:${randomUUID()}`;
    const refund = await processor.refund({ chargeRef: charge.chargeRef, amountCents: 2000, idempotencyKey: key });
    expect(refund).toEqual({ refundRef: expect.stringMatching(/^re_/), status: 'succeeded' });
    expect(await processor.refund({ chargeRef: charge.chargeRef, amountCents: 2000, idempotencyKey: key })).toEqual(refund);
    expect(standin.processor.charges().find((c) => c.id === charge.chargeRef)?.refundedCents).toBe(2000);
    await expect(processor.refund({ chargeRef: charge.chargeRef, amountCents: 3001, idempotencyKey: `${key}:2` })).rejects.toMatchObject({ retryable: false, httpStatus: 400 });
    expect(await processor.refund({ chargeRef: charge.chargeRef, amountCents: 3000, idempotencyKey: `${key}:3` })).toMatchObject({ status: 'succeeded' });

    const declinedCard = await saveCard('4000000000000002');
    const declined = await processor.charge({ card: declinedCard, amountCents: 5000, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' });
    await expect(processor.refund({ chargeRef: declined.chargeRef!, amountCents: 100, idempotencyKey: `card-refund:${randomUUID()}` })).rejects.toMatchObject({ retryable: false });
  });

  it('refuses a wrong token, an unknown card, and a charge without an idempotency key', async () => {
    const wrong = createStandinProcessor({ baseUrl: `${standin.url}/processor`, token: 'not-the-token-00000000' });
    await expect(wrong.startCardSetup({ idempotencyKey: `card-setup:${randomUUID()}` })).rejects.toMatchObject({ retryable: false, httpStatus: 401 });
    const card = await saveCard('4242424242424242');
    await expect(processor.charge({ card: { ...card, paymentMethodRef: `pm_${'0'.repeat(24)}` }, amountCents: 100, idempotencyKey: `k-${randomUUID()}`, description: 'x' }))
      .rejects.toMatchObject({ retryable: false, httpStatus: 404 });
    const noKey = await fetch(`${standin.url}/processor/v1/charges`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: card.customerRef, paymentMethod: card.paymentMethodRef, amountCents: 100, currency: 'usd', description: 'x' }),
    });
    expect(noKey.status).toBe(400);
  });

  it('the card page refuses a number that is not a test card, or not a card, or a past expiry, without echoing the number', async () => {
    const setup = await processor.startCardSetup({ idempotencyKey: `card-setup:${randomUUID()}` });
    for (const [number, expiry, message] of [
      ['4111 1111 1111 1111', '12 / 30', 'test cards only'],
      ['4242 4242 4242 4241', '12 / 30', 'Enter a valid card number.'],
      ['4242 4242 4242 4242', '01 / 20', 'Enter an expiry date in the future'],
      ['4242 4242 4242 4242', '13 / 30', 'Enter an expiry date in the future'],
    ] as const) {
      const res = await enterCard(setup.entryUrl!, number, expiry);
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).toContain(message);
      expect(body).toContain('role="alert"');
      // The field comes back empty: the number typed is neither shown again nor kept.
      expect(body).toMatch(/<input type="text" id="cardNumber" name="cardNumber"[^>]* value=""/);
      expect(body).not.toContain(number === '4242 4242 4242 4241' || number === '4111 1111 1111 1111' ? number : 'value="4242');
    }
    expect(await processor.completedCard(setup.setupRef)).toBeUndefined();
    expect((await fetch(`${standin.url}/processor/setup/seti_${'f'.repeat(24)}`)).status).toBe(404);
  });

  it('sends the patient back to return_url with the setup, allowed by the page\'s form-action', async () => {
    const setup = await processor.startCardSetup({ idempotencyKey: `card-setup:${randomUUID()}` });
    const returnUrl = 'https://pay.example-practice.com/portal/card-saved?visit=v1';
    const entryUrl = `${setup.entryUrl!}?return_url=${encodeURIComponent(returnUrl)}`;
    const page = await fetch(entryUrl);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://pay.example-practice.com");
    const saved = await enterCard(entryUrl, '4242424242424242', '12/30', { return_url: returnUrl });
    expect(saved.status).toBe(303);
    const location = new URL(saved.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://pay.example-practice.com/portal/card-saved');
    expect(Object.fromEntries(location.searchParams)).toEqual({ visit: 'v1', setup_intent: setup.setupRef, redirect_status: 'succeeded' });
    // Opened again once saved: straight back.
    expect((await fetch(entryUrl, { redirect: 'manual' })).status).toBe(303);
  });

  it('a processor that does not answer in time is an outage (retryable)', async () => {
    const silent: Server = createServer(() => undefined); // takes the connection, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const slow = createStandinProcessor({ baseUrl: `http://127.0.0.1:${port}/processor`, token: TOKEN, timeoutMs: 300 });
      await expect(slow.completedCard('seti_x')).rejects.toMatchObject({ retryable: true, code: 'timeout' });
    } finally {
      silent.close();
    }
  });
});

describe('createCardProcessor with the stand-in process (ehr/standin/main.ts)', () => {
  it('picks the stand-in by default, and the process takes calls with its PROCESSOR_STANDIN_TOKEN', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../ehr/standin/main.ts')], {
      env: { ...process.env, LOG_LEVEL: 'warn', EHR_STANDIN_PORT: String(port), EHR_STANDIN_HOST: '127.0.0.1', EHR_STANDIN_PUBLIC_URL: url, PROCESSOR_STANDIN_TOKEN: TOKEN },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      for (let i = 0; ; i++) {
        const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
        if (up) break;
        if (i > 300 || child.exitCode !== null) throw new Error(`the stand-in did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const processor = createCardProcessor({
        PROCESSOR: 'standin', PROCESSOR_STANDIN_URL: `${url}/processor`, PROCESSOR_STANDIN_TOKEN: TOKEN, PROCESSOR_TIMEOUT: 5000, STRIPE_SECRET_KEY: undefined, STRIPE_API_BASE: undefined,
      });
      expect(processor.name).toBe('standin');
      const setup = await processor.startCardSetup({ idempotencyKey: `card-setup:${randomUUID()}` });
      expect(setup.entryUrl).toBe(`${url}/processor/setup/${setup.setupRef}`);
      expect((await enterCard(setup.entryUrl!, '4242424242424242')).status).toBe(200);
      const card = (await processor.completedCard(setup.setupRef))!;
      expect(await processor.charge({ card, amountCents: 2500, idempotencyKey: `card-charge:${randomUUID()}`, description: 'x' })).toMatchObject({ status: 'succeeded', amountCents: 2500 });
      const dashboard = await fetch(`${url}/processor`);
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('visa 4242');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
  }, 60_000);
});
