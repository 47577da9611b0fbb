/**
 * Failed deliveries reported after the hand-over (issue 17), on the real stack: real PostgreSQL, a real Temporal server,
 * the SMS provider and print-and-mail stand-ins over HTTP (ehr/standin), and the local SMTP server playing the email
 * provider (mail/local-smtp.ts: a recipient at bounce.invalid is accepted, then reported bounced to POST /webhooks/email).
 * - a text the provider reports failed: the webhook records it, then a DURABLE fallback run
 *   (`notification-fallback-<id>`) mails exactly one letter; a redelivered or repeated failure writes no second one;
 * - Temporal down when the failure arrives: 503 problem+json with Retry-After, nothing lost: the provider's retry
 *   (the same event) gets the stored answer and the fallback starts then;
 * - an email accepted by SMTP, then bounced: recorded rejected (audited), one letter; a complaint withdraws email consent;
 * - a receipt whose preferred channel's consent is withdrawn goes by the next allowed channel (not suppressed).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { startStandin, type RunningStandin } from '../../ehr/standin';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { createWorker } from '../../worker/create-worker';
import { notifierFromConfig } from '../../worker/notifier';
import { parseEnv, serviceEnvSchema } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { signWebhook } from '../../lib/webhook-signature';
import { startLocalSmtp, type LocalSmtp } from '../../mail/local-smtp';
import { setConsent } from '../../db/queries/consents';
import { recordHistory } from '../support/history';
import { notificationFallbackWorkflowId } from '../../workflows/starts/notification-fallback';
import { TEST_DATA_CONVERTER } from '../support/codec';
import { eventually, seedScenario } from '../support/fixtures';
import { TEST_SECRETS, useTestStack } from '../support/harness';
import { sharedStack } from '../support/shared-stack';
import { capture, startCopay } from '../support/copay-driver';
import { generateStatement, seedStatementScenario, type StatementScenario } from '../support/statement-driver';

const SMS_TOKEN = 'test-sms-provider-token';
const SMS_SECRET = 'test-sms-webhook-secret';
const EMAIL_SECRET = 'test-email-webhook-secret';
const PRINT_MAIL_TOKEN = 'dev-print-mail-token-not-for-production';
const FROM = '+15555550123';

/** A time zone whose wall clock now shows `hour` (texts go 08:00-21:00 only). */
function zoneWithLocalHour(hour: number): string {
  const offset = ((hour - new Date().getUTCHours()) % 24 + 24 + 12) % 24 - 12;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
let numbers = 0;
const phone = (ending = '') => {
  const base = `+1628${String(Date.now() % 1_000_000).padStart(6, '0')}${String(++numbers % 10)}`;
  return ending ? base.slice(0, base.length - ending.length) + ending : base;
};

describe('delivery failures fall back to postal mail, durably', () => {
  const stack = useTestStack({ worker: false });

  let server: Server;
  let apiUrl = '';
  let app: Express;
  let standin: RunningStandin;
  let smtp: LocalSmtp;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let connection: NativeConnection | undefined;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app = stack.makeApp({
      webhookSecrets: { ehr: [TEST_SECRETS.ehr], clearinghouse: [TEST_SECRETS.clearinghouse], sms: [SMS_SECRET], email: [EMAIL_SECRET] },
      statements: { publicBaseUrl: apiUrl, reminderIntervalMs: 60 * 60_000 },
    });
    server.on('request', app);
    standin = await startStandin({
      port: 0, webhooks: { ehrUrl: `${apiUrl}/webhooks/ehr`, clearinghouseUrl: `${apiUrl}/webhooks/clearinghouse` }, secrets: TEST_SECRETS,
      sms: { token: SMS_TOKEN, webhookSecret: SMS_SECRET, inboundUrl: `${apiUrl}/webhooks/sms`, defaultNumber: FROM, callbackDelayMs: 20 },
    });
    smtp = await startLocalSmtp({ events: { url: `${apiUrl}/webhooks/email`, secret: EMAIL_SECRET } });
    const config = parseEnv(serviceEnvSchema, {
      DATABASE_URL: stack.dbUrl, PUBLIC_BASE_URL: apiUrl, SMTP_URL: smtp.smtpUrl, MAIL_FROM: 'billing@payflow.local',
      SMS_PROVIDER_URL: `${standin.url}/sms/api`, SMS_PROVIDER_TOKEN: SMS_TOKEN, SMS_FROM: FROM, SMS_STATUS_CALLBACK_URL: `${apiUrl}/webhooks/sms`,
      PRINT_MAIL_URL: `${standin.url}/print-mail`, PRINT_MAIL_TOKEN,
    });
    connection = await NativeConnection.connect({ address: sharedStack().temporalAddress });
    worker = await createWorker({
      connection, db: stack.db, ehr: createHttpEhrAdapter({ baseUrl: stack.standin.url }), namespace: 'default', taskQueue: stack.taskQueue,
      workflowBundlePath: sharedStack().workflowBundlePath, shutdownGraceSeconds: 5, dataConverter: TEST_DATA_CONVERTER,
      notifier: notifierFromConfig(stack.db, config, createLogger('silent', 'payflow-test')), publicBaseUrl: apiUrl,
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await smtp?.close();
    await standin?.close();
    await new Promise<void>((r) => {
      server?.close(() => r());
      server?.closeAllConnections();
    });
  });

  const seed = (o: { phone?: string | null; email?: string | null; preferred?: string | null }) => seedStatementScenario(stack.db, {
    paymentPageUrl: `${standin.url}/hosted-pay`, email: o.email ?? null, phone: o.phone ?? null, timeZone: zoneWithLocalHour(12), firstName: `Fa${randomUUID().slice(0, 6)}`,
  }).then(async (s) => {
    await stack.db('patients').where({ id: s.patientId }).update({
      preferred_channel: o.preferred ?? null, mailing_line1: '1 Harbor Way', mailing_city: 'Oakland', mailing_state: 'CA', mailing_postal_code: '94607',
    });
    return s;
  });
  const nameOf = async (s: StatementScenario) => {
    const p = await stack.db('patients').where({ id: s.patientId }).first();
    return `${p.first_name} ${p.last_name}`;
  };
  const lettersFor = (name: string) => standin.printMail.letters().filter((l) => l.to.name === name);
  const rowOf = (statementId: string, channel: string) => stack.db('notification_outbox').where({ statement_id: statementId, channel }).whereNull('fallback_of').first();
  const fallbackRowsOf = (id: string) => stack.db('notification_outbox').where({ fallback_of: id });
  const signed = (body: unknown, secret: string) => {
    const raw = JSON.stringify(body);
    return { raw, headers: { 'Content-Type': 'application/json', 'Payflow-Signature': signWebhook(raw, secret, Math.floor(Date.now() / 1000)) } };
  };
  const post = async (url: string, body: unknown, secret: string) => {
    const { raw, headers } = signed(body, secret);
    const res = await fetch(url, { method: 'POST', headers, body: raw });
    return { status: res.status, headers: res.headers, body: await res.json() as any };
  };
  const statusEvent = (providerId: string, status = 'failed', eventId = `evt-${randomUUID()}`) => ({
    eventId, type: 'message.status', occurredAt: new Date().toISOString(), data: { messageId: providerId, status, errorCode: '30003' },
  });

  it('a text the provider reports failed: one letter, by a durable run; a redelivered or repeated failure writes no second one', async () => {
    const to = phone('0000'); // the stand-in reports numbers ending in 0000 failed (30003)
    const s = await seed({ phone: to, preferred: 'text' });
    const name = await nameOf(s);
    const statement = await generateStatement(app, s);
    const text = await eventually(async () => {
      const r = await rowOf(statement.statementId, 'text');
      return r?.state === 'undelivered' ? r : undefined;
    }, 60_000, 'the text recorded undelivered');
    const letter = await eventually(() => Promise.resolve(lettersFor(name)[0]), 60_000, 'the fallback letter at the print-and-mail service');
    expect(letter.kind).toBe('statement');
    expect(letter.to).toMatchObject({ line1: '1 Harbor Way', city: 'Oakland', state: 'CA', postalCode: '94607' });

    // The fallback ran in the worker, as its own run.
    const run = await stack.client.workflow.getHandle(notificationFallbackWorkflowId(text.id)).describe();
    expect(run.type).toBe('notificationFallback');
    await stack.client.workflow.getHandle(notificationFallbackWorkflowId(text.id)).result();
    recordHistory(notificationFallbackWorkflowId(text.id), 'notification-fallback');
    const [fallback] = await fallbackRowsOf(text.id);
    expect(fallback).toMatchObject({ channel: 'mail', state: 'sent', business_key: `${text.business_key}:fallback:mail`, provider_ref: letter.letterId });

    // The provider redelivers its callback, then reports the failure again under a new event: nothing new.
    const again = await post(`${apiUrl}/webhooks/sms?ref=${text.id}`, statusEvent(text.message_id, 'undelivered'), SMS_SECRET);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('unchanged');
    const audited = await stack.db('audit_log').where({ entity_id: text.id, action: 'notification.status' });
    expect(audited).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(lettersFor(name)).toHaveLength(1);
    expect(await fallbackRowsOf(text.id)).toHaveLength(1);
  });

  it('Temporal down when the failure arrives: 503 problem+json with Retry-After; the provider\'s retry starts the fallback, one letter', async () => {
    const s = await seed({ email: `fa-${randomUUID().slice(0, 8)}@example.test`, preferred: 'email' });
    const name = await nameOf(s);
    const statement = await generateStatement(app, s);
    const email = await eventually(async () => {
      const r = await rowOf(statement.statementId, 'email');
      return r?.state === 'sent' ? r : undefined;
    }, 60_000, 'the statement email sent');
    // A text of the same statement, as the SMS adapter would have stored it (the provider's id on it).
    const providerId = `SM${randomUUID().replace(/-/g, '')}`;
    const [textRow] = await stack.db('notification_outbox').insert({
      practice_id: s.practiceId, patient_id: s.patientId, statement_id: statement.statementId, channel: 'text', kind: 'statement', sequence: 0,
      recipient: phone(), subject: null, body: 'a test text', business_key: `statement:${statement.statementId}:statement:0:text`,
      state: 'sent', message_id: providerId, attempts: 1, sent_at: stack.db.fn.now(),
    }).returning('id');
    const textId = (textRow as { id: string }).id;

    // An API whose Temporal is unreachable.
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), dataConverter: TEST_DATA_CONVERTER });
    const down = stack.makeApp({
      temporal: dead, temporalRequestTimeoutMs: 2000,
      webhookSecrets: { ehr: [TEST_SECRETS.ehr], clearinghouse: [TEST_SECRETS.clearinghouse], sms: [SMS_SECRET], email: [EMAIL_SECRET] },
    });
    const downServer = down.listen(0, '127.0.0.1');
    await new Promise((r) => downServer.once('listening', r));
    const downUrl = `http://127.0.0.1:${(downServer.address() as AddressInfo).port}`;
    const event = statusEvent(providerId, 'failed');
    try {
      const refused = await post(`${downUrl}/webhooks/sms`, event, SMS_SECRET);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(JSON.stringify(refused.body)).not.toContain(providerId);
    } finally {
      await new Promise<void>((r) => {
        downServer.close(() => r());
        downServer.closeAllConnections();
      });
      await dead.connection.close().catch(() => undefined);
    }
    // The failure itself is recorded; no letter yet.
    expect(await stack.db('notification_outbox').where({ id: textId }).first()).toMatchObject({ state: 'undelivered' });
    expect(lettersFor(name)).toHaveLength(0);

    // The provider retries the same event once Temporal answers: the stored answer, and the fallback starts.
    const retried = await post(`${apiUrl}/webhooks/sms`, event, SMS_SECRET);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'recorded', duplicate: true });
    const letter = await eventually(() => Promise.resolve(lettersFor(name)[0]), 60_000, 'the letter after the retry');
    expect(letter.kind).toBe('statement');
    await stack.client.workflow.getHandle(notificationFallbackWorkflowId(textId)).result();
    expect(lettersFor(name)).toHaveLength(1);
    expect(email.state).toBe('sent'); // the email stands: only the failed text is replaced
  });

  it('an email accepted by SMTP and then bounced: recorded rejected (audited), one letter; a complaint withdraws email consent', async () => {
    const address = `fa-${randomUUID().slice(0, 8)}@bounce.invalid`;
    const s = await seed({ email: address, preferred: 'email' });
    const name = await nameOf(s);
    const statement = await generateStatement(app, s);
    const delivered = await smtp.waitFor((m) => m.envelope.to.includes(address), 60_000);
    expect(delivered.bounce).toBeDefined();
    expect(delivered.attachments.some((a) => a.contentType === 'application/pdf')).toBe(true);
    const email = await eventually(async () => {
      const r = await rowOf(statement.statementId, 'email');
      return r?.state === 'rejected' ? r : undefined;
    }, 60_000, 'the email recorded bounced');
    expect(email).toMatchObject({ last_error: 'BOUNCED_5_1_1', message_id: delivered.messageId });
    const audit = await stack.db('audit_log').where({ entity_id: email.id, action: 'notification.status' }).first();
    expect(audit).toMatchObject({ actor: 'system:email-provider' });
    expect(JSON.stringify(audit.after)).not.toContain('bounce.invalid');

    const letter = await eventually(() => Promise.resolve(lettersFor(name)[0]), 60_000, 'the fallback letter');
    expect(letter.pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await stack.client.workflow.getHandle(notificationFallbackWorkflowId(email.id)).result();
    expect(delivered.bounce?.reported).toBe(true);

    // The same bounce reported again (a new event): unchanged, no second letter.
    const bounceAgain = { eventId: `bounce-${randomUUID()}`, type: 'bounce', occurredAt: new Date().toISOString(), data: { messageId: delivered.messageId, bounceType: 'permanent' } };
    const again = await post(`${apiUrl}/webhooks/email`, bounceAgain, EMAIL_SECRET);
    expect(again).toMatchObject({ status: 200, body: { status: 'unchanged' } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(lettersFor(name)).toHaveLength(1);

    // Signature and validation.
    const unsigned = await fetch(`${apiUrl}/webhooks/email`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(bounceAgain) });
    expect(unsigned.status).toBe(401);
    const bad = await post(`${apiUrl}/webhooks/email`, { ...bounceAgain, eventId: `b-${randomUUID()}`, type: 'opened' }, EMAIL_SECRET);
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(bad.body)).toContain('type');

    // A complaint (marked as spam) withdraws the patient's email consent at once, audited; nothing falls back.
    const complaint = { eventId: `complaint-${randomUUID()}`, type: 'complaint', occurredAt: new Date().toISOString(), data: { messageId: delivered.messageId! } };
    const opted = await post(`${apiUrl}/webhooks/email`, complaint, EMAIL_SECRET);
    expect(opted).toMatchObject({ status: 200, body: { status: 'opted_out' } });
    expect(await stack.db('channel_consents').where({ patient_id: s.patientId, channel: 'email' }).first()).toMatchObject({ allowed: false, source: 'email_unsubscribe' });
    const unknown = await post(`${apiUrl}/webhooks/email`, { ...complaint, eventId: `c-${randomUUID()}`, data: { messageId: '<nobody@payflow.local>' } }, EMAIL_SECRET);
    expect(unknown).toMatchObject({ status: 200, body: { status: 'unknown_message' } });
  });

  it('a receipt whose preferred channel\'s consent is withdrawn goes by the next allowed channel, not suppressed', async () => {
    const s = await seedScenario(stack.db);
    const to = phone();
    await stack.db('patients').where({ id: s.patientId }).update({ email: `rc-${randomUUID().slice(0, 8)}@example.test`, phone: to, preferred_channel: 'email' });
    await setConsent(stack.db, { patientId: s.patientId, channel: 'email', allowed: false, source: 'portal', actor: `patient:${s.patientId}` });
    const started = await startCopay(stack, s, 1500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const paymentId = await eventually(async () => (await stack.db('payments').where({ collection_id: started.collectionId }).first())?.id as string | undefined, 30_000, 'the payment');
    const receipt = await eventually(async () => {
      const r = await stack.db('notification_outbox').where({ payment_id: paymentId, kind: 'receipt' }).first();
      return r && r.state !== 'pending' ? r : undefined;
    }, 60_000, 'the receipt');
    expect(receipt).toMatchObject({ channel: 'text', business_key: `payment:${paymentId}:receipt:text` });
    expect(receipt.state).not.toBe('suppressed');
    expect(await stack.db('notification_outbox').where({ payment_id: paymentId })).toHaveLength(1);
    await eventually(() => Promise.resolve(standin.sms.messages().find((m) => m.direction === 'outbound' && m.to === to)), 30_000, 'the text receipt at the provider');
  }, 150_000);
});
