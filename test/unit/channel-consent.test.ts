/** Consent and SMS replies (domain/channel-consent.ts), the SMS adapter's failure rules, the unsubscribe token. Pure. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { consentChanges, mayUseChannel, normalisePhone, smsKeyword, SMS_REPLIES } from '../../domain/channel-consent';
import { classifySmsError, idempotencyKeyOf, ProviderAnswer } from '../../sms/http-sms-notifier';
import { signUnsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../../mail/unsubscribe-link';
import { parseEnv, SECRET_VARIABLES, serviceEnvSchema } from '../../lib/config';
import { PUBLIC_SECRETS } from '../../lib/secret-policy';
import { standinEnvSchema } from '../../ehr/standin/config';

describe('which channels may be used', () => {
  it('mail always; email and text unless withdrawn (no row: allowed, the address on file is the consent)', () => {
    expect(mayUseChannel('mail', { allowed: false })).toEqual({ allowed: true });
    for (const channel of ['email', 'text'] as const) {
      expect(mayUseChannel(channel, undefined)).toEqual({ allowed: true });
      expect(mayUseChannel(channel, { allowed: true })).toEqual({ allowed: true });
      expect(mayUseChannel(channel, { allowed: false })).toEqual({ allowed: false, reason: 'consent_withdrawn' });
    }
  });

  it('a change is only a change when it differs from what stands (no row counts as allowed)', () => {
    expect(consentChanges(undefined, false)).toBe(true);
    expect(consentChanges(undefined, true)).toBe(false);
    expect(consentChanges({ allowed: false }, false)).toBe(false);
    expect(consentChanges({ allowed: false }, true)).toBe(true);
  });
});

describe('SMS reply keywords (carrier rules)', () => {
  it.each(['STOP', 'stop', ' Stop. ', 'STOPALL', 'stop all', 'UNSUBSCRIBE', 'cancel', 'END', 'quit!', 'OPTOUT', 'revoke'])('%j opts out', (body) => {
    expect(smsKeyword(body)).toBe('stop');
  });
  it.each(['START', 'start', 'Unstop', 'YES'])('%j opts in', (body) => {
    expect(smsKeyword(body)).toBe('start');
  });
  it.each(['HELP', 'help?', 'INFO'])('%j asks for help', (body) => {
    expect(smsKeyword(body)).toBe('help');
  });
  it.each(['please stop texting me', 'stopp', 'I want to cancel my appointment', '', 'STOP '.repeat(40)])('%j is not a keyword', (body) => {
    expect(smsKeyword(body)).toBeUndefined();
  });
  it('the replies tell the patient what to do next, with no practice name or PHI', () => {
    expect(SMS_REPLIES.stop).toContain('START');
    expect(SMS_REPLIES.start).toContain('STOP');
    expect(SMS_REPLIES.help).toContain('STOP');
  });
});

describe('phone numbers as compared', () => {
  it('E.164 with a +; a US national number gets +1', () => {
    expect(normalisePhone('+1 (415) 555-0100')).toBe('+14155550100');
    expect(normalisePhone('415-555-0100')).toBe('+14155550100');
    expect(normalisePhone('14155550100')).toBe('+14155550100');
    expect(normalisePhone('+447700900123')).toBe('+447700900123');
    expect(normalisePhone('12345')).toBeUndefined();
    expect(normalisePhone('+1234567890123456')).toBeUndefined();
  });
});

describe('the SMS adapter', () => {
  it('retries what may pass (down, slow, rate-limited, our token refused) and stops at a refusal of the message', () => {
    expect(classifySmsError(new ProviderAnswer(503))).toEqual({ reason: 'HTTP_503', retry: true });
    expect(classifySmsError(new ProviderAnswer(500))).toEqual({ reason: 'HTTP_500', retry: true });
    expect(classifySmsError(new ProviderAnswer(429))).toEqual({ reason: 'HTTP_429', retry: true });
    expect(classifySmsError(new ProviderAnswer(401))).toEqual({ reason: 'HTTP_401', retry: true });
    expect(classifySmsError(new ProviderAnswer(400))).toEqual({ reason: 'HTTP_400', retry: false });
    expect(classifySmsError(new ProviderAnswer(422))).toEqual({ reason: 'HTTP_422', retry: false });
    expect(classifySmsError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toEqual({ reason: 'ECONNREFUSED', retry: true });
    expect(classifySmsError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toEqual({ reason: 'ETIMEDOUT', retry: true });
    expect(classifySmsError(Object.assign(new Error('x'), { cause: { code: 'the provider said +14155550100' } }))).toEqual({ reason: 'UNKNOWN', retry: true });
  });

  it('the Idempotency-Key is the business key hashed: stable, no ids in clear', () => {
    const key = idempotencyKeyOf('statement:abc:reminder:2:text');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyKeyOf('statement:abc:reminder:2:text')).toBe(key);
    expect(idempotencyKeyOf('statement:abc:reminder:3:text')).not.toBe(key);
  });
});

describe('the unsubscribe token', () => {
  const patientId = '6b0d7f2e-3c1a-4b9e-8f00-0123456789ab';
  const secret = 'unit-test-pay-link-secret';

  it('names the patient and email; verified with the secret (any of a rotation); tampering is refused', () => {
    const token = signUnsubscribeToken(patientId, secret);
    expect(verifyUnsubscribeToken(token, [secret])).toEqual({ ok: true, patientId, channel: 'email' });
    expect(verifyUnsubscribeToken(token, ['old-secret-xxxxxxxx', secret])).toEqual({ ok: true, patientId, channel: 'email' });
    expect(verifyUnsubscribeToken(token, ['another-secret-xxxx'])).toEqual({ ok: false });
    expect(verifyUnsubscribeToken(`${token.slice(0, -2)}AA`, [secret])).toEqual({ ok: false });
    expect(verifyUnsubscribeToken(undefined, [secret])).toEqual({ ok: false });
    expect(unsubscribeUrl('https://pay.example.com/', patientId, secret)).toBe(`https://pay.example.com/portal/unsubscribe/${token}`);
  });
});

describe('SMS configuration', () => {
  it('validates the provider settings; the token and webhook secrets are production secrets with public dev values', () => {
    const base = { DATABASE_URL: 'postgres://u:p@h:5432/d' };
    expect(parseEnv(serviceEnvSchema, base)).toMatchObject({ SMS_FROM: '+15555550123', SMS_WEBHOOK_SECRETS: ['dev-sms-webhook-secret'] });
    expect(parseEnv(serviceEnvSchema, base).SMS_PROVIDER_URL).toBeUndefined();
    // In production every secret counts, the provider's token too before its URL is set (as PRINT_MAIL_TOKEN): a public
    // value must never be the one a provider is later turned on with.
    const generated = () => randomBytes(32).toString('base64');
    const production: Record<string, string> = {
      ...base, NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://pay.example.com', PAYLOAD_KEYS: `k1:${generated()}`,
      ...Object.fromEntries(SECRET_VARIABLES.map((n) => [n, generated()])),
    };
    const { SMS_PROVIDER_TOKEN: _unset, ...withoutToken } = production;
    expect(() => parseEnv(serviceEnvSchema, production)).not.toThrow();
    expect(() => parseEnv(serviceEnvSchema, withoutToken)).toThrow(/^Configuration error: SMS_PROVIDER_TOKEN is a publicly known value/);
    expect(() => parseEnv(serviceEnvSchema, { ...withoutToken, SMS_PROVIDER_URL: 'https://sms.example.com' })).toThrow(/^Configuration error: SMS_PROVIDER_TOKEN is a publicly known value/);
    expect(() => parseEnv(serviceEnvSchema, { ...production, SMS_WEBHOOK_SECRETS: 'dev-sms-webhook-secret' })).toThrow(/^Configuration error: SMS_WEBHOOK_SECRETS is a publicly known value/);
    expect(() => parseEnv(serviceEnvSchema, { ...base, SMS_PROVIDER_URL: 'ftp://x' })).toThrow(/^Configuration error: SMS_PROVIDER_URL must be an http\(s\) URL/);
    expect(() => parseEnv(serviceEnvSchema, { ...base, SMS_FROM: '555-0123' })).toThrow(/^Configuration error: SMS_FROM must be a phone number in E.164 form/);
    expect(SECRET_VARIABLES).toEqual(expect.arrayContaining(['SMS_PROVIDER_TOKEN', 'SMS_WEBHOOK_SECRETS']));
    for (const v of ['dev-sms-provider-token', 'dev-sms-webhook-secret', 'compose-sms-provider-token-change-me', 'compose-sms-webhook-secret-change-me']) expect(PUBLIC_SECRETS).toContain(v);
    const standin = parseEnv(standinEnvSchema, {});
    const service = parseEnv(serviceEnvSchema, base);
    expect(service.SMS_WEBHOOK_SECRETS).toContain(standin.SMS_WEBHOOK_SECRET);
    expect(service.SMS_PROVIDER_TOKEN).toBe(standin.SMS_PROVIDER_TOKEN);
  });

  it('compose gives the stand-in the SMS secrets the api verifies with and the token the worker sends', () => {
    const compose = parse(readFileSync(join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };
    const env = (name: string) => Object.fromEntries(Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
    const api = parseEnv(serviceEnvSchema, env('api'));
    const worker = parseEnv(serviceEnvSchema, env('worker'));
    const standin = parseEnv(standinEnvSchema, env('ehr-standin'));
    expect(api.SMS_WEBHOOK_SECRETS).toContain(standin.SMS_WEBHOOK_SECRET);
    expect(worker.SMS_PROVIDER_TOKEN).toBe(standin.SMS_PROVIDER_TOKEN);
  });
});
