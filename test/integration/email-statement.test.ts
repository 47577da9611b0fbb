/**
 * Statements by email (issue 17, first part), on a real SMTP server (mail/local-smtp.ts, in this process), real
 * PostgreSQL and a real Temporal server: a statement run sends an email that arrives with the statement PDF and a pay
 * link; the link works (date of birth only, 3 uses, expiry, tampered → 404, the portal's lock-out) and, followed in a
 * real browser, pays the statement; an SMTP server down during a batch loses and doubles nothing (messages counted by
 * Message-ID), and the run shows the retries; a retried send never sends twice.
 */
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { upsertClaim, upsertPatient, upsertVisit } from '../../db/queries/reference-data';
import type { ReceivedMessage } from '../../mail/local-smtp';
import { payLinkFor, signPayLink, verifyPayLink } from '../../mail/pay-link';
import type { Payload } from '@temporalio/common';
import { launchBrowser } from '../support/browser';
import { TEST_CODEC } from '../support/codec';
import { emailNotifier, TEST_PAY_LINKS, useEmailWorker, useLocalSmtp } from '../support/email';
import { eventually } from '../support/fixtures';
import { useTestStack } from '../support/harness';
import { generateStatement, PortalClient, seedStatementScenario, startPortalApp, statementWhen, type StatementScenario } from '../support/statement-driver';

