/** No Docker engine runs on the project's machines: check docker-compose.yml against the code instead. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseEnv, SECRET_VARIABLES, serviceEnvSchema } from '../../lib/config';
import { standinEnvSchema } from '../../ehr/standin/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { SHUTDOWN_FORCE_MARGIN_SECONDS } from '../../worker/create-worker';

interface Service { environment?: Record<string, string>; ports?: string[]; profiles?: string[]; command?: string[] | string; depends_on?: unknown; stop_grace_period?: string; restart?: string }
const compose = parse(readFileSync(join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const { services } = compose;

/** What compose hands a container: `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`, `${NAME}` resolved from `host`. */
function interpolate(value: string, host: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g, (_m, name: string, colon: string, op: string | undefined, arg: string) => {
    const set = host[name] !== undefined && (colon !== ':' || host[name] !== '');
    if (set) return host[name]!;
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return op === '-' ? arg : '';
  });
}
const envOf = (name: string, host: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), host)]));
const generated = () => randomBytes(32).toString('base64');

describe('docker-compose.yml', () => {
  it('has the stack the README describes', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'ehr-standin', 'migrate', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  it('publishes the API (3000), the metrics (9465, 9464), the Temporal UI (8233) and the stand-in (3100) on 127.0.0.1 only', () => {
    expect(services.api?.ports).toEqual(['127.0.0.1:3000:3000', '127.0.0.1:9465:9465']);
    expect(services.worker?.ports).toEqual(['127.0.0.1:9464:9464']);
    // Inside the container the metrics listen on every interface, or the published ports would reach nothing.
    expect(parseEnv(serviceEnvSchema, envOf('api'))).toMatchObject({ API_METRICS_PORT: 9465, API_METRICS_HOST: '0.0.0.0' });
    expect(parseEnv(serviceEnvSchema, envOf('worker'))).toMatchObject({ WORKER_METRICS_PORT: 9464, WORKER_METRICS_HOST: '0.0.0.0' });
    expect(services['temporal-ui']?.ports).toEqual(['127.0.0.1:8233:8080']);
    expect(services['ehr-standin']?.ports).toEqual(['127.0.0.1:3100:3100']);
    const published = Object.values(services).flatMap((svc) => svc.ports ?? []);
    expect(published.filter((p) => !p.startsWith('127.0.0.1:'))).toEqual([]);
  });

  it('starts the long-running services again when they exit (a crashed worker is back without anyone), not the one-shot steps', () => {
    const restarted = Object.entries(services).filter(([, svc]) => svc.restart === 'unless-stopped').map(([name]) => name);
    expect(restarted.sort()).toEqual(['api', 'postgresql', 'temporal', 'worker']);
    expect(services.migrate?.restart).toBe('no');
    expect(services['temporal-setup']?.restart).toBe('no');
  });

  it('never publishes PostgreSQL nor Temporal gRPC (no authentication on either)', () => {
    expect(services.postgresql?.ports).toBeUndefined();
    expect(services.temporal?.ports).toBeUndefined();
  });

  it('runs the stand-in and the Temporal UI only in the dev profile; the default profile is the service alone', () => {
    expect(services['ehr-standin']?.profiles).toEqual(['dev']);
    expect(services['temporal-ui']?.profiles).toEqual(['dev']);
    const byDefault = Object.entries(services).filter(([, svc]) => !svc.profiles).map(([name]) => name);
    expect(byDefault.sort()).toEqual(['api', 'migrate', 'postgresql', 'temporal', 'temporal-setup', 'worker']);
  });

  it('runs the demo in development mode; in production its public demo values stop the API and the worker', () => {
    for (const name of ['api', 'worker']) {
      expect(parseEnv(serviceEnvSchema, envOf(name)).NODE_ENV).toBe('development');
      expect(() => parseEnv(serviceEnvSchema, envOf(name, { NODE_ENV: 'production' }))).toThrow(/^Configuration error: EHR_WEBHOOK_SECRETS is a publicly known value/);
    }
  });

  it('takes production values from the environment (.env): then the configuration is accepted in production', () => {
    const host: Record<string, string> = {
      NODE_ENV: 'production', EHR_BASE_URL: 'https://ehr.example-vendor.com', ...Object.fromEntries(SECRET_VARIABLES.map((n) => [n, generated()])),
      PAYLOAD_KEYS: `k2026-11:${generated()}`, TEMPORAL_UI_ORIGIN: 'https://temporal.internal.example-practice.com',
      PUBLIC_BASE_URL: 'https://pay.example-practice.com',
    };
    for (const name of ['api', 'worker', 'migrate']) {
      const config = parseEnv(serviceEnvSchema, envOf(name, host));
      expect(config).toMatchObject({ NODE_ENV: 'production', EHR_BASE_URL: host.EHR_BASE_URL, PUBLIC_BASE_URL: host.PUBLIC_BASE_URL, PORTAL_SECRET: host.PORTAL_SECRET });
    }
  });

  it.each(['api', 'worker', 'migrate'])('gives %s a configuration the config module accepts, with known variables only', (name) => {
    const env = envOf(name);
    const known = Object.keys(serviceEnvSchema.shape);
    expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
    const config = parseEnv(serviceEnvSchema, env);
    expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(new URL(config.DATABASE_URL).host).toBe('postgresql:5432');
  });

  it('listens on the port it publishes', () => {
    expect(parseEnv(serviceEnvSchema, envOf('api')).PORT).toBe(3000);
  });

  it('points the database URL at the credentials the postgresql service creates', () => {
    const pg = services.postgresql?.environment ?? {};
    const url = new URL(envOf('api').DATABASE_URL ?? '');
    expect([url.username, url.password, url.pathname.slice(1)]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB]);
  });

  it('gives the EHR stand-in the secrets the api verifies, and points it at the api', () => {
    const standin = parseEnv(standinEnvSchema, envOf('ehr-standin'));
    const api = parseEnv(serviceEnvSchema, envOf('api'));
    expect(api.EHR_WEBHOOK_SECRETS).toContain(standin.EHR_WEBHOOK_SECRET);
    expect(api.CLEARINGHOUSE_WEBHOOK_SECRETS).toContain(standin.CLEARINGHOUSE_WEBHOOK_SECRET);
    expect(standin.PAYFLOW_WEBHOOK_BASE_URL).toBe('http://api:3000');
    expect(standin.PAYMENT_LINK_SECRET).toBe(api.PAYMENT_LINK_SECRET);
  });

  it('registers exactly the search attributes the workflows use', () => {
    const command = [services['temporal-setup']?.command ?? []].flat().join(' ');
    const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(registered.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((sa) => `${sa.name}=Keyword`).sort());
  });

  it.each(['api', 'worker', 'ehr-standin'])('runs %s as one node process of the production build, so docker stop\'s SIGTERM reaches its graceful shutdown', (name) => {
    // Not the tsx CLI (it relays a signal to a child process and SIGKILLs it when the child is slow to acknowledge), and
    // no TypeScript loader at all: the image's `npm run build` output (scripts/build.ts).
    expect(services[name]?.command).toEqual(['node', expect.stringMatching(/^dist\/.+\/main\.js$/)]);
  });
  it('builds what it runs: the image runs npm run build, whose dist/ has the entry points compose starts', () => {
    expect(readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8')).toMatch(/^RUN npm run build$/m);
    expect(services.migrate?.command).toEqual(['node', 'dist/db/migrate-cli.js']);
  });

  it("gives the worker's shutdown (grace, then the margin before it gives up) time before docker's SIGKILL", () => {
    const grace = parseEnv(serviceEnvSchema, envOf('worker')).SHUTDOWN_GRACE_SECONDS;
    const stopGrace = Number(/^(\d+)s$/.exec(services.worker?.stop_grace_period ?? '')?.[1]);
    expect(stopGrace).toBeGreaterThan(grace + SHUTDOWN_FORCE_MARGIN_SECONDS);
  });
});
