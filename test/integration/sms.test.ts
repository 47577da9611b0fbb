/**
 * Text messages and consent (issue 17), on the SMS provider stand-in (ehr/standin/sms.ts, in this process, over HTTP),
 * real PostgreSQL and a real Temporal server: a statement by text arrives in the stand-in's inbox under the business
 * key's Idempotency-Key; the provider's signed delivery callback marks the row delivered, or undelivered (failed) for a
 * number the carrier cannot reach; a 4xx refusal is final; a STOP reply withdraws text consent at once (audited) and
 * the next text is suppressed, START gives it back; the provider down makes the activity retry with backoff and, back,
 * one message arrives; an answer lost after the provider took the message sends nothing twice; the quiet hours hold a
 * text back. The email's unsubscribe link withdraws email consent (the page, one-click, tampering, the header).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Transporter } from 'nodemailer';
import type { Express } from 'express';
import request from 'supertest';
import { startStandin, type RunningStandin } from '../../ehr/standin';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { createWorker } from '../../worker/create-worker';
import { createChannelNotifier, notifierFromConfig } from '../../worker/notifier';
import { parseEnv, serviceEnvSchema } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createHttpSmsNotifier, idempotencyKeyOf, SMS_DELIVERY_FAILED } from '../../sms/http-sms-notifier';
import { createSmtpNotifier } from '../../mail/smtp-notifier';
import { signUnsubscribeToken, unsubscribePath } from '../../mail/unsubscribe-link';
import { signPayLink } from '../../mail/pay-link';
import { signWebhook } from '../../lib/webhook-signature';
import type { Notifier, OutgoingMessage } from '../../lib/notifier';
import { statementStatusQuery } from '../../workflows/statement-messages';
import { TEST_DATA_CONVERTER } from '../support/codec';
import { TEST_MAIL_FROM, TEST_PAY_LINKS } from '../support/email';
import { eventually } from '../support/fixtures';
import { TEST_SECRETS, useTestStack } from '../support/harness';
import { sharedStack } from '../support/shared-stack';
import { generateStatement, seedStatementScenario, type StatementScenario } from '../support/statement-driver';

const SMS_TOKEN = 'test-sms-provider-token';
const SMS_SECRET = 'test-sms-webhook-secret';
const FROM = '+15555550123';

/** A time zone whose wall clock now shows `hour` (Etc/GMT zones have no DST; their sign is inverted). */
function zoneWithLocalHour(hour: number): string {
  const offset = ((hour - new Date().getUTCHours()) % 24 + 24 + 12) % 24 - 12;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

let numbers = 0;
/** A fresh number for each patient (a STOP is for every patient of a number); `ending` sets its last digits. */
const phone = (ending = '') => {
  const base = `+1415${String(Date.now() % 1_000_000).padStart(6, '0')}${String(++numbers % 10)}`;
  return ending ? base.slice(0, base.length - ending.length) + ending : base;
};

describe('text messages and consent', () => {
  const stack = useTestStack({ worker: false });

  let server: Server;
  let apiUrl = '';
  let app: Express;
  let sms: RunningStandin;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let connection: NativeConnection | undefined;
  let textNotifier: Notifier;
  let emailNotifier: Notifier;
  const sentEmails: { to: string; headers: Record<string, string>; text: string }[] = [];

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app = stack.makeApp({
      webhookSecrets: { ehr: [TEST_SECRETS.ehr], clearinghouse: [TEST_SECRETS.clearinghouse], sms: [SMS_SECRET] },
      statements: { publicBaseUrl: apiUrl, reminderIntervalMs: 60 * 60_000 },
    });
    server.on('request', app);
    sms = await startStandin({
      port: 0, webhooks: { ehrUrl: `${apiUrl}/webhooks/ehr`, clearinghouseUrl: `${apiUrl}/webhooks/clearinghouse` }, secrets: TEST_SECRETS,
      sms: { token: SMS_TOKEN, webhookSecret: SMS_SECRET, inboundUrl: `${apiUrl}/webhooks/sms`, defaultNumber: FROM, callbackDelayMs: 20 },
    });
    textNotifier = createHttpSmsNotifier({ db: stack.db, providerUrl: `${sms.url}/sms/api`, token: SMS_TOKEN, from: FROM, statusCallbackUrl: `${apiUrl}/webhooks/sms` });
    // Email to a capturing transport: what the SMTP adapter hands over, headers included.
    const transport = {
      sendMail: (m: { to: string; headers: Record<string, string>; text: string }) => {
        sentEmails.push({ to: m.to, headers: m.headers, text: m.text });
        return Promise.resolve({ messageId: 'x' });
      },
    } as unknown as Transporter;
    const email = (emailNotifier = createSmtpNotifier({ db: stack.db, transport, from: TEST_MAIL_FROM, payLinks: TEST_PAY_LINKS, publicBaseUrl: apiUrl }));
    const shared = sharedStack();
    connection = await NativeConnection.connect({ address: shared.temporalAddress });
    worker = await createWorker({
      connection, db: stack.db, ehr: createHttpEhrAdapter({ baseUrl: sms.url }), namespace: 'default', taskQueue: stack.taskQueue,
      workflowBundlePath: shared.workflowBundlePath, shutdownGraceSeconds: 5, dataConverter: TEST_DATA_CONVERTER,
      notifier: createChannelNotifier(stack.db, { email, text: textNotifier }),
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await sms?.close();
    await new Promise<void>((r) => {
      server?.close(() => r());
      server?.closeAllConnections();
    });
  });

  const seed = (o: { phone?: string | null; email?: string | null; hour?: number } = {}) =>
    seedStatementScenario(stack.db, { paymentPageUrl: `${sms.url}/hosted-pay`, email: o.email ?? null, phone: o.phone ?? null, timeZone: zoneWithLocalHour(o.hour ?? 12) });
  const textsTo = (to: string) => sms.sms.messages().filter((m) => m.direction === 'outbound' && m.to === to);
  const textRow = (statementId: string) => stack.db('notification_outbox').where({ statement_id: statementId, channel: 'text' }).first();
  const rowWhen = (statementId: string, check: (row: any) => boolean, what: string, timeoutMs = 30_000) =>
    eventually(async () => {
      const row = await textRow(statementId);
      return row && check(row) ? row : undefined;
    }, timeoutMs, what);
  const auditOf = (entityId: string) => stack.db('audit_log').where({ entity_id: entityId }).orderBy('id').select();
  const consentOf = (patientId: string, channel: string) => stack.db('channel_consents').where({ patient_id: patientId, channel }).first();
  /** A text sent through the adapter directly (as the activity does), with a business key of its own. */
  const directText = (s: StatementScenario, to: string, key: string): OutgoingMessage => ({
    channel: 'text', kind: 'reminder', sequence: 9, practiceId: s.practiceId, patientId: s.patientId, statementId: null,
    recipient: to, subject: null, body: 'Harbor Family Clinic: a test text. Reply STOP to opt out.', businessKey: key,
  });

  it('a statement by text arrives in the inbox under its Idempotency-Key; the delivery callback marks it delivered; audited', async () => {
    const to = phone();
    const s = await seed({ phone: to });
    const statement = await generateStatement(app, s);
    const [text] = await eventually(() => Promise.resolve(textsTo(to).length > 0 ? textsTo(to) : undefined), 30_000, 'the text at the provider');
    expect(text).toMatchObject({ from: FROM, status: expect.stringMatching(/queued|delivered/) });
    expect(text!.body).toContain('Reply STOP to opt out');
    expect(text!.body).not.toContain(s.accountId);
    expect(text!.idempotencyKey).toBe(idempotencyKeyOf(`statement:${statement.statementId}:statement:0:text`));

    const row = await rowWhen(statement.statementId, (r) => r.state === 'delivered', 'the row delivered');
    expect(row).toMatchObject({ state: 'delivered', provider_status: 'delivered', message_id: text!.sid, attempts: 1, last_error: null });
    expect(textsTo(to)).toHaveLength(1);
    const audit = await auditOf(row.id);
    expect(audit.map((a) => a.action)).toEqual(['notification.sent', 'notification.status']);
    expect(JSON.stringify(audit)).not.toContain(to);

    // The inbox page lists it.
    const inbox = await fetch(`${sms.url}/sms/inbox`).then((r) => r.text());
    expect(inbox).toContain('Reply STOP to opt out');
    expect(inbox).toContain('delivered');
  });

  it('a number the carrier cannot reach is recorded failed (undelivered); a number the provider refuses is rejected, not retried', async () => {
    const unreachable = phone('0000');
    const a = await seed({ phone: unreachable });
    const sa = await generateStatement(app, a);
    const failed = await rowWhen(sa.statementId, (r) => r.state === 'undelivered', 'the row undelivered');
    expect(failed).toMatchObject({ provider_status: 'failed', last_error: 'provider_failed_30003', attempts: 1 });

    const invalid = phone('9999');
    const b = await seed({ phone: invalid });
    const before = sms.sms.requests();
    const sb = await generateStatement(app, b);
    const rejected = await rowWhen(sb.statementId, (r) => r.state === 'rejected', 'the row rejected');
    expect(rejected).toMatchObject({ last_error: 'HTTP_400', attempts: 1, message_id: null });
    // The statement goes on (mail went); the provider was asked once.
    await eventually(async () => ((await stack.client.workflow.getHandle(sb.workflowId).query(statementStatusQuery)).status === 'awaiting_payment' ? true : undefined), 30_000, 'awaiting payment');
    expect(sms.sms.requests() - before).toBe(1);
    expect((await auditOf(rejected.id)).map((x) => x.action)).toEqual(['notification.rejected']);
  });

  it('STOP withdraws text consent at once (audited, answered per carrier rules); the next text is suppressed; START restores it', async () => {
    const to = phone();
    const s = await seed({ phone: to, email: `stop-${Date.now()}@example.test` });
    const stop = await sms.sms.inbound(to, ' Stop. ');
    expect(stop).toMatchObject({ status: 200, body: { status: 'opted_out', reply: expect.stringContaining('Reply START') } });
    expect(await consentOf(s.patientId, 'text')).toMatchObject({ allowed: false, source: 'sms_reply' });
    const withdrawn = (await auditOf(s.patientId)).filter((a) => a.action.startsWith('consent.'));
    expect(withdrawn).toHaveLength(1);
    expect(withdrawn[0]).toMatchObject({ action: 'consent.withdrawn', actor: `patient:${s.patientId}`, after: { channel: 'text', allowed: false, source: 'sms_reply' } });
    // The provider texted the confirmation back.
    expect(sms.sms.messages().filter((m) => m.direction === 'reply' && m.to === to)).toHaveLength(1);
    // STOP again: nothing changes, nothing more audited.
    expect((await sms.sms.inbound(to, 'STOPALL')).body).toMatchObject({ status: 'opted_out' });
    expect((await auditOf(s.patientId)).filter((a) => a.action.startsWith('consent.'))).toHaveLength(1);

    // The statement: email and mail go, the text is suppressed (recorded, audited, never sent).
    const statement = await generateStatement(app, s);
    const row = await rowWhen(statement.statementId, (r) => r.state === 'suppressed', 'the text suppressed');
    expect(row).toMatchObject({ attempts: 0, message_id: null, last_error: 'consent_withdrawn' });
    expect((await auditOf(row.id)).map((a) => a.action)).toEqual(['notification.suppressed']);
    expect(textsTo(to)).toHaveLength(0);
    // The adapter alone honours consent too (its own check, under the row's lock).
    await textNotifier.send(directText(s, to, `test:${s.patientId}:stopped`));
    expect(await stack.db('notification_outbox').where({ business_key: `test:${s.patientId}:stopped` }).first()).toMatchObject({ state: 'suppressed' });
    expect(textsTo(to)).toHaveLength(0);

    // HELP: answered, nothing changes. A message that is not a keyword: ignored.
    expect((await sms.sms.inbound(to, 'help')).body).toMatchObject({ status: 'help', reply: expect.stringContaining('STOP') });
    expect((await sms.sms.inbound(to, 'please stop sending me bills')).body).toEqual({ status: 'ignored' });
    expect(await consentOf(s.patientId, 'text')).toMatchObject({ allowed: false });

    // START: given again at once, audited; the next text goes.
    expect((await sms.sms.inbound(to, 'start')).body).toMatchObject({ status: 'opted_in' });
    expect(await consentOf(s.patientId, 'text')).toMatchObject({ allowed: true, source: 'sms_reply' });
    expect((await auditOf(s.patientId)).filter((a) => a.action.startsWith('consent.')).map((a) => a.action)).toEqual(['consent.withdrawn', 'consent.given']);
    await createChannelNotifier(stack.db, { text: textNotifier }).send(directText(s, to, `test:${s.patientId}:restarted`));
    expect(textsTo(to)).toHaveLength(1);
  });

  it('a patient who gets statements by text and replies STOP gets the next one by email instead (once per round)', async () => {
    const to = phone();
    const address = `instead-${Date.now()}@example.test`;
    const s = await seed({ phone: to, email: address });
    await stack.db('patients').where({ id: s.patientId }).update({ preferred_channel: 'text' });
    expect((await sms.sms.inbound(to, 'STOP')).body).toMatchObject({ status: 'opted_out' });

    const statement = await generateStatement(app, s);
    await rowWhen(statement.statementId, (r) => r.state === 'suppressed', 'the text suppressed');
    const sent = await eventually(() => Promise.resolve(sentEmails.find((m) => m.to === address)), 30_000, 'the email instead');
    expect(sent.text).toContain('/portal');
    // The transport has the message before the row is marked sent: wait for the mark.
    const emails = await eventually(async () => {
      const rows = await stack.db('notification_outbox').where({ statement_id: statement.statementId, channel: 'email' }).select('business_key', 'state');
      return rows.every((r) => r.state === 'sent') ? rows : undefined;
    }, 30_000, 'the email marked sent');
    expect(emails).toEqual([{ business_key: `statement:${statement.statementId}:statement:0:email`, state: 'sent' }]);
    expect(textsTo(to)).toHaveLength(0);
    // The same round again (a retried activity), with the real email adapter: nothing more is handed over.
    const text = await textRow(statement.statementId);
    await createChannelNotifier(stack.db, { email: emailNotifier }).send({
      channel: 'text', kind: 'statement', sequence: 0, practiceId: s.practiceId, patientId: s.patientId, statementId: statement.statementId,
      recipient: to, subject: null, body: text.body, businessKey: text.business_key,
    });
    expect(sentEmails.filter((m) => m.to === address)).toHaveLength(1);
  });

  it('the webhook: unsigned or wrongly signed → 401; a redelivered event gets the stored answer and acts once', async () => {
    const to = phone();
    const s = await seed({ phone: to });
    const event = { eventId: `EV-redelivery-${s.patientId}`, type: 'message.inbound', occurredAt: new Date().toISOString(), data: { messageId: 'SMx1', from: to, to: FROM, body: 'STOP' } };
    const raw = JSON.stringify(event);
    const post = (signature?: string) => request(app).post('/webhooks/sms').set('Content-Type', 'application/json').set(signature ? { 'Payflow-Signature': signature } : {}).send(raw);
    expect((await post()).status).toBe(401);
    expect((await post(signWebhook(raw, 'another-secret-123', Math.floor(Date.now() / 1000)))).status).toBe(401);
    expect(await consentOf(s.patientId, 'text')).toBeUndefined();
    const first = await post(signWebhook(raw, SMS_SECRET, Math.floor(Date.now() / 1000)));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'opted_out' });
    const again = await post(signWebhook(raw, SMS_SECRET, Math.floor(Date.now() / 1000)));
    expect(again.body).toMatchObject({ status: 'opted_out', duplicate: true });
    expect((await auditOf(s.patientId)).filter((a) => a.action === 'consent.withdrawn')).toHaveLength(1);
  });

  it('the provider down: the activity retries with backoff, nothing is lost, and back up one message arrives', async () => {
    const to = phone();
    const s = await seed({ phone: to });
    sms.sms.setDown(true);
    let statement: { statementId: string; workflowId: string };
    try {
      const before = sms.sms.requests();
      statement = await generateStatement(app, s);
      const failing = await rowWhen(statement.statementId, (r) => r.state === 'failed' && r.attempts >= 3, 'three failed attempts', 60_000);
      expect(failing).toMatchObject({ last_error: 'HTTP_503', message_id: null });
      expect(sms.sms.requests() - before).toBeGreaterThanOrEqual(3);
      expect(textsTo(to)).toHaveLength(0);
      // The run shows the pending activity and its retries.
      const description = await stack.client.workflow.getHandle(statement.workflowId).describe();
      const pending = (description.raw.pendingActivities ?? []).find((p) => p.activityType?.name === 'sendStatementNotices');
      expect(Number(pending?.attempt ?? 0)).toBeGreaterThanOrEqual(2);
    } finally {
      sms.sms.setDown(false);
    }
    const row = await rowWhen(statement.statementId, (r) => r.state === 'delivered', 'delivered once the provider is back', 90_000);
    expect(textsTo(to)).toHaveLength(1);
    expect(row.message_id).toBe(textsTo(to)[0]!.sid);
    expect((await auditOf(row.id)).filter((a) => a.action === 'notification.sent')).toHaveLength(1);
  });

  it('the answer lost after the provider took the message: the retry (same Idempotency-Key) sends nothing twice', async () => {
    const to = phone();
    const s = await seed({ phone: to });
    sms.sms.loseAnswers(1);
    const statement = await generateStatement(app, s);
    const row = await rowWhen(statement.statementId, (r) => r.state === 'delivered', 'delivered', 60_000);
    // The lost answer (HTTP_500); then either the retry got the same message back (2 attempts), or the provider's signed
    // callback told us first and the retry found the message sent (1).
    expect([1, 2]).toContain(row.attempts);
    expect(textsTo(to)).toHaveLength(1);
    expect(row.message_id).toBe(textsTo(to)[0]!.sid);
    expect((await auditOf(row.id)).filter((a) => a.action === 'notification.sent')).toHaveLength(1);
  });

  it('a provider that cannot be reached: a retryable failure naming the reason, never the number or the text', async () => {
    const to = phone();
    const s = await seed({ phone: to });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const nowhere = createHttpSmsNotifier({ db: stack.db, providerUrl: `http://127.0.0.1:${port}/sms/api`, token: SMS_TOKEN, from: FROM, statusCallbackUrl: `${apiUrl}/webhooks/sms` });
    const err = await nowhere.send(directText(s, to, `test:${s.patientId}:down`)).then(() => undefined, (e: unknown) => e as { type?: string; nonRetryable?: boolean; message: string });
    expect(err).toMatchObject({ type: SMS_DELIVERY_FAILED, nonRetryable: false });
    expect(err!.message).toMatch(/ECONNREFUSED/);
    expect(err!.message).not.toContain(to);
    expect(await stack.db('notification_outbox').where({ business_key: `test:${s.patientId}:down` }).first()).toMatchObject({ state: 'failed', attempts: 1, last_error: 'ECONNREFUSED' });
    // The provider reachable again: the same key sends it, once.
    await textNotifier.send(directText(s, to, `test:${s.patientId}:down`));
    await textNotifier.send(directText(s, to, `test:${s.patientId}:down`));
    expect(textsTo(to)).toHaveLength(1);
  });

  it("the worker's own notifier (from configuration) routes a text to the provider, and its callback comes back to the API", async () => {
    const to = phone();
    const s = await seed({ phone: to });
    const config = parseEnv(serviceEnvSchema, {
      DATABASE_URL: stack.dbUrl, SMS_PROVIDER_URL: `${sms.url}/sms/api`, SMS_PROVIDER_TOKEN: SMS_TOKEN, SMS_FROM: FROM, SMS_STATUS_CALLBACK_URL: `${apiUrl}/webhooks/sms`,
    });
    const key = `test:${s.patientId}:configured`;
    await notifierFromConfig(stack.db, config, createLogger('silent', 'payflow-test')).send(directText(s, to, key));
    expect(textsTo(to)).toHaveLength(1);
    await eventually(async () => ((await stack.db('notification_outbox').where({ business_key: key }).first())?.state === 'delivered' ? true : undefined), 30_000, 'delivered');
  });

  it('the quiet hours hold a text back (03:00 practice time): email and mail go, no text reaches the provider', async () => {
    const to = phone();
    const s = await seed({ phone: to, email: `night-${Date.now()}@example.test`, hour: 3 });
    const statement = await generateStatement(app, s);
    const view = await eventually(async () => {
      const v = await stack.client.workflow.getHandle(statement.workflowId).query(statementStatusQuery);
      return v.status === 'awaiting_payment' ? v : undefined;
    }, 30_000, 'awaiting payment');
    expect(new Date(view.deferredTextAt!).getTime() - Date.now()).toBeGreaterThan(4 * 3_600_000);
    expect(await textRow(statement.statementId)).toBeUndefined();
    expect(textsTo(to)).toHaveLength(0);
    const channels = (await stack.db('notification_outbox').where({ statement_id: statement.statementId }).select('channel')).map((r) => r.channel).sort();
    expect(channels).toEqual(['email', 'mail']);
  });

  describe('the email unsubscribe link', () => {
    it('is in the email (footer and List-Unsubscribe, one-click); opening it changes nothing; the button withdraws email consent, audited', async () => {
      const address = `unsub-${Date.now()}@example.test`;
      const s = await seed({ email: address });
      const statement = await generateStatement(app, s);
      const sent = await eventually(() => Promise.resolve(sentEmails.find((m) => m.to === address)), 30_000, 'the email handed over');
      const header = /^<(.+)>$/.exec(sent.headers['List-Unsubscribe'] ?? '')?.[1];
      expect(header).toMatch(new RegExp(`^${apiUrl}/portal/unsubscribe/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
      expect(sent.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
      expect(sent.text).toContain(`Unsubscribe: ${header}`);
      const path = new URL(header!).pathname;

      const page = await request(app).get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Unsubscribe from email');
      expect(page.text).not.toContain('Ada');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(await consentOf(s.patientId, 'email')).toBeUndefined();

      // A tampered token: 404, nothing changes.
      const tampered = `${path.slice(0, -3)}${path.endsWith('AAA') ? 'BBB' : 'AAA'}`;
      expect((await request(app).post(tampered).type('form').send({})).status).toBe(404);
      expect((await request(app).get('/portal/unsubscribe/nonsense')).status).toBe(404);

      // One click (RFC 8058), as a mail client sends it.
      const done = await request(app).post(path).type('form').send('List-Unsubscribe=One-Click');
      expect(done.status).toBe(200);
      expect(done.text).toContain('You are unsubscribed');
      expect(await consentOf(s.patientId, 'email')).toMatchObject({ allowed: false, source: 'email_unsubscribe' });
      expect((await request(app).post(path).type('form').send({})).status).toBe(200); // again: the same page, nothing new
      const audit = (await auditOf(s.patientId)).filter((a) => a.action.startsWith('consent.'));
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: 'consent.withdrawn', after: { channel: 'email', allowed: false, source: 'email_unsubscribe' } });

      // The next email is suppressed, never handed over; mail is not affected.
      const handed = sentEmails.length;
      const notifier = createChannelNotifier(stack.db, {});
      await notifier.send({
        channel: 'email', kind: 'reminder', sequence: 1, practiceId: s.practiceId, patientId: s.patientId, statementId: statement.statementId,
        recipient: address, subject: 'Reminder', body: 'A reminder', businessKey: `statement:${statement.statementId}:reminder:1:email`,
      });
      expect(await stack.db('notification_outbox').where({ business_key: `statement:${statement.statementId}:reminder:1:email` }).first()).toMatchObject({ state: 'suppressed' });
      expect(sentEmails.length).toBe(handed);
    });

    it('a token signed for another purpose or with another secret is refused', async () => {
      const s = await seed();
      const payLink = signPayLink({ l: s.patientId, exp: Math.floor(Date.now() / 1000) + 3600 }, TEST_PAY_LINKS.secret);
      expect((await request(app).get(unsubscribePath(payLink))).status).toBe(404);
      expect((await request(app).get(unsubscribePath(signUnsubscribeToken(s.patientId, 'another-secret-of-16+')))).status).toBe(404);
      expect((await request(app).get(unsubscribePath(signUnsubscribeToken(s.patientId, TEST_PAY_LINKS.secret)))).status).toBe(200);
    });
  });
});
