/** The card processor's configuration (lib/config.ts) and the choice of adapter (processor/index.ts). */
import { randomBytes } from 'node:crypto';
import { parseEnv, SECRET_VARIABLES, serviceEnvSchema } from '../../lib/config';
import { createCardProcessor } from '../../processor';

const base = { DATABASE_URL: 'postgres://u:p@localhost:5432/payflow' };
const messageFor = (env: Record<string, string>) => {
  try {
    parseEnv(serviceEnvSchema, env);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
};
const production = (): Record<string, string> => ({
  ...base, NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://pay.example-practice.com', PAYLOAD_KEYS: `k2026-11:${randomBytes(32).toString('base64')}`,
  ...Object.fromEntries(SECRET_VARIABLES.map((name) => [name, randomBytes(32).toString('base64')])),
});
const LIVE_KEY = `sk_live_${randomBytes(24).toString('hex')}`;

describe('processor configuration', () => {
  it('defaults to the stand-in on the local stack', () => {
    expect(parseEnv(serviceEnvSchema, base)).toMatchObject({
      PROCESSOR: 'standin', PROCESSOR_STANDIN_URL: 'http://localhost:3100/processor', PROCESSOR_STANDIN_TOKEN: 'dev-processor-standin-token-not-for-production',
      PROCESSOR_TIMEOUT: 15_000,
    });
    expect(parseEnv(serviceEnvSchema, base)).not.toHaveProperty('STRIPE_SECRET_KEY');
  });

  it.each([
    [{ PROCESSOR: 'square' }, 'Configuration error: PROCESSOR must be standin or stripe'],
    [{ PROCESSOR: 'stripe' }, 'Configuration error: STRIPE_SECRET_KEY is required when PROCESSOR is stripe'],
    [{ PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'pk_test_123' }, 'Configuration error: STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_live_…, rk_test_…)'],
    [{ STRIPE_API_BASE: 'http://localhost:12111/v1' }, 'Configuration error: STRIPE_API_BASE must be an http(s) URL without a path, e.g. http://localhost:12111'],
    [{ STRIPE_API_BASE: 'localhost:12111' }, 'Configuration error: STRIPE_API_BASE must be an http(s) URL without a path, e.g. http://localhost:12111'],
    [{ PROCESSOR_STANDIN_URL: 'ftp://x' }, 'Configuration error: PROCESSOR_STANDIN_URL must be an http(s) URL, e.g. http://localhost:3100/processor'],
    [{ PROCESSOR_STANDIN_TOKEN: 'short' }, 'Configuration error: PROCESSOR_STANDIN_TOKEN must be at least 16 characters'],
    [{ PROCESSOR_TIMEOUT: '5m' }, 'Configuration error: PROCESSOR_TIMEOUT must be between 1s and 60s'],
  ])('stops with one line naming the variable: %j', (env, message) => {
    expect(messageFor({ ...base, ...env })).toBe(message);
  });

  it('takes stripe-mock in development: a test key and an http base', () => {
    expect(messageFor({ ...base, PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_API_BASE: 'http://127.0.0.1:12111' })).toBe('accepted');
  });

  it('in production: Stripe with a live key only, over https; the stand-in token is a secret like any other', () => {
    expect(messageFor({ ...production(), PROCESSOR: 'stripe', STRIPE_SECRET_KEY: LIVE_KEY })).toBe('accepted');
    expect(messageFor({ ...production(), PROCESSOR: 'stripe', STRIPE_SECRET_KEY: `rk_live_${randomBytes(24).toString('hex')}` })).toBe('accepted');
    expect(messageFor({ ...production(), PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'sk_test_123' }))
      .toBe('Configuration error: STRIPE_SECRET_KEY must be a live key (sk_live_… or rk_live_…) in production: a test key charges nobody');
    expect(messageFor({ ...production(), PROCESSOR: 'stripe', STRIPE_SECRET_KEY: LIVE_KEY, STRIPE_API_BASE: 'http://127.0.0.1:12111' }))
      .toBe('Configuration error: STRIPE_API_BASE must be unset (Stripe itself) or an https:// URL in production');
    expect(messageFor({ ...production(), PROCESSOR: 'stripe' })).toBe('Configuration error: STRIPE_SECRET_KEY is required when PROCESSOR is stripe');
    const env = production();
    delete env.PROCESSOR_STANDIN_TOKEN;
    expect(messageFor(env)).toBe('Configuration error: PROCESSOR_STANDIN_TOKEN is a publicly known value: generate one with: openssl rand -base64 32');
  });

  it('createCardProcessor picks the adapter PROCESSOR names', () => {
    expect(createCardProcessor(parseEnv(serviceEnvSchema, base)).name).toBe('standin');
    expect(createCardProcessor(parseEnv(serviceEnvSchema, { ...base, PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_API_BASE: 'http://127.0.0.1:12111' })).name).toBe('stripe');
  });
});
