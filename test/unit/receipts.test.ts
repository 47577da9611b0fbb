/** Receipts, channels and postal mail: the pure parts (domain/receipt-channel.ts, domain/receipts.ts, the adapters' classifiers). */
import { fallbackChannel, receiptChannel, statementChannels, type ReachablePatient } from '../../domain/receipt-channel';
import { longDate, receiptContent, receiptSms, receiptText, type ReceiptModel } from '../../domain/receipts';
import { composeReceiptEmail } from '../../mail/receipt-email';
import { addressLines, classifyPrintMailError, letterIdempotencyKey } from '../../mail/print-mail-notifier';

const patient = (p: Partial<ReachablePatient> = {}): ReachablePatient => ({ preferredChannel: null, email: null, phone: null, hasMailingAddress: false, ...p });

describe('receiptChannel: the preferred channel when on file, else email, else text, else none', () => {
  it.each([
    [patient({ email: 'a@x.test', phone: '+1555', hasMailingAddress: true }), 'email'],
    [patient({ phone: '+1555', hasMailingAddress: true }), 'text'],
    [patient({ hasMailingAddress: true }), undefined], // no paper receipt by default
    [patient(), undefined],
    [patient({ preferredChannel: 'text', email: 'a@x.test', phone: '+1555' }), 'text'],
    [patient({ preferredChannel: 'mail', email: 'a@x.test', hasMailingAddress: true }), 'mail'],
    [patient({ preferredChannel: 'mail', email: 'a@x.test' }), 'email'], // preferred mail, but no address of record
    [patient({ preferredChannel: 'text', email: 'a@x.test' }), 'email'], // preferred text, no phone
  ])('%j → %s', (p, want) => {
    expect(receiptChannel(p)).toBe(want);
  });
});

describe('statementChannels', () => {
  it('no preference: email and text when on file, mail always (as before)', () => {
    expect(statementChannels({ preferredChannel: null, email: 'a@x.test', phone: '+1555' })).toEqual(['email', 'mail', 'text']);
    expect(statementChannels({ preferredChannel: null, email: null, phone: null })).toEqual(['mail']);
  });
  it('a preferred channel on file: that one only (a failure falls back to mail); not on file: the default', () => {
    expect(statementChannels({ preferredChannel: 'email', email: 'a@x.test', phone: '+1555' })).toEqual(['email']);
    expect(statementChannels({ preferredChannel: 'mail', email: 'a@x.test', phone: null })).toEqual(['mail']);
    expect(statementChannels({ preferredChannel: 'text', email: 'a@x.test', phone: null })).toEqual(['email', 'mail']);
  });
});

describe('fallbackChannel', () => {
  it('a statement or reminder by email or text falls back to mail; a receipt, a letter or a message without a statement does not', () => {
    expect(fallbackChannel({ channel: 'email', kind: 'statement', hasStatement: true })).toBe('mail');
    expect(fallbackChannel({ channel: 'text', kind: 'reminder', hasStatement: true })).toBe('mail');
    expect(fallbackChannel({ channel: 'email', kind: 'receipt', hasStatement: false })).toBeUndefined();
    expect(fallbackChannel({ channel: 'mail', kind: 'statement', hasStatement: true })).toBeUndefined();
  });
});

describe('the receipt', () => {
  const base: ReceiptModel = {
    practiceName: 'Harbor Family Clinic', firstName: 'Ada', amountCents: 12000, paymentDate: '2026-11-20', method: 'card',
    appliedCents: 10000, appliedServices: 2, portalUrl: 'https://pay.example.test/portal',
  };

  it('says the amount, the date, what it was applied to and the credit held', () => {
    const text = receiptText(base);
    expect(text).toContain('Amount received: $120.00');
    expect(text).toContain('Date of payment: November 20, 2026');
    expect(text).toContain('Paid by: Card');
    expect(text).toContain('Applied to your balance (2 services): $100.00');
    expect(text).toContain('Held as a credit on your account: $20.00');
  });

  it('a copay not applied yet is held for its visit; all applied: no credit line', () => {
    expect(receiptText({ ...base, amountCents: 2500, appliedCents: 0, appliedServices: 0, heldForVisitOn: '2026-11-19' })).toContain('Held for your visit on November 19, 2026: $25.00');
    const c = receiptContent({ ...base, amountCents: 10000 });
    expect(c.lines.map((l) => l.label)).toEqual(['Amount received', 'Date of payment', 'Paid by', 'Applied to your balance (2 services)']);
    expect(c.notes).toEqual([]);
  });

  it('the email has an HTML and a text body; values are escaped', () => {
    const e = composeReceiptEmail({ ...base, practiceName: 'A & <B>' });
    expect(e.subject).toBe('Your payment receipt from A & <B>');
    expect(e.html).toContain('A &amp; &lt;B&gt;');
    expect(e.html).not.toContain('<B>');
    expect(e.text).toBe(receiptText({ ...base, practiceName: 'A & <B>' }));
  });

  it('a text names the practice and the date only', () => {
    const sms = receiptSms(base);
    expect(sms).toBe('Harbor Family Clinic: we received your payment of November 20, 2026. Thank you. Details: https://pay.example.test/portal. Reply STOP to opt out.');
    expect(sms).not.toContain('$');
    expect(sms).not.toContain('Ada');
  });

  it('dates are calendar dates: no time zone arithmetic', () => {
    expect(longDate('2026-01-01')).toBe('January 1, 2026');
    expect(longDate('not a date')).toBe('not a date');
  });
});

describe('the print-mail adapter', () => {
  it('classifies failures: 5xx, 408, 429 and the network are retried; another 4xx is final; codes only', () => {
    // HTTP answers (503 retried, 422 rejected) are classified against the stand-in: test/integration/print-mail.test.ts.
    expect(classifyPrintMailError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toEqual({ reason: 'ECONNREFUSED', retry: true });
    expect(classifyPrintMailError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toEqual({ reason: 'ETIMEDOUT', retry: true });
    expect(classifyPrintMailError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'the server said: Ada' } }))).toEqual({ reason: 'ENETWORK', retry: true });
  });

  it('prints the address of record as a block, and keys a letter by a hash of its business key', () => {
    expect(addressLines({ name: 'Ada Testington', line1: '1 Harbor Way', line2: null, city: 'Oakland', state: 'CA', postalCode: '94607' })).toBe('Ada Testington\n1 Harbor Way\nOakland, CA 94607');
    expect(letterIdempotencyKey('statement:x:statement:0:mail')).toMatch(/^[0-9a-f]{64}$/);
    expect(letterIdempotencyKey('statement:x:statement:0:mail')).not.toBe(letterIdempotencyKey('statement:x:statement:0:mail:fallback:mail'));
  });
});
