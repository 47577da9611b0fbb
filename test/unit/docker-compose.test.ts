/** No Docker engine runs on the project's machines: check docker-compose.yml against the code instead. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseEnv, serviceEnvSchema } from '../../lib/config';
import { standinEnvSchema } from '../../ehr/standin/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { SHUTDOWN_FORCE_MARGIN_SECONDS } from '../../worker/create-worker';

interface Service { environment?: Record<string, string>; ports?: string[]; command?: string[] | string; depends_on?: unknown; stop_grace_period?: string }
const compose = parse(readFileSync(join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const { services } = compose;

describe('docker-compose.yml', () => {
  it('has the stack the README describes', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'ehr-standin', 'migrate', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  it('publishes the README ports: API 3000, Temporal gRPC 7233, Temporal UI 8233, PostgreSQL 5432', () => {
    expect(services.api?.ports).toEqual(['3000:3000']);
    expect(services.temporal?.ports).toEqual(['7233:7233']);
    expect(services['temporal-ui']?.ports).toEqual(['8233:8080']);
    expect(services.postgresql?.ports).toEqual(['5432:5432']);
  });

  it.each(['api', 'worker', 'migrate'])('gives %s a configuration the config module accepts, with known variables only', (name) => {
    const env = services[name]?.environment ?? {};
    const known = Object.keys(serviceEnvSchema.shape);
    expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
    const config = parseEnv(serviceEnvSchema, env);
    expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(new URL(config.DATABASE_URL).host).toBe('postgresql:5432');
  });

  it('listens on the port it publishes', () => {
    expect(parseEnv(serviceEnvSchema, services.api?.environment ?? {}).PORT).toBe(3000);
  });

  it('points the database URL at the credentials the postgresql service creates', () => {
    const pg = services.postgresql?.environment ?? {};
    const url = new URL(services.api?.environment?.DATABASE_URL ?? '');
    expect([url.username, url.password, url.pathname.slice(1)]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB]);
  });

  it('gives the EHR stand-in the secrets the api verifies, and points it at the api', () => {
    const standin = parseEnv(standinEnvSchema, services['ehr-standin']?.environment ?? {});
    const api = parseEnv(serviceEnvSchema, services.api?.environment ?? {});
    expect(api.EHR_WEBHOOK_SECRETS).toContain(standin.EHR_WEBHOOK_SECRET);
    expect(api.CLEARINGHOUSE_WEBHOOK_SECRETS).toContain(standin.CLEARINGHOUSE_WEBHOOK_SECRET);
    expect(standin.PAYFLOW_WEBHOOK_BASE_URL).toBe('http://api:3000');
    expect(services['ehr-standin']?.ports).toEqual(['3100:3100']);
  });

  it('registers exactly the search attributes the workflows use', () => {
    const command = [services['temporal-setup']?.command ?? []].flat().join(' ');
    const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(registered.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((sa) => `${sa.name}=Keyword`).sort());
  });

  it.each(['api', 'worker', 'ehr-standin'])('runs %s as one node process, so docker stop\'s SIGTERM reaches its graceful shutdown', (name) => {
    // Not the tsx CLI: it relays a signal to a child process and SIGKILLs it when the child is slow to acknowledge.
    expect(services[name]?.command).toEqual(['node', '--import', 'tsx', expect.stringMatching(/\/main\.ts$/)]);
  });

  it("gives the worker's shutdown (grace, then the margin before it gives up) time before docker's SIGKILL", () => {
    const grace = parseEnv(serviceEnvSchema, services.worker?.environment ?? {}).SHUTDOWN_GRACE_SECONDS;
    const stopGrace = Number(/^(\d+)s$/.exec(services.worker?.stop_grace_period ?? '')?.[1]);
    expect(stopGrace).toBeGreaterThan(grace + SHUTDOWN_FORCE_MARGIN_SECONDS);
  });
});