const messageIdOf = (businessKey: string) => `<${createHash('sha256').update(businessKey).digest('hex')}@payflow.local>`;
const linkIn = (text: string) => /(http:\/\/\S+\/portal\/link\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(text)?.[1];
const pathOf = (url: string) => new URL(url).pathname;

describe('statements by email', () => {
  const stack = useTestStack({ worker: false });

  describe('with a local SMTP server', () => {
    const mail = useLocalSmtp();
    let portal: Awaited<ReturnType<typeof startPortalApp>>;
    beforeAll(async () => {
      // Behind one trusted proxy hop: each test's client gets its own address (X-Forwarded-For), as in production.
      portal = await startPortalApp(stack, { trustedProxyHops: 1, reminderIntervalMs: 60 * 60_000 });
    });
    afterAll(() => portal?.close());
    useEmailWorker(stack, () => mail.smtp, () => portal.url);

    let n = 0;
    const seed = (opts: Partial<Parameters<typeof seedStatementScenario>[1]> = {}) =>
      seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay`, email: `patient-${Date.now()}-${++n}@example.test`, ...opts });
    const emailOf = async (s: StatementScenario) => (await stack.db('patients').where({ id: s.patientId }).first()).email as string;
    const statementEmail = async (s: StatementScenario): Promise<ReceivedMessage> => {
      const to = await emailOf(s);
      return mail.smtp.waitFor((m) => m.envelope.to.includes(to), 60_000);
    };
    let address = 0;
    const client = () => new PortalClient(portal.url, { 'X-Forwarded-For': `198.51.100.${(++address % 250) + 1}` });

    /** `count` more patients of the scenario's practice, each owing $25.00 on one claim; their email addresses. */
    const morePatients = async (a: StatementScenario, count: number): Promise<string[]> => {
      const emails: string[] = [];
      for (let i = 1; i <= count; i++) {
        const tag = `${a.patientId.slice(0, 8)}-${i}`;
        const email = `batch-${tag}@example.test`;
        emails.push(email);
        const practice = a.practiceExternalId;
        await upsertPatient(stack.db, { practiceExternalId: practice, externalId: `pt-${tag}`, version: 1, firstName: 'Bo', lastName: 'Batch', dateOfBirth: '1970-01-01', email, phone: null });
        await upsertVisit(stack.db, { practiceExternalId: practice, patientExternalId: `pt-${tag}`, externalId: `v-${tag}`, version: 1, dateOfService: '2026-10-10' });
        await upsertClaim(stack.db, {
          practiceExternalId: practice, visitExternalId: `v-${tag}`, externalId: `c-${tag}`, version: 1, responsibility: 'patient', payerStatus: 'adjudicated',
          patientResponsibilityCents: 2500, lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 10000, adjustmentCents: 0, patientResponsibilityCents: 2500 }],
        });
      }
      return emails;
    };
    /** Every email of these addresses received, counted by Message-ID. */
    const countsByMessageId = (emails: string[]) => {
      const byId = new Map<string, number>();
      for (const m of mail.smtp.messages().filter((x) => emails.some((e) => x.envelope.to.includes(e)))) byId.set(m.messageId!, (byId.get(m.messageId!) ?? 0) + 1);
      return byId;
    };

    it('sends the statement: HTML and text with the summary and a pay link, the PDF attached, a Message-ID from the business key', async () => {
      const s = await seed();
      const statement = await generateStatement(portal.app, s);
      const m = await statementEmail(s);

      expect(m.subject).toBe('Your statement from Harbor Family Clinic');
      expect(m.from).toContain('billing@payflow.local');
      expect(m.messageId).toBe(messageIdOf(`statement:${statement.statementId}:statement:0:email`));
      expect(m.messageId).not.toContain(s.accountId);
      expect(m.text).toContain('Dear Ada,');
      expect(m.text).toContain('Amount due: $170.50');
      expect(m.text).toContain('Services: 3');
      const link = linkIn(m.text)!;
      expect(link).toMatch(new RegExp(`^${portal.url}/portal/link/`));
      expect(m.html).toContain(`href="${link}"`);
      expect(m.html).toContain('Pay $170.50 online');
      expect(m.attachments).toHaveLength(1);
      expect(m.attachments[0]).toMatchObject({ filename: expect.stringMatching(/^statement-\d{4}-\d{2}-\d{2}\.pdf$/), contentType: 'application/pdf' });
      expect(m.attachments[0]!.content.subarray(0, 5).toString()).toBe('%PDF-');
      expect(m.attachments[0]!.size).toBeGreaterThan(1500);

      // The outbox row was written first and says it was delivered, once (marked just after the server took it).
      const row = await eventually(async () => {
        const r = await stack.db('notification_outbox').where({ statement_id: statement.statementId, channel: 'email' }).first();
        return r?.state === 'pending' ? undefined : r;
      }, 30_000, 'the email row marked');
      expect(row).toMatchObject({ state: 'sent', attempts: 1, last_error: null, message_id: m.messageId, attachment_name: m.attachments[0]!.filename });
      // The statement's mailed copy stays in the outbox (no provider for paper yet).
      const mailed = await stack.db('notification_outbox').where({ statement_id: statement.statementId, channel: 'mail' }).first();
      expect(mailed).toMatchObject({ state: 'sent', attempts: 0 });
      await statementWhen(portal.app, s, statement.statementId, (b) => b.sentAt !== null, 'sent');

      // The web inbox lists it, shows it and serves the PDF.
      const list = await fetch(mail.smtp.inboxUrl).then((r) => r.text());
      expect(list).toContain('Your statement from Harbor Family Clinic');
      const one = await fetch(new URL(`/messages/${m.id}`, mail.smtp.inboxUrl)).then((r) => r.text());
      expect(one).toContain(m.attachments[0]!.filename);
      const pdf = await fetch(new URL(`/messages/${m.id}/attachments/0`, mail.smtp.inboxUrl));
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    });

    it('the pay link asks only the date of birth, works 3 times, then 410; a tampered link 404; an expired one 410', async () => {
      const s = await seed();
      await generateStatement(portal.app, s);
      const path = pathOf(linkIn((await statementEmail(s)).text)!);

      // The form: no name, no amount, no account id before the date of birth.
      const c = client();
      const form = await c.get(path);
      expect(form.status).toBe(200);
      expect(form.body).toContain('Date of birth');
      expect(form.body).not.toContain('Account ID</label>');
      expect(form.body).not.toContain('Ada');
      expect(form.body).not.toContain('$170.50');
      expect(form.headers.get('cache-control')).toBe('no-store');

      // A wrong date of birth: refused, and it takes no use.
      expect((await c.post(path, { dateOfBirth: '1999-01-01' })).status).toBe(403);
      expect((await c.post(path, { dateOfBirth: 'soon' })).status).toBe(422);

      for (let use = 1; use <= 3; use++) {
        const b = client();
        await b.get(path);
        const signedIn = await b.post(path, { dateOfBirth: s.dateOfBirth });
        expect(signedIn.status).toBe(303);
        expect(signedIn.headers.get('location')).toBe('/portal/statement');
        const page = await b.get('/portal/statement');
        expect(page.status).toBe(200);
        expect(page.body).toContain('Hello, Ada');
        expect(page.body).toContain('$170.50');
      }
      const fourth = client();
      expect((await fourth.get(path)).status).toBe(410);
      const late = client();
      await late.get('/portal'); // a CSRF cookie and token of its own
      expect((await late.post(path, { dateOfBirth: s.dateOfBirth })).status).toBe(410);
      const row = await stack.db('pay_links').where({ id: (verifyPayLink(path.split('/').pop(), [TEST_PAY_LINKS.secret]) as { linkId: string }).linkId }).first();
      expect(row).toMatchObject({ uses: 3, max_uses: 3 });

      // Tampered: another statement's id in the payload, or a changed signature.
      const [body, sig] = path.split('/').pop()!.split('.');
      const forged = Buffer.from(JSON.stringify({ l: '00000000-0000-4000-8000-000000000000', exp: 4102444800 })).toString('base64url');
      expect((await client().get(`/portal/link/${forged}.${sig}`)).status).toBe(404);
      expect((await client().get(`/portal/link/${body}.${sig!.slice(0, -2)}${sig!.endsWith('AA') ? 'BB' : 'AA'}`)).status).toBe(404);
      expect((await client().get('/portal/link/nonsense')).status).toBe(404);

      // Expired: by the token's own time, and by the row's.
      const statementId = (await stack.db('statements').where({ patient_id: s.patientId }).first()).id;
      const fresh = await payLinkFor(stack.db, TEST_PAY_LINKS, { statementId, businessKey: `test:${statementId}:expiry`, publicBaseUrl: portal.url });
      const freshToken = fresh.url.split('/').pop()!;
      const linkId = (verifyPayLink(freshToken, [TEST_PAY_LINKS.secret]) as { linkId: string }).linkId;
      expect((await client().get(`/portal/link/${signPayLink({ l: linkId, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_PAY_LINKS.secret)}`)).status).toBe(410);
      expect((await client().get(pathOf(fresh.url))).status).toBe(200);
      await stack.db('pay_links').where({ id: linkId }).update({ expires_at: stack.db.raw("now() - interval '1 second'") });
      expect((await client().get(pathOf(fresh.url))).status).toBe(410);
    });

    it('counts the uses atomically: of 6 parallel sign-ins through one link, 3 get in', async () => {
      const s = await seed();
      const statementId = (await generateStatement(portal.app, s)).statementId;
      await statementEmail(s);
      const link = await payLinkFor(stack.db, TEST_PAY_LINKS, { statementId, businessKey: `test:${statementId}:parallel`, publicBaseUrl: portal.url });
      const clients = Array.from({ length: 6 }, () => client());
      for (const c of clients) expect((await c.get(pathOf(link.url))).status).toBe(200);
      const answers = await Promise.all(clients.map((c) => c.post(pathOf(link.url), { dateOfBirth: s.dateOfBirth })));
      expect(answers.map((a) => a.status).sort()).toEqual([303, 303, 303, 410, 410, 410]);
      // The sessions of the refused ones were ended: only 3 browsers see the statement.
      const seen = await Promise.all(clients.map(async (c) => (await c.get('/portal/statement')).status));
      expect(seen.filter((st) => st === 200)).toHaveLength(3);
    });

    it('the pay link shares the portal sign-in lock-out: 10 wrong dates of birth lock the account for both', async () => {
      const s = await seed();
      await generateStatement(portal.app, s);
      const path = pathOf(linkIn((await statementEmail(s)).text)!);
      for (let i = 0; i < 10; i++) {
        const c = client();
        await c.get(path);
        expect((await c.post(path, { dateOfBirth: `1950-01-${String(i + 10)}` })).status).toBe(403);
      }
      const c = client();
      await c.get(path);
      expect((await c.post(path, { dateOfBirth: s.dateOfBirth })).status).toBe(403);
      expect((await client().signIn(s.accountId, s.dateOfBirth)).status).toBe(403);
      // No use was taken.
      expect((await stack.db('pay_links').where({ statement_id: (await stack.db('statements').where({ patient_id: s.patientId }).first()).id }).first()).uses).toBe(0);
    });

    describe('in a real browser', () => {
      let browser: Browser;
      let closeBrowser: () => Promise<void>;
      beforeAll(async () => {
        ({ browser, close: closeBrowser } = await launchBrowser());
      });
      afterAll(() => closeBrowser?.());

      it('follows the pay link from the email, confirms the date of birth and pays the statement', async () => {
        const s = await seed();
        const statement = await generateStatement(portal.app, s);
        const link = linkIn((await statementEmail(s)).text)!;
        const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
        const page = await context.newPage();
        try {
          await page.goto(link);
          expect(await page.title()).toContain('Confirm the date of birth');
          await page.getByLabel('Date of birth').fill(s.dateOfBirth);
          await Promise.all([page.waitForURL('**/portal/statement'), page.getByRole('button', { name: 'Continue' }).click()]);
          await page.getByRole('heading', { name: 'Hello, Ada' }).waitFor();
          expect(await page.getByLabel('Amount to pay').inputValue()).toBe('170.50');
          await Promise.all([page.waitForURL(`${stack.standin.url}/hosted-pay?**`), page.getByRole('button', { name: 'Continue to payment' }).click()]);
          await Promise.all([page.waitForURL(`${portal.url}/portal/receipt?**`), page.getByRole('button', { name: 'Pay $170.50' }).click()]);
          await page.getByRole('heading', { name: 'Thank you: payment received' }).waitFor({ timeout: 30_000 });
        } finally {
          await context.close();
        }
        const paid = await statementWhen(portal.app, s, statement.statementId, (b) => b.status === 'paid', 'paid', 60_000);
        expect(paid).toMatchObject({ dueCents: 0, paidCents: 17050 });
      });
    });

    it('an SMTP server down during a batch: the runs retry with backoff (shown in the run), nothing is lost or sent twice', async () => {
      const a = await seed();
      const emails = [await emailOf(a), ...(await morePatients(a, 2))];

      // The server goes down before the batch; it comes back (in any case) once the retries are seen.
      await mail.smtp.stopSmtp();
      let statements: any[];
      try {
        const batch = await request(portal.app).post('/v1/statement-batches').set(a.auth('billing')).send({});
        expect([200, 202]).toContain(batch.status);
        statements = await eventually(async () => {
          const rows = await stack.db('statements').where({ practice_id: a.practiceId });
          return rows.length === 3 ? rows : undefined;
        }, 60_000, 'three statements');

        // Each email row is written first, then fails and is retried; the run's pending activity says why.
        await eventually(async () => {
          const rows = await stack.db('notification_outbox').where({ practice_id: a.practiceId, channel: 'email' });
          return rows.length === 3 && rows.every((r: any) => r.state === 'failed' && r.attempts >= 2) ? rows : undefined;
        }, 120_000, 'three failed attempts twice each');
        const described = await stack.client.workflow.getHandle(statements[0].workflow_id).describe();
        const pending = described.raw.pendingActivities?.[0];
        expect(pending?.activityType?.name).toBe('sendStatementNotices');
        expect(Number(pending?.attempt)).toBeGreaterThanOrEqual(2);
        // Failure messages are encrypted in the history (the failure converter): the UI shows them through the codec endpoint.
        expect(pending?.lastFailure?.message).toBe('Encoded failure');
        const [decoded] = await TEST_CODEC.decode([pending!.lastFailure!.encodedAttributes as Payload]);
        expect(JSON.parse(Buffer.from(decoded!.data!).toString()).message).toMatch(/^Email not sent yet: the email server cannot be reached \((ESOCKET|ECONNECTION)\); it will be retried$/);
        expect(pending?.lastFailure?.applicationFailureInfo?.type).toBe('EmailDeliveryFailed');
        expect(mail.smtp.messages().filter((m) => emails.some((e) => m.envelope.to.includes(e)))).toHaveLength(0);
      } finally {
        await mail.smtp.startSmtp();
      }

      for (const s of statements) await statementWhen(portal.app, a, s.id, (b) => b.sentAt !== null, 'sent after the outage', 120_000);
      const rows = await stack.db('notification_outbox').where({ practice_id: a.practiceId, channel: 'email' });
      expect(rows.map((r: any) => r.state)).toEqual(['sent', 'sent', 'sent']);
      await new Promise((r) => setTimeout(r, 500)); // a late duplicate would be here by now
      const byId = countsByMessageId(emails);
      expect([...byId.values()]).toEqual([1, 1, 1]);
      expect([...byId.keys()].sort()).toEqual(statements.map((s: any) => messageIdOf(`statement:${s.id}:statement:0:email`)).sort());
    }, 300_000);

    it('an SMTP server that stops in the middle of a batch and comes back: every email arrives once', async () => {
      const a = await seed();
      const emails = [await emailOf(a), ...(await morePatients(a, 3))];
      // The server stops right after it accepted the batch's first email; the others are being sent or about to be.
      const stopped = mail.smtp.waitFor((m) => emails.some((e) => m.envelope.to.includes(e)), 120_000).then(() => mail.smtp.stopSmtp());
      try {
        const batch = await request(portal.app).post('/v1/statement-batches').set(a.auth('billing')).send({});
        expect([200, 202]).toContain(batch.status);
        await stopped;
        // Down for a while: whatever was not delivered yet fails and waits for its retry.
        await eventually(async () => {
          const rows = await stack.db('notification_outbox').where({ practice_id: a.practiceId, channel: 'email' });
          return rows.length === 4 && rows.every((r: any) => r.state !== 'pending') ? rows : undefined;
        }, 120_000, 'every email tried once');
      } finally {
        await mail.smtp.startSmtp();
      }
      const statements = await stack.db('statements').where({ practice_id: a.practiceId });
      expect(statements).toHaveLength(4);
      for (const s of statements) await statementWhen(portal.app, a, s.id, (b) => b.sentAt !== null, 'sent after the outage', 120_000);
      const rows = await stack.db('notification_outbox').where({ practice_id: a.practiceId, channel: 'email' });
      expect(rows.map((r: any) => r.state)).toEqual(['sent', 'sent', 'sent', 'sent']);
      await new Promise((r) => setTimeout(r, 500));
      const byId = countsByMessageId(emails);
      expect([...byId.keys()].sort()).toEqual(statements.map((s: any) => messageIdOf(`statement:${s.id}:statement:0:email`)).sort());
      expect([...byId.values()]).toEqual([1, 1, 1, 1]);
    }, 300_000);

    it('a retried send (the same business key, even at the same moment) hands the email over once', async () => {
      const s = await seed();
      const statementId = (await generateStatement(portal.app, s)).statementId;
      await statementEmail(s);
      const notifier = emailNotifier(stack, mail.smtp.smtpUrl, portal.url);
      const to = await emailOf(s);
      const message = {
        channel: 'email' as const, kind: 'reminder' as const, sequence: 1, practiceId: s.practiceId, patientId: s.patientId, statementId,
        recipient: to, subject: 'x', body: 'x', businessKey: `statement:${statementId}:reminder:1:email`, publicBaseUrl: portal.url,
      };
      const [first, second] = await Promise.all([notifier.send(message), notifier.send(message)]);
      const third = await notifier.send(message);
      expect(new Set([first.messageId, second.messageId, third.messageId]).size).toBe(1);
      await mail.smtp.waitFor((m) => m.messageId === messageIdOf(message.businessKey));
      await new Promise((r) => setTimeout(r, 500));
      const reminders = mail.smtp.messages().filter((m) => m.messageId === messageIdOf(message.businessKey));
      expect(reminders).toHaveLength(1);
      expect(reminders[0]!.subject).toBe('Reminder: your statement from Harbor Family Clinic');
      expect(await stack.db('notification_outbox').where({ business_key: message.businessKey }).first()).toMatchObject({ state: 'sent', attempts: 1 });
      // One pay link per message, and the reminder's is its own.
      expect(await stack.db('pay_links').where({ statement_id: statementId })).toHaveLength(2);
    });
  });
});
