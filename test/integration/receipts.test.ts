/**
 * Payment receipts (issue 17), on a real SMTP server (mail/local-smtp.ts, in this process), real PostgreSQL and a real
 * Temporal server: after a captured payment on each path (a superbill copay, a patient-page balance, a statement paid
 * in the portal) the patient gets one receipt email, HTML and text, with the practice, the amount, the date on the
 * practice's calendar and where the money went; one only under a duplicate capture and under retries (the SMTP server
 * down while the receipt is due). Receipts are counted by Message-ID (derived from `payment:<id>:receipt:email`).
 */
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ReceivedMessage } from '../../mail/local-smtp';
import { useEmailWorker, useLocalSmtp } from '../support/email';
import { eventually, seedScenario, type Scenario } from '../support/fixtures';
import { useTestStack } from '../support/harness';
import { capture, collectionWhen, startCopay } from '../support/copay-driver';
import { addClaim, startBalance } from '../support/balance-driver';
import { generateStatement, payThroughPortal, seedStatementScenario, startPortalApp, statementWhen } from '../support/statement-driver';

const messageIdOf = (businessKey: string) => `<${createHash('sha256').update(businessKey).digest('hex')}@payflow.local>`;

describe('payment receipts', () => {
  const stack = useTestStack({ worker: false });

  describe('by email', () => {
    const mail = useLocalSmtp();
    let portal: Awaited<ReturnType<typeof startPortalApp>>;
    beforeAll(async () => {
      portal = await startPortalApp(stack, { reminderIntervalMs: 60 * 60_000 });
    });
    afterAll(() => portal?.close());
    useEmailWorker(stack, () => mail.smtp, () => portal.url);

    const withEmail = async (s: Scenario, email = `receipt-${randomUUID().slice(0, 8)}@example.test`) => {
      await stack.db('patients').where({ id: s.patientId }).update({ email });
      return email;
    };
    const receiptsTo = (email: string) => mail.smtp.messages().filter((m) => m.envelope.to.includes(email) && m.subject.startsWith('Your payment receipt'));
    const receiptRows = (paymentId: string) => stack.db('notification_outbox').where({ payment_id: paymentId, kind: 'receipt' });
    const paymentOf = async (collectionId: string) => eventually(async () => (await stack.db('payments').where({ collection_id: collectionId }).first())?.id as string | undefined, 30_000, 'the payment');

    it('copay: one receipt after the capture, the copay held for its visit; a duplicate capture and an SMTP outage send no second one', async () => {
      const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
      const email = await withEmail(s);
      const started = await startCopay(stack, s, 2500);
      // The SMTP server is down when the receipt is due: the activity is retried until it is back.
      await mail.smtp.stopSmtp();
      const first = await capture(stack, started.paymentRequest.requestId, '2026-11-21T03:30:00Z'); // 19:30 on Nov 20 in Los Angeles
      const paymentId = await paymentOf(started.collectionId);
      await eventually(async () => {
        const row = await receiptRows(paymentId).first();
        return row?.state === 'failed' && row.attempts >= 1 ? row : undefined;
      }, 30_000, 'a failed hand-over of the receipt');
      await mail.smtp.startSmtp();

      const m: ReceivedMessage = await mail.smtp.waitFor((x) => x.envelope.to.includes(email), 90_000);
      expect(m.subject).toBe('Your payment receipt from Test Practice');
      expect(m.messageId).toBe(messageIdOf(`payment:${paymentId}:receipt:email`));
      expect(m.text).toContain('Dear Casey,');
      expect(m.text).toContain('Amount received: $25.00');
      expect(m.text).toContain('Date of payment: November 20, 2026'); // the practice's calendar, not UTC's Nov 21
      expect(m.text).toContain('Held for your visit on November 20, 2026: $25.00');
      expect(m.html).toContain('Amount received');
      expect(m.html).toContain('$25.00');
      // No more PHI than needed: no procedure, no account id, no date of birth.
      expect(m.text).not.toMatch(/99213|1980|account ID/i);

      // A duplicate capture (the same processor payment, a new event) is accepted and changes nothing.
      await capture(stack, started.paymentRequest.requestId, '2026-11-21T03:30:00Z', { externalPaymentId: first.externalPaymentId });
      await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer', 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiptsTo(email)).toHaveLength(1);
      const rows = await receiptRows(paymentId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ channel: 'email', state: 'sent', business_key: `payment:${paymentId}:receipt:email`, statement_id: null });
      expect(rows[0].attempts).toBeGreaterThanOrEqual(2);
    });

    it('balance: one receipt after the payment is applied, naming how many services it paid and the credit held', async () => {
      const s = await seedScenario(stack.db);
      const email = await withEmail(s);
      await addClaim(stack.db, s, { dateOfService: '2026-09-10', patientResponsibilityCents: 4000 });
      await addClaim(stack.db, s, { dateOfService: '2026-10-15', patientResponsibilityCents: 6000 });
      const started = await startBalance(stack, s, { amountCents: 10000 });
      await capture(stack, started.paymentRequest.requestId, '2026-11-25T18:00:00Z', { amountCents: 12000 });
      const m = await mail.smtp.waitFor((x) => x.envelope.to.includes(email), 60_000);
      expect(m.subject).toBe('Your payment receipt from Test Practice');
      expect(m.text).toContain('Amount received: $120.00');
      expect(m.text).toContain('Date of payment: November 25, 2026');
      expect(m.text).toContain('Applied to your balance (2 services): $100.00');
      expect(m.text).toContain('Held as a credit on your account: $20.00');
      await collectionWhen(stack, s, started.collectionId, 'needs_attention', 30_000);
      expect(receiptsTo(email)).toHaveLength(1);
    });

    it('statement: one receipt after a portal payment; the staff outbox lists it with its delivery state', async () => {
      const email = `stmt-${randomUUID().slice(0, 8)}@example.test`;
      const s = await seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay`, email });
      const statement = await generateStatement(portal.app, s);
      await mail.smtp.waitFor((x) => x.envelope.to.includes(email) && x.subject.startsWith('Your statement'), 60_000);
      await payThroughPortal(portal.url, s, '20.00');
      const m = await mail.smtp.waitFor((x) => x.envelope.to.includes(email) && x.subject.startsWith('Your payment receipt'), 60_000);
      expect(m.subject).toBe('Your payment receipt from Harbor Family Clinic');
      expect(m.text).toContain('Dear Ada,');
      expect(m.text).toContain('Amount received: $20.00');
      expect(m.text).toContain('Applied to your balance (1 service): $20.00');
      expect(m.text).not.toContain(s.accountId);
      await statementWhen(portal.app, s, statement.statementId, (b) => b.paidCents === 2000, 'the payment recorded');
      await new Promise((r) => setTimeout(r, 1000));
      expect(receiptsTo(email)).toHaveLength(1);

      const res = await request(portal.app).get('/v1/notifications').set(s.auth('billing')).expect(200);
      const receipt = res.body.notifications.find((n: { kind: string }) => n.kind === 'receipt');
      expect(receipt).toMatchObject({ channel: 'email', kind: 'receipt', statementId: null, paymentId: expect.any(String) });
      expect(receipt.delivery).toMatchObject({ state: 'sent', attempts: 1, lastError: null, sentAt: expect.any(String), fallbackOf: null, fallbackId: null });
    });

    it('no email on file: a text receipt when a phone is; nothing when neither is; a preferred channel wins', async () => {
      const s = await seedScenario(stack.db);
      await stack.db('patients').where({ id: s.patientId }).update({ phone: '+15555550142' });
      const started = await startCopay(stack, s, 1500);
      await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
      const paymentId = await paymentOf(started.collectionId);
      const text = await eventually(async () => receiptRows(paymentId).first(), 30_000, 'the text receipt');
      expect(text).toMatchObject({ channel: 'text', business_key: `payment:${paymentId}:receipt:text` });
      expect(text.body).toContain('Test Practice: we received your payment of November 20, 2026');
      expect(text.body).not.toContain('$'); // a text is not a private channel: no amount

      const none = await seedScenario(stack.db);
      const started2 = await startCopay(stack, none, 1500);
      await capture(stack, started2.paymentRequest.requestId, '2026-11-20T18:00:00Z');
      const paymentId2 = await paymentOf(started2.collectionId);
      await collectionWhen(stack, none, started2.collectionId, 'awaiting_transfer', 30_000);
      expect(await receiptRows(paymentId2)).toHaveLength(0);
    });
  });
});
