/** Staff sign-in's settings: client secrets sealed per practice (lib/secret-box.ts), and the token form refused in production. */
import { randomBytes } from 'node:crypto';
import { openClientSecret, sealClientSecret } from '../../app/identity-providers';
import { parseEnv, SECRET_VARIABLES, serviceEnvSchema } from '../../lib/config';

describe('practice identity provider client secrets', () => {
  const key = 'a-server-key-of-at-least-16-chars';
  it('round-trip, differ each time, and open only with the same key and practice', () => {
    const a = sealClientSecret(key, 'practice-1', 'client-secret-value');
    const b = sealClientSecret(key, 'practice-1', 'client-secret-value');
    expect(a).not.toBe(b);
    expect(a).not.toContain('client-secret-value');
    expect(openClientSecret(key, 'practice-1', a)).toBe('client-secret-value');
    expect(() => openClientSecret(key, 'practice-2', a)).toThrow();
    expect(() => openClientSecret('another-server-key-16-chars', 'practice-1', a)).toThrow();
    const [v, iv, tag, body] = a.split('.');
    const flipped = `${body!.startsWith('A') ? 'B' : 'A'}${body!.slice(1)}`;
    expect(() => openClientSecret(key, 'practice-1', [v, iv, tag, flipped].join('.'))).toThrow();
  });
});

describe('STAFF_TOKEN_SIGN_IN', () => {
  const strong = () => randomBytes(32).toString('base64');
  const production = () => ({
    NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db.internal:5432/payflow', PUBLIC_BASE_URL: 'https://pay.example-practice.com',
    ...Object.fromEntries(SECRET_VARIABLES.map((name) => [name, strong()])), PAYLOAD_KEYS: `k2026-11:${randomBytes(32).toString('base64')}`,
  });
  it('is unset by default (the API offers the form except in production) and refused as true in production', () => {
    expect(parseEnv(serviceEnvSchema, { DATABASE_URL: 'postgres://u:p@localhost/x' }).STAFF_TOKEN_SIGN_IN).toBeUndefined();
    expect(parseEnv(serviceEnvSchema, { ...production(), STAFF_TOKEN_SIGN_IN: 'false' }).STAFF_TOKEN_SIGN_IN).toBe(false);
    expect(() => parseEnv(serviceEnvSchema, { ...production(), STAFF_TOKEN_SIGN_IN: 'true' })).toThrow(/STAFF_TOKEN_SIGN_IN must not be true in production/);
    expect(SECRET_VARIABLES).toContain('IDP_SECRET_KEY');
  });
});
