/** Signed, expiring tokens (lib/signed-token.ts) and the payment-page reference built on them (lib/payment-link.ts). */
import { keyedHash, signToken, verifyToken } from '../../lib/signed-token';
import { signPaymentLink, verifyPaymentLink, withPaymentLink } from '../../lib/payment-link';

const SECRET = 'test-secret-0000000001';
const now = 1_800_000_000;

describe('signed tokens', () => {
  it('round-trips a payload, and refuses it for another purpose or secret', () => {
    const token = signToken('a', { x: 1, exp: now + 60 }, SECRET);
    expect(verifyToken('a', token, [SECRET], now)).toEqual({ ok: true, payload: { x: 1, exp: now + 60 } });
    expect(verifyToken('b', token, [SECRET], now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyToken('a', token, ['another-secret-00002'], now)).toEqual({ ok: false, reason: 'bad_signature' });
    // Rotation: any of the secrets.
    expect(verifyToken('a', token, ['another-secret-00002', SECRET], now).ok).toBe(true);
  });

  it('expires (with optional grace)', () => {
    const token = signToken('a', { exp: now }, SECRET);
    expect(verifyToken('a', token, [SECRET], now).ok).toBe(true);
    expect(verifyToken('a', token, [SECRET], now + 1)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyToken('a', token, [SECRET], now + 100, 100).ok).toBe(true);
  });

  it('refuses tampering and garbage', () => {
    const token = signToken('a', { x: 1 }, SECRET);
    const [body, sig] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ x: 2 })).toString('base64url');
    expect(verifyToken('a', `${forgedBody}.${sig}`, [SECRET], now)).toEqual({ ok: false, reason: 'bad_signature' });
    for (const bad of [undefined, '', 'a', 'a.b', `${body}.${sig}.x`, `${body}.${sig}!`, 'x'.repeat(5000), `${body}.${'A'.repeat(43)}`]) {
      expect(verifyToken('a', bad, [SECRET], now).ok).toBe(false);
    }
    const array = signToken('a', [] as unknown as Record<string, unknown>, SECRET);
    expect(verifyToken('a', array, [SECRET], now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('keys hashes by purpose and secret', () => {
    expect(keyedHash('account', 'ABC', SECRET)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyedHash('account', 'ABC', SECRET)).not.toBe(keyedHash('client', 'ABC', SECRET));
    expect(keyedHash('account', 'ABC', SECRET)).not.toBe(keyedHash('account', 'ABC', 'another-secret-00002'));
  });
});

describe('the payment-page reference', () => {
  const payload = { c: '7b0e1f7e-3f6c-4f4e-9d61-5d0c6a0b9a11', a: 1234, p: 'demo-practice', n: 'Sunset Family Medicine', r: 'http://localhost:3000/portal/receipt', exp: now + 1800 };

  it('carries only ids, the amount, the practice and the return address; verifies its shape', () => {
    const token = signPaymentLink(payload, SECRET);
    expect(verifyPaymentLink(token, [SECRET], now)).toEqual({ ok: true, payload });
    expect(verifyPaymentLink(token, [SECRET], now + 1801)).toEqual({ ok: false, reason: 'expired' });
    expect(() => signPaymentLink({ ...payload, a: 0 }, SECRET)).toThrow();
    expect(() => signPaymentLink({ ...payload, r: 'javascript:alert(1)' }, SECRET)).toThrow();
    const wrongShape = signToken('payflow.payment-link.v1', { ...payload, a: 'lots' }, SECRET);
    expect(verifyPaymentLink(wrongShape, [SECRET], now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it("keeps the practice's own query parameters", () => {
    expect(withPaymentLink('https://pay.example.com/p?site=7', 'T.S')).toBe('https://pay.example.com/p?site=7&ref=T.S');
    expect(withPaymentLink('http://localhost:3100/hosted-pay', 'T.S', { cancelled: '1' })).toBe('http://localhost:3100/hosted-pay?ref=T.S&cancelled=1');
  });
});
