import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv, SECRET_VARIABLES, serviceEnvSchema, stackEnvSchema } from '../../lib/config';
import { standinEnvSchema } from '../../ehr/standin/config';

const base = { DATABASE_URL: 'postgres://u:p@localhost:5432/payflow' };
const messageFor = (env: Record<string, string>) => {
  try {
    parseEnv(serviceEnvSchema, env);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('configuration', () => {
  it('applies the documented defaults', () => {
    expect(parseEnv(serviceEnvSchema, base)).toMatchObject({
      PORT: 3000, TEMPORAL_ADDRESS: 'localhost:7233', TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'payflow',
      TEMPORAL_TLS: false, DB_POOL_MAX: 10, LOG_LEVEL: 'info', SHUTDOWN_GRACE_SECONDS: 10,
      TEMPORAL_REQUEST_TIMEOUT: 4000, IDEMPOTENCY_LEASE: 30_000, WORKER_STICKY_QUEUE_TIMEOUT: 10_000,
    });
  });

  it.each([
    [{}, 'Configuration error: DATABASE_URL is required but not set'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'Configuration error: DATABASE_URL must be a postgres:// URL'],
    [{ ...base, PORT: 'abc' }, 'Configuration error: PORT must be a port number (1-65535)'],
    [{ ...base, PORT: '70000' }, 'Configuration error: PORT must be a port number (1-65535)'],
    [{ ...base, WORKER_STICKY_QUEUE_TIMEOUT: '500ms' }, 'Configuration error: WORKER_STICKY_QUEUE_TIMEOUT must be between 1s and 60s'],
    [{ ...base, TEMPORAL_TLS: 'yes' }, 'Configuration error: TEMPORAL_TLS must be true or false'],
    [{ ...base, TEMPORAL_ADDRESS: 'localhost' }, 'Configuration error: TEMPORAL_ADDRESS must be host:port'],
    [{ ...base, DB_POOL_MAX: '0' }, 'Configuration error: DB_POOL_MAX must be a positive integer'],
    [{ ...base, TEMPORAL_REQUEST_TIMEOUT: '4 seconds' }, 'Configuration error: TEMPORAL_REQUEST_TIMEOUT must be a duration like 90s, 15m, 24h or 120d'],
    [{ ...base, TEMPORAL_REQUEST_TIMEOUT: '5m' }, 'Configuration error: TEMPORAL_REQUEST_TIMEOUT must be between 500ms and 60s'],
    [{ ...base, IDEMPOTENCY_LEASE: '500ms' }, 'Configuration error: IDEMPOTENCY_LEASE must be between 1s and 1h'],
  ])('stops with one line naming the variable: %j', (env, message) => {
    expect(messageFor(env)).toBe(message);
  });

  it('never echoes a value (values may be secrets)', () => {
    expect(messageFor({ DATABASE_URL: 'mysql://user:hunter2@db/x' })).not.toContain('hunter2');
  });

  it('refuses the public development webhook secrets in production (the whole policy: config-production.test.ts)', () => {
    const generated = () => randomBytes(32).toString('base64');
    expect(messageFor({ ...base, NODE_ENV: 'production' })).toBe('Configuration error: EHR_WEBHOOK_SECRETS is a publicly known value: generate one with: openssl rand -base64 32');
    expect(messageFor({
      ...base, NODE_ENV: 'production', ...Object.fromEntries(SECRET_VARIABLES.map((name) => [name, generated()])),
      PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`, PUBLIC_BASE_URL: 'https://pay.example-practice.com',
    })).toBe('accepted');
  });

  it('reads durations and secret lists', () => {
    const c = parseEnv(serviceEnvSchema, { ...base, CAPTURE_WINDOW: '90s', EHR_WEBHOOK_SECRETS: 'old-secret-000001, new-secret-000002' });
    expect(c.CAPTURE_WINDOW).toBe(90_000);
    expect(c.EHR_WEBHOOK_SECRETS).toEqual(['old-secret-000001', 'new-secret-000002']);
    const timeouts = parseEnv(serviceEnvSchema, { ...base, TEMPORAL_REQUEST_TIMEOUT: '2500ms', IDEMPOTENCY_LEASE: '2m' });
    expect([timeouts.TEMPORAL_REQUEST_TIMEOUT, timeouts.IDEMPOTENCY_LEASE]).toEqual([2500, 120_000]);
    expect(messageFor({ ...base, COPAY_TRANSFER_WINDOW: '3 weeks' })).toBe('Configuration error: COPAY_TRANSFER_WINDOW must be a duration like 90s, 15m, 24h or 120d');
  });

  it('treats an empty variable as unset', () => {
    expect(parseEnv(serviceEnvSchema, { ...base, PORT: '' }).PORT).toBe(3000);
  });

  it('documents every variable in the README configuration table', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    const names = new Set([...Object.keys(serviceEnvSchema.shape), ...Object.keys(stackEnvSchema.shape), ...Object.keys(standinEnvSchema.shape)]);
    const undocumented = [...names].filter((name) => !readme.includes(`| \`${name}\``));
    expect(undocumented).toEqual([]);
  });
});
