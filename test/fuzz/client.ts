/**
 * Sends a FuzzRequest over plain HTTP (node:http: any method, any path bytes, headers as given, no redirects
 * followed, no automatic body handling), after filling in its symbols: the staff token of a role, a staff or portal
 * session's cookies and CSRF token (`$CSRF`), the webhook signature over the exact bytes sent, `$SELF`.
 */
import { request as httpRequest } from 'node:http';
import { signWebhook } from '../../lib/webhook-signature';
import { TEST_SECRETS } from '../support/harness';
import type { FuzzRequest, Who } from './requests';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  ms: number;
}

export interface Session { cookie: string; csrf: string }

export interface Credentials {
  baseUrl: string;
  tokens: Record<Who, string>;
  staff: Record<'billing' | 'frontDesk' | 'admin', Session>;
  /** A staff session of its own (a sign-out ends it). */
  newStaffSession(): Promise<Session>;
  portal: Session;
  /** Only the CSRF cookie and its token (what /portal sets before a lookup). */
  portalCsrfOnly: Session;
  /** A portal session of its own (a sign-out ends it). */
  newPortalSession(): Promise<Session>;
}

const REQUEST_TIMEOUT_MS = 60_000;

/** The request as it will go on the wire: method, path, headers, body bytes. */
export interface Prepared { method: string; path: string; headers: [string, string][]; body?: Buffer }

export async function prepare(r: FuzzRequest, c: Credentials): Promise<Prepared> {
  const headers: [string, string][] = [];
  const cookies: string[] = [];
  let csrf = '';

  if (r.auth !== undefined && r.auth !== 'none') headers.push(['Authorization', typeof r.auth === 'object' ? r.auth.header : `Bearer ${c.tokens[r.auth]}`]);
  if (r.staff !== undefined && r.staff !== 'none') {
    const s = typeof r.staff === 'object' ? { cookie: r.staff.cookie, csrf: '' } : r.staff === 'fresh' ? await c.newStaffSession() : c.staff[r.staff];
    cookies.push(s.cookie);
    csrf = s.csrf;
  }
  if (r.portal !== undefined && r.portal !== 'none') {
    const s = typeof r.portal === 'object' ? { cookie: r.portal.cookie, csrf: '' } : r.portal === 'fresh' ? await c.newPortalSession() : r.portal === 'csrfOnly' ? c.portalCsrfOnly : c.portal;
    cookies.push(s.cookie);
    csrf = s.csrf;
  }
  const fill = (v: string) => v.replaceAll('$CSRF', csrf).replaceAll('$TOKEN', c.tokens.billing).replaceAll('$ENGINEER', c.tokens.engineer).replaceAll('$SELF', c.baseUrl);

  let body: Buffer | undefined;
  let natural: string | undefined;
  if (r.body && 'json' in r.body) {
    body = Buffer.from(fill(r.body.json), 'utf8');
    natural = 'application/json';
  } else if (r.body && 'form' in r.body) {
    body = Buffer.from(r.body.form.map(([k, v]) => `${encodeForm(fill(k))}=${encodeForm(fill(v))}`).join('&'), 'utf8');
    natural = 'application/x-www-form-urlencoded';
  } else if (r.body && 'text' in r.body) {
    body = Buffer.from(r.body.text, 'utf8');
    natural = 'text/plain';
  } else if (r.body && 'base64' in r.body) {
    body = Buffer.from(r.body.base64, 'base64');
    natural = 'application/octet-stream';
  }
  const contentType = r.contentType ?? natural;
  if (contentType) headers.push(['Content-Type', contentType]);

  if (r.sign !== undefined && r.sign !== 'none') {
    const now = Math.floor(Date.now() / 1000);
    const secret = r.path.startsWith('/webhooks/ehr') ? TEST_SECRETS.ehr : TEST_SECRETS.clearinghouse;
    const bytes = body ?? Buffer.alloc(0);
    const value = typeof r.sign === 'object' ? r.sign.header
      : r.sign === 'valid' ? signWebhook(bytes, secret, now)
        : r.sign === 'stale' ? signWebhook(bytes, secret, now - 3600)
          : signWebhook(bytes, 'not-the-configured-secret', now);
    headers.push(['Payflow-Signature', value]);
  }

  for (const [name, value] of r.headers) {
    if (name.toLowerCase() === 'cookie') cookies.push(fill(value));
    else headers.push([name, fill(value)]);
  }
  if (cookies.length > 0) headers.push(['Cookie', cookies.join('; ')]);
  return { method: r.method, path: r.path + r.query, headers, body };
}

/** application/x-www-form-urlencoded, byte by byte (lone surrogates become U+FFFD). */
function encodeForm(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9*\-._]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : b === 0x20 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** Sends and reads the whole answer. A connection-level failure rejects (the process died, or the server reset). */
export function send(baseUrl: string, p: Prepared): Promise<Answer> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, method: p.method, path: p.path, agent: false, timeout: REQUEST_TIMEOUT_MS,
      headers: p.headers.reduce<Record<string, string | string[]>>((h, [k, v]) => {
        const prev = h[k];
        h[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        return h;
      }, {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8'), ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    if (p.body) req.setHeader('Content-Length', String(p.body.length));
    req.end(p.body);
  });
}

/** Cookie pairs (name=value) from Set-Cookie headers; an emptied cookie removes its name. */
export function mergeCookies(jar: Map<string, string>, setCookie: string | string[] | undefined): void {
  for (const c of ([] as string[]).concat(setCookie ?? [])) {
    const pair = c.split(';')[0]!;
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || /Max-Age=0/i.test(c)) jar.delete(name);
    else jar.set(name, value);
  }
}
export const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
