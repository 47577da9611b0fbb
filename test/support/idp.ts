/**
 * The local OpenID provider (idp/) for the tests: a child process on a free port (`node --import tsx idp/main.ts`, as
 * ./scripts/stack.sh runs it; oidc-provider is ESM only and has no business in jest's module registry), with a
 * confidential client whose redirect URI is an API of this test file, and users given by the test. Plus the API that
 * sign-in needs: the same app as the harness's, listening on its own port, whose PUBLIC_BASE_URL is that address (the
 * provider sends the browser back there). And a tiny cookie-jar browser over fetch for the HTTP tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { TestStack } from './harness';
import { spawnIdp, type SpawnedIdp } from '../../idp/spawn';
import type { IdpConfig } from '../../idp/provider';
import { upsertPractice } from '../../db/queries/reference-data';
import { setPracticeIdentityProvider } from '../../app/identity-providers';

export const TEST_IDP_SECRET_KEY = 'test-idp-secret-key-for-the-tests-only';
export const TEST_IDP_PASSWORD = 'test-idp-password';
export const TEST_IDP_CLIENT = { clientId: 'payflow-test-practice', clientSecret: 'test-idp-client-secret-0123456789' };

export interface OidcTestContext {
  /** The API (the harness's app with this PUBLIC_BASE_URL), e.g. http://127.0.0.1:41234 */
  apiUrl: string;
  app: Express;
  idp: SpawnedIdp;
  /** A practice whose staff sign in with the provider, by its external id. */
  practice: { id: string; externalId: string };
  stop(): Promise<void>;
}

/**
 * Starts an API and the provider for a test file: the provider's users are `users` (password TEST_IDP_PASSWORD), and a
 * new practice (`domain` its staff's email domain) signs in with it.
 */
export async function startOidcContext(stack: TestStack, o: { users: IdpConfig['users']; domain: string; externalId: string }): Promise<OidcTestContext> {
  const late: { app?: Express } = {};
  const server: Server = createServer((req, res) => late.app!(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = stack.makeApp({ statements: { publicBaseUrl: apiUrl }, staffSignIn: { idpSecretKey: TEST_IDP_SECRET_KEY } });
  late.app = app;
  let idp: SpawnedIdp;
  try {
    idp = await spawnIdp({
      port: 0,
      config: { clients: [{ ...TEST_IDP_CLIENT, redirectUris: [`${apiUrl}/staff/oidc/callback`] }], users: o.users, password: TEST_IDP_PASSWORD },
    });
  } catch (err) {
    server.close();
    throw err;
  }
  const id = await upsertPractice(stack.db, { externalId: o.externalId, name: 'Sign-in Practice', timeZone: 'America/Los_Angeles', paymentPageUrl: 'http://127.0.0.1:9/pay' });
  await setPracticeIdentityProvider({ db: stack.db, idpSecretKey: TEST_IDP_SECRET_KEY }, id, {
    issuer: idp.issuer, ...TEST_IDP_CLIENT, allowedEmailDomain: o.domain,
  }, 'test');
  return {
    apiUrl, app, idp, practice: { id, externalId: o.externalId },
    stop: async () => {
      await idp.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A browser's cookies (by host name, as browsers share them across ports), and requests that do not follow redirects. */
export class CookieBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }
  setCookie(host: string, name: string, value: string): void {
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(name, value);
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const u = new URL(url);
    const cookies = [...(this.jar.get(u.hostname) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(u, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...(cookies ? { cookie: cookies } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded', origin: u.origin } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now());
      if (expired || value === '') this.jar.get(u.hostname)?.delete(name);
      else this.setCookie(u.hostname, name, value);
    }
    return res;
  }

  /** Follows redirects (303/302/301) until an answer that is not one, or until `stopAt` says so for the next URL. */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}, stopAt?: (next: URL) => boolean): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 15 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, current);
      if (stopAt?.(next)) return { res, url: current };
      current = next.href;
      res = await this.request(current);
    }
    return { res, url: current };
  }
}

/**
 * A person signing in through the provider, up to (not into) the API's callback: the sign-in page's button, the
 * provider's login page, its answer. Returns the callback URL the provider sent the browser to.
 */
export async function throughProvider(browser: CookieBrowser, ctx: OidcTestContext, email: string, password = TEST_IDP_PASSWORD): Promise<string> {
  const start = await browser.request(`${ctx.apiUrl}/staff/sign-in/oidc?practice=${encodeURIComponent(ctx.practice.externalId)}`);
  if (start.status !== 303) throw new Error(`sign-in start answered ${start.status}: ${await start.text()}`);
  const login = await browser.follow(start.headers.get('location')!);
  if (login.res.status !== 200 || !/\/interaction\/[^"]+\/login/.test(await login.res.clone().text())) throw new Error(`no login page at ${login.url} (${login.res.status})`);
  const action = new URL(/action="([^"]+)"/.exec(await login.res.text())![1]!, login.url).href;
  const callback = `${ctx.apiUrl}/staff/oidc/callback`;
  const done = await browser.follow(action, { form: { email, password } }, (next) => next.href.startsWith(callback));
  const location = done.res.headers.get('location');
  if (!location || !new URL(location, done.url).href.startsWith(callback)) throw new Error(`the provider did not send the browser back (${done.res.status} at ${done.url})`);
  return new URL(location, done.url).href;
}
