/** The production secret policy (lib/secret-policy.ts, applied by lib/config.ts with NODE_ENV=production). */
import { randomBytes } from 'node:crypto';
import { parseEnv, SECRET_VARIABLES, serviceEnvSchema } from '../../lib/config';
import { DEV_PAYLOAD_KEYS } from '../../lib/codec';
import { PUBLIC_SECRETS, secretProblem } from '../../lib/secret-policy';
import { standinEnvSchema } from '../../ehr/standin/config';

const strong = () => randomBytes(32).toString('base64');
const key = (id: string, bytes: Buffer = randomBytes(32)) => `${id}:${bytes.toString('base64')}`;
const COMPOSE_KEY = 'rACwOcydnfTSDpJNToUpL8Qj667ypWYwd5Q5hRa3gIc=';

/** A production configuration that passes; each test spoils one variable. */
function production(): Record<string, string> {
  return {
    NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db.internal:5432/payflow', PUBLIC_BASE_URL: 'https://pay.example-practice.com',
    ...Object.fromEntries(SECRET_VARIABLES.map((name) => [name, strong()])), PAYLOAD_KEYS: key('k2026-11'),
  };
}
const messageFor = (env: Record<string, string>) => {
  try {
    parseEnv(serviceEnvSchema, env);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
};
const SECRETS: readonly string[] = SECRET_VARIABLES;
const devDefaults = parseEnv(serviceEnvSchema, { DATABASE_URL: 'postgres://u:p@localhost/x' });

describe('production configuration', () => {
  it('accepts generated secrets, a random key and an https address', () => {
    expect(messageFor(production())).toBe('accepted');
    expect(messageFor({ ...production(), EHR_WEBHOOK_SECRETS: `${strong()},${randomBytes(16).toString('hex')}` })).toBe('accepted');
  });

  it.each(SECRETS)('refuses the development default of %s (left unset)', (name) => {
    const env = production();
    delete env[name];
    expect(messageFor(env)).toBe(`Configuration error: ${name} is a publicly known value: generate one with: openssl rand -base64 32`);
  });

  it.each([
    ['EHR_WEBHOOK_SECRETS', 'compose-ehr-webhook-secret-change-me'],
    ['CLEARINGHOUSE_WEBHOOK_SECRETS', 'compose-clearinghouse-webhook-secret-change-me'],
    ['CODEC_ENGINEER_TOKENS', 'compose-engineer-codec-token-change-me'],
    ['PORTAL_SECRET', 'compose-portal-secret-change-me'],
    ['PAYMENT_LINK_SECRET', 'compose-payment-link-secret-change-me'],
    ['API_TOKEN_PEPPER', 'compose-api-token-pepper-change-me'],
    ['PLATFORM_OPERATOR_TOKENS', 'compose-platform-operator-token-change-me'],
    ['IDP_SECRET_KEY', 'compose-idp-secret-key-change-me'],
    ['PORTAL_SECRET', 'dev-portal-secret-not-for-production'],
  ])('refuses the public value docker-compose.yml or the code printed: %s=%s', (name, value) => {
    expect(messageFor({ ...production(), [name]: value })).toBe(`Configuration error: ${name} is a publicly known value: generate one with: openssl rand -base64 32`);
  });

  it('knows every secret default of the service and the stand-in as public', () => {
    const standin = parseEnv(standinEnvSchema, {});
    const defaults = [...SECRETS.flatMap((n) => [devDefaults[n as keyof typeof devDefaults]].flat()), standin.EHR_WEBHOOK_SECRET, standin.CLEARINGHOUSE_WEBHOOK_SECRET, standin.PAYMENT_LINK_SECRET];
    expect(defaults.filter((d) => !PUBLIC_SECRETS.includes(d as string))).toEqual([]);
  });

  it('refuses secrets shorter than 32 characters, naming the entry of a list, never the value', () => {
    const short = randomBytes(9).toString('base64'); // 12 characters: enough outside production
    expect(messageFor({ ...production(), CLEARINGHOUSE_WEBHOOK_SECRETS: short }))
      .toBe('Configuration error: CLEARINGHOUSE_WEBHOOK_SECRETS must be at least 32 random characters in production: generate one with: openssl rand -base64 32');
    expect(messageFor({ ...production(), PORTAL_SECRET: randomBytes(15).toString('base64') }))
      .toBe('Configuration error: PORTAL_SECRET must be at least 32 random characters in production: generate one with: openssl rand -base64 32');
    const almost = randomBytes(24).toString('base64').slice(0, 31);
    const message = messageFor({ ...production(), EHR_WEBHOOK_SECRETS: `${strong()}, ${almost}` });
    expect(message).toBe('Configuration error: EHR_WEBHOOK_SECRETS (entry 2 of 2) must be at least 32 random characters in production: generate one with: openssl rand -base64 32');
    expect(message).not.toContain(almost);
  });

  it.each([
    ['our-production-webhook-secret-2026-11-30', 'secret'],
    ['please-CHANGE_ME-before-going-live-0042', 'changeme'],
    ['https://example.com/this-is-not-a-key-0042', 'example'],
    ['dev-0f3a9c1b7e2d4a6f8b0c1d2e3f4a5b6c7d', 'dev-'],
  ])('refuses a placeholder: %s', (value, word) => {
    expect(messageFor({ ...production(), PAYMENT_LINK_SECRET: value }))
      .toBe(`Configuration error: PAYMENT_LINK_SECRET looks like a placeholder (it contains "${word}"), not a random secret: generate one with: openssl rand -base64 32`);
  });

  it.each([
    ['one character', 'x'.repeat(40)],
    ['two characters alternating', 'ab'.repeat(20)],
    ['a sequence', `0123456789abcdef${strong().slice(0, 20)}`],
    ['a repeated phrase', 'Summer2026!Summer2026!Summer2026!'],
    ['a repeated stretch in otherwise random text', `${'Kq8#vZ2p'}${strong().slice(0, 16)}${'Kq8#vZ2p'}`],
  ])('refuses a value that does not look random: %s', (_what, value) => {
    expect(messageFor({ ...production(), CODEC_ENGINEER_TOKENS: value }))
      .toBe('Configuration error: CODEC_ENGINEER_TOKENS does not look random (repeated or sequential characters): generate one with: openssl rand -base64 32');
  });

  it('never refuses generated values (base64 of 32 bytes, hex of 16 and 32 bytes)', () => {
    for (let i = 0; i < 2000; i++) {
      for (const v of [strong(), randomBytes(16).toString('hex'), randomBytes(32).toString('hex'), randomBytes(24).toString('base64url')]) expect(secretProblem(v)).toBeUndefined();
    }
  });

  it('refuses the public payload keys by their bytes, whatever their id; dev- ids; keys that are not random', () => {
    const devBytes = Buffer.from(DEV_PAYLOAD_KEYS.split(':')[1]!, 'base64');
    const fix = 'generate one with: npx tsx lib/codec/payload-keys.ts <id>';
    expect(messageFor({ ...production(), PAYLOAD_KEYS: `k2026-11:${COMPOSE_KEY}` })).toBe(`Configuration error: PAYLOAD_KEYS key "k2026-11" is a publicly known key: ${fix}`);
    expect(messageFor({ ...production(), PAYLOAD_KEYS: `${key('k2026-11')},prod-1:${devBytes.toString('base64')}` }))
      .toBe(`Configuration error: PAYLOAD_KEYS key "prod-1" is a publicly known key: ${fix}`);
    expect(messageFor({ ...production(), PAYLOAD_KEYS: DEV_PAYLOAD_KEYS })).toBe(`Configuration error: PAYLOAD_KEYS key "dev-2026-01" is a publicly known key: ${fix}`);
    expect(messageFor({ ...production(), PAYLOAD_KEYS: key('dev-2026-11') })).toBe(`Configuration error: PAYLOAD_KEYS key "dev-2026-11" has a development id: ${fix}`);
    expect(messageFor({ ...production(), PAYLOAD_KEYS: key('k1', Buffer.alloc(32, 7)) })).toBe(`Configuration error: PAYLOAD_KEYS key "k1" does not look random: ${fix}`);
  });

  it('refuses a public address that is not https (cookies would lose Secure); development keeps http', () => {
    expect(messageFor({ ...production(), PUBLIC_BASE_URL: 'http://pay.example-practice.com' }))
      .toBe('Configuration error: PUBLIC_BASE_URL must be an https:// URL in production (session cookies are Secure only over https)');
    const unset = production();
    delete unset.PUBLIC_BASE_URL;
    expect(messageFor(unset)).toMatch(/^Configuration error: PUBLIC_BASE_URL must be an https:\/\//);
    expect(devDefaults.PUBLIC_BASE_URL).toBe('http://localhost:3000');
  });

  it('keeps development and test permissive: the public defaults work there', () => {
    expect(messageFor({ DATABASE_URL: 'postgres://u:p@localhost/x', NODE_ENV: 'test' })).toBe('accepted');
    expect(messageFor({ DATABASE_URL: 'postgres://u:p@localhost/x', PORTAL_SECRET: 'compose-portal-secret-change-me' })).toBe('accepted');
  });
});
