/**
 * Postal mail (issue 17) on the stand-in's print-and-mail service (ehr/standin/print-mail.ts), real PostgreSQL and a
 * real Temporal server, with the worker's own notifier (worker/notifier.ts from a parsed configuration: PRINT_MAIL_URL,
 * SMTP_URL): a statement for a patient with neither email nor phone is mailed (the service got the statement PDF and
 * the mailing address of record, under an idempotency key); the service down (503) is retried and mails once; a 4xx is
 * rejected for good; an email the SMTP server refuses (550) falls back to postal mail once, however often the failure
 * is reported; the outbox (GET /v1/notifications) shows each message's delivery state.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { NativeConnection, type Worker } from '@temporalio/worker';
import request from 'supertest';
import { SMTPServer } from 'smtp-server';
import { fallBackOnce, reportDeliveryFailure } from '../../app/notification-fallback';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { parseEnv, serviceEnvSchema } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createPrintMailNotifier } from '../../mail/print-mail-notifier';
import { createWorker } from '../../worker/create-worker';
import { notifierFromConfig } from '../../worker/notifier';
import { TEST_DATA_CONVERTER } from '../support/codec';
import { eventually } from '../support/fixtures';
import { useTestStack } from '../support/harness';
import { sharedStack } from '../support/shared-stack';
import { generateStatement, outbox, seedStatementScenario, startPortalApp, type StatementScenario } from '../support/statement-driver';

const PRINT_MAIL_TOKEN = 'dev-print-mail-token-not-for-production'; // the stand-in's default

describe('postal mail', () => {
  const stack = useTestStack({ worker: false });

  // Nested, so this block's afterAll (worker, servers) runs before the stack's (the database).
  describe('with the worker\'s own notifier', () => {
    // An SMTP server that takes every message except to bounce-*@ addresses (550, unknown mailbox).
    let smtp: SMTPServer | undefined;
    let smtpPort = 0;
    const accepted: string[] = [];
    let portal: Awaited<ReturnType<typeof startPortalApp>>;
    let connection: NativeConnection | undefined;
    let worker: Worker | undefined;
    let running: Promise<void> | undefined;

    beforeAll(async () => {
      smtp = new SMTPServer({
        authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
        onRcptTo(address, _session, callback) {
          if (address.address.startsWith('bounce-')) return callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
          accepted.push(address.address);
          return callback();
        },
        onData(stream, _session, callback) {
          stream.on('end', () => callback());
          stream.resume();
        },
      });
      await new Promise<void>((r) => smtp!.listen(0, '127.0.0.1', () => r()));
      smtpPort = ((smtp as unknown as { server: { address(): AddressInfo } }).server.address()).port;
      portal = await startPortalApp(stack, { reminderIntervalMs: 60 * 60_000 });

      const config = parseEnv(serviceEnvSchema, {
        DATABASE_URL: stack.dbUrl, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, MAIL_FROM: 'billing@payflow.local', PUBLIC_BASE_URL: portal.url,
        PRINT_MAIL_URL: `${stack.standin.url}/print-mail`, PRINT_MAIL_TOKEN,
      });
      connection = await NativeConnection.connect({ address: sharedStack().temporalAddress });
      worker = await createWorker({
        connection, db: stack.db, ehr: createHttpEhrAdapter({ baseUrl: stack.standin.url }), namespace: 'default', taskQueue: stack.taskQueue,
        workflowBundlePath: sharedStack().workflowBundlePath, shutdownGraceSeconds: 5, dataConverter: TEST_DATA_CONVERTER,
        notifier: notifierFromConfig(stack.db, config, createLogger('silent', 'payflow-test')), publicBaseUrl: portal.url,
      });
      running = worker.run();
    });
    afterAll(async () => {
      worker?.shutdown();
      await running;
      await connection?.close();
      await portal?.close();
      await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    });

    const withAddress = async (s: StatementScenario, extra: Record<string, unknown> = {}) => {
      await stack.db('patients').where({ id: s.patientId }).update({
        mailing_line1: '1 Harbor Way', mailing_line2: 'Apt 4', mailing_city: 'Oakland', mailing_state: 'CA', mailing_postal_code: '94607', ...extra,
      });
    };
    const seed = (opts: Partial<Parameters<typeof seedStatementScenario>[1]> = {}) => seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay`, ...opts });
    const lettersFor = (name: string) => stack.standin.printMail.letters().filter((l) => l.to.name === name);
    const rowsOf = (statementId: string) => stack.db('notification_outbox').where({ statement_id: statementId }).orderBy('created_at');

    it('mails the statement of a patient with no email and no phone: the service gets the PDF and the address of record, once', async () => {
      const s = await seed({ firstName: `Mo${randomUUID().slice(0, 6)}` });
      const name = `${(await stack.db('patients').where({ id: s.patientId }).first()).first_name} Testington`;
      await withAddress(s);
      const before = stack.standin.printMail.requests();
      stack.standin.printMail.failNext(503, 2); // the service down for two tries: retried with backoff
      const statement = await generateStatement(portal.app, s);

      const letter = await eventually(() => Promise.resolve(lettersFor(name)[0]), 60_000, 'the letter at the print-and-mail service');
      expect(letter.kind).toBe('statement');
      expect(letter.to).toEqual({ name, line1: '1 Harbor Way', line2: 'Apt 4', city: 'Oakland', state: 'CA', postalCode: '94607' });
      expect(letter.from).toEqual({ name: 'Harbor Family Clinic' });
      expect(letter.pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(letter.pdf.length).toBeGreaterThan(1500);
      expect(letter.idempotencyKey).toMatch(/^[0-9a-f]{64}$/);
      expect(stack.standin.printMail.requests() - before).toBeGreaterThanOrEqual(3);

      const row = await eventually(async () => {
        const r = (await rowsOf(statement.statementId)).find((x) => x.channel === 'mail');
        return r?.state === 'sent' ? r : undefined;
      }, 30_000, 'the letter marked sent');
      expect(row).toMatchObject({ state: 'sent', provider_ref: letter.letterId, last_error: null, business_key: `statement:${statement.statementId}:statement:0:mail` });
      expect(row.attempts).toBeGreaterThanOrEqual(3);
      expect(row.recipient).toBe(`${name}\n1 Harbor Way\nApt 4\nOakland, CA 94607`);
      expect(lettersFor(name)).toHaveLength(1);

      // The stand-in's page lists it and serves the PDF.
      const page = await fetch(`${stack.standin.url}/print-mail`).then((r) => r.text());
      expect(page).toContain(letter.letterId);
      const pdf = await fetch(`${stack.standin.url}/print-mail/letters/${letter.letterId}.pdf`);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');

      // Sent again with the same business key (a retried activity): nothing new at the service.
      const again = createPrintMailNotifier({ db: stack.db, url: `${stack.standin.url}/print-mail`, token: PRINT_MAIL_TOKEN, publicBaseUrl: portal.url });
      await again.send({
        channel: 'mail', kind: 'statement', sequence: 0, practiceId: s.practiceId, patientId: s.patientId, statementId: statement.statementId,
        recipient: 'x', subject: null, body: 'x', businessKey: row.business_key,
      });
      expect(lettersFor(name)).toHaveLength(1);
    });

    it('a letter the service refuses (4xx) is rejected for good; no address of record: rejected without a try', async () => {
      const s = await seed();
      await withAddress(s);
      stack.standin.printMail.failNext(422);
      const statement = await generateStatement(portal.app, s);
      const row = await eventually(async () => (await rowsOf(statement.statementId)).find((x) => x.channel === 'mail' && x.state === 'rejected'), 60_000, 'the rejected letter');
      expect(row).toMatchObject({ last_error: 'HTTP_422', attempts: 1 });

      const none = await seed();
      const requests = stack.standin.printMail.requests();
      const st2 = await generateStatement(portal.app, none);
      const row2 = await eventually(async () => (await rowsOf(st2.statementId)).find((x) => x.channel === 'mail' && x.state === 'rejected'), 60_000, 'the unaddressed letter');
      expect(row2).toMatchObject({ last_error: 'NO_MAILING_ADDRESS', attempts: 0 });
      expect(stack.standin.printMail.requests()).toBe(requests);
    });

    it('an email refused by the SMTP server (550) falls back to postal mail once; the outbox shows both delivery states', async () => {
      const tag = randomUUID().slice(0, 6);
      const s = await seed({ email: `bounce-${tag}@example.test`, firstName: `Bo${tag}` });
      await withAddress(s, { preferred_channel: 'email' }); // email only: paper only if it fails
      const name = `Bo${tag} Testington`;
      stack.standin.printMail.failNext(503); // the letter's first try fails: the activity is retried, and the letter goes once
      const statement = await generateStatement(portal.app, s);

      const letter = await eventually(() => Promise.resolve(lettersFor(name)[0]), 60_000, 'the fallback letter');
      expect(letter.kind).toBe('statement');
      const rows = await eventually(async () => {
        const r = await rowsOf(statement.statementId);
        // The letter's first hand-over fails (503 above): wait for its retry to be recorded, not the failure before it.
        return r.length === 2 && r.every((x) => x.state !== 'pending' && x.state !== 'failed') ? r : undefined;
      }, 30_000, 'the email and its fallback');
      const email = rows.find((r) => r.channel === 'email')!;
      const mail = rows.find((r) => r.channel === 'mail')!;
      expect(email).toMatchObject({ state: 'rejected', last_error: 'EENVELOPE_550', attempts: 1 });
      expect(mail).toMatchObject({ state: 'sent', fallback_of: email.id, business_key: `${email.business_key}:fallback:mail`, provider_ref: letter.letterId, attempts: 2 });

      // The failure reported again (a retry, a late bounce, two at once): still one letter.
      const options = { publicBaseUrl: portal.url, send: createPrintMailNotifier({ db: stack.db, url: `${stack.standin.url}/print-mail`, token: PRINT_MAIL_TOKEN, publicBaseUrl: portal.url }).send };
      const outcomes = await Promise.all([fallBackOnce(stack.db, email.id, options), reportDeliveryFailure(stack.db, email.id, 'BOUNCED', options), fallBackOnce(stack.db, email.id, options)]);
      expect(outcomes.map((o) => o?.fallbackId)).toEqual([mail.id, mail.id, mail.id]);
      expect(outcomes.every((o) => o?.created === false)).toBe(true);
      expect(await fallBackOnce(stack.db, mail.id, options)).toBeUndefined(); // a letter does not fall back
      expect(lettersFor(name)).toHaveLength(1);
      expect(await stack.db('notification_outbox').where({ fallback_of: email.id })).toHaveLength(1);

      // Staff see it: GET /v1/notifications with each message's delivery state.
      const listed = await outbox(portal.app, s, statement.statementId);
      expect(listed.find((n) => n.channel === 'email').delivery).toMatchObject({ state: 'rejected', attempts: 1, lastError: 'EENVELOPE_550', sentAt: null, fallbackOf: null, fallbackId: mail.id });
      expect(listed.find((n) => n.channel === 'mail').delivery).toMatchObject({ state: 'sent', lastError: null, sentAt: expect.any(String), fallbackOf: email.id, fallbackId: null });
      const frontDesk = await request(portal.app).get(`/v1/notifications?statementId=${statement.statementId}`).set(s.auth('frontDesk'));
      expect(frontDesk.status).toBe(403); // billing only (PHI)

      // The staff statement page shows the same, per message.
      const signIn = await request(portal.app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1')
        .send({ token: s.tokens.billing }).expect(303);
      const cookie = ([] as string[]).concat(signIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
      const page = await request(portal.app).get(`/staff/statements/${statement.statementId}`).set('Cookie', cookie).expect(200);
      expect(page.text).toContain(`id="message-${email.id}"`);
      expect(page.text).toContain('Rejected');
      expect(page.text).toContain('EENVELOPE_550');
      expect(page.text).toContain('replaced by postal mail');
      expect(page.text).toContain('replaces a failed message');
      expect(page.text).toContain('Postal mail');
    });

    it('a statement email that is delivered has no fallback; without a preference the statement is mailed anyway, once', async () => {
      const tag = randomUUID().slice(0, 6);
      const s = await seed({ email: `ok-${tag}@example.test`, firstName: `Ok${tag}` });
      await withAddress(s);
      const statement = await generateStatement(portal.app, s);
      await eventually(() => Promise.resolve(lettersFor(`Ok${tag} Testington`)[0]), 60_000, 'the letter');
      const rows = await eventually(async () => {
        const r = await rowsOf(statement.statementId);
        return r.length === 2 && r.every((x) => x.state === 'sent') ? r : undefined;
      }, 30_000, 'email and letter sent');
      expect(rows.map((r) => r.channel).sort()).toEqual(['email', 'mail']);
      expect(accepted).toContain(`ok-${tag}@example.test`);
      expect(rows.every((r) => r.fallback_of === null)).toBe(true);
    });
  });
});
