import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from '../../lib/webhook-signature';

const NOW = 1_795_830_600; // any fixed instant will do
const BODY = Buffer.from(JSON.stringify({ eventId: 'evt_1', type: 'payment.captured', data: { amountCents: 2500 } }));
const SECRET = 'whsec_current';
const OLD_SECRET = 'whsec_previous';

describe('webhook signatures', () => {
  it('produces t=<unix>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const header = signWebhook(BODY, SECRET, NOW);
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY.toString()}`).digest('hex');
    expect(header).toBe(`t=${NOW},v1=${expected}`);
    // A string body and the same bytes as a Buffer sign identically.
    expect(signWebhook(BODY.toString(), SECRET, NOW)).toBe(header);
  });

  it('accepts a valid signature', () => {
    expect(verifyWebhook(signWebhook(BODY, SECRET, NOW), BODY, [SECRET], NOW)).toEqual({ ok: true });
  });

  it('accepts a timestamp exactly at the tolerance, either side', () => {
    expect(verifyWebhook(signWebhook(BODY, SECRET, NOW - 300), BODY, [SECRET], NOW)).toEqual({ ok: true });
    expect(verifyWebhook(signWebhook(BODY, SECRET, NOW + 300), BODY, [SECRET], NOW)).toEqual({ ok: true });
  });

  it('rejects a forged body', () => {
    const header = signWebhook(BODY, SECRET, NOW);
    const forged = Buffer.from(BODY.toString().replace('2500', '250000'));
    expect(verifyWebhook(header, forged, [SECRET], NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyWebhook(signWebhook(BODY, 'someone-else', NOW), BODY, [SECRET], NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a signature whose timestamp was altered (the timestamp is signed)', () => {
    const header = signWebhook(BODY, SECRET, NOW).replace(`t=${NOW}`, `t=${NOW + 1}`);
    expect(verifyWebhook(header, BODY, [SECRET], NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  describe('rotation: two active secrets', () => {
    it('verifies a request signed with the old secret and one signed with the new secret', () => {
      expect(verifyWebhook(signWebhook(BODY, OLD_SECRET, NOW), BODY, [SECRET, OLD_SECRET], NOW)).toEqual({ ok: true });
      expect(verifyWebhook(signWebhook(BODY, SECRET, NOW), BODY, [SECRET, OLD_SECRET], NOW)).toEqual({ ok: true });
    });

    it('verifies a header carrying several v1 signatures when any one matches', () => {
      const header = signWebhook(BODY, [OLD_SECRET, SECRET], NOW);
      expect(header.match(/v1=/g)).toHaveLength(2);
      expect(verifyWebhook(header, BODY, [SECRET], NOW)).toEqual({ ok: true });
      expect(verifyWebhook(header, BODY, [OLD_SECRET], NOW)).toEqual({ ok: true });
      expect(verifyWebhook(header, BODY, ['retired'], NOW)).toEqual({ ok: false, reason: 'mismatch' });
    });

    it('still rejects a secret that is not configured once the old one is retired', () => {
      expect(verifyWebhook(signWebhook(BODY, OLD_SECRET, NOW), BODY, [SECRET], NOW)).toEqual({ ok: false, reason: 'mismatch' });
    });
  });

  it.each([
    ['301 s old', NOW - 301],
    ['301 s in the future', NOW + 301],
  ])('rejects a timestamp %s as stale', (_label, signedAt) => {
    expect(verifyWebhook(signWebhook(BODY, SECRET, signedAt), BODY, [SECRET], NOW)).toEqual({ ok: false, reason: 'stale' });
  });

  it('honours a custom tolerance', () => {
    expect(verifyWebhook(signWebhook(BODY, SECRET, NOW - 61), BODY, [SECRET], NOW, 60)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhook(signWebhook(BODY, SECRET, NOW - 60), BODY, [SECRET], NOW, 60)).toEqual({ ok: true });
  });

  it.each([undefined, '', '   '])('reports a missing header (%p)', (header) => {
    expect(verifyWebhook(header, BODY, [SECRET], NOW)).toEqual({ ok: false, reason: 'missing' });
  });

  const good = createHmac('sha256', SECRET).update(`${NOW}.${BODY.toString()}`).digest('hex');
  it.each([
    ['garbage', 'garbage'],
    ['no timestamp', `v1=${good}`],
    ['no signature', `t=${NOW}`],
    ['only an unknown scheme', `t=${NOW},v0=${good}`],
    ['two timestamps', `t=${NOW},t=${NOW},v1=${good}`],
    ['negative timestamp', `t=-${NOW},v1=${good}`],
    ['fractional timestamp', `t=${NOW}.5,v1=${good}`],
    ['non-numeric timestamp', `t=abc,v1=${good}`],
    ['short signature', `t=${NOW},v1=${good.slice(0, 62)}`],
    ['long signature', `t=${NOW},v1=${good}00`],
    ['non-hex signature', `t=${NOW},v1=${'z'.repeat(64)}`],
    ['empty signature', `t=${NOW},v1=`],
    ['part without "="', `t=${NOW},${good}`],
    ['empty key', `t=${NOW},=${good}`],
    ['too many signatures', `t=${NOW},${Array.from({ length: 17 }, () => `v1=${good}`).join(',')}`],
    ['oversized header', `t=${NOW},v1=${good},x=${'a'.repeat(5000)}`],
  ])('reports a malformed header: %s', (_label, header) => {
    expect(verifyWebhook(header, BODY, [SECRET], NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('tolerates spaces after commas and ignores unknown schemes beside v1', () => {
    expect(verifyWebhook(`t=${NOW}, v0=abc, v1=${good}`, BODY, [SECRET], NOW)).toEqual({ ok: true });
    expect(verifyWebhook(`t=${NOW},v1=${good.toUpperCase()}`, BODY, [SECRET], NOW)).toEqual({ ok: true });
  });

  it('refuses to run without a configured secret (a configuration error, not a bad request)', () => {
    expect(() => verifyWebhook(`t=${NOW},v1=${good}`, BODY, [], NOW)).toThrow(TypeError);
    expect(() => verifyWebhook(`t=${NOW},v1=${good}`, BODY, [''], NOW)).toThrow(TypeError);
    expect(() => signWebhook(BODY, '', NOW)).toThrow(TypeError);
    expect(() => signWebhook(BODY, [], NOW)).toThrow(TypeError);
  });

  it('refuses to sign with a timestamp that is not whole unix seconds', () => {
    expect(() => signWebhook(BODY, SECRET, NOW + 0.5)).toThrow(RangeError);
    expect(() => signWebhook(BODY, SECRET, Number.NaN)).toThrow(RangeError);
    expect(() => signWebhook(BODY, SECRET, -1)).toThrow(RangeError);
  });
});
