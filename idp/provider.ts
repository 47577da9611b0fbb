/**
 * The local OpenID provider: a real, certified OpenID Connect implementation (`oidc-provider`) standing in for a
 * practice's identity provider (Google Workspace, Microsoft Entra, Okta) in the local stack and the tests. Authorization
 * code flow only, PKCE (S256) required, one confidential client per practice it is told about, RS256 ID tokens signed
 * with a key generated at start. Its users are the demo practice's staff (by email), who sign in on its own small login
 * page with the one local password the stack prints. First-party clients only: consent is granted without asking.
 * It keeps everything in memory; a restart signs everyone out of it (not out of payflow).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { z } from 'zod';

export const idpClientSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(16),
  redirectUris: z.array(z.url()).min(1),
});
export const idpUserSchema = z.object({
  email: z.email(),
  name: z.string().min(1),
  /** Stable subject; derived from the email when omitted. */
  sub: z.string().min(1).optional(),
  /** False: the provider says the address is not verified (payflow then refuses to match by it). */
  emailVerified: z.boolean().default(true),
});
export const idpConfigSchema = z.object({
  clients: z.array(idpClientSchema).min(1),
  users: z.array(idpUserSchema),
  /** The one password every local user signs in with (printed by the stack; the tests know it). */
  password: z.string().min(8),
});
export type IdpConfig = z.input<typeof idpConfigSchema>;
export type IdpUser = z.infer<typeof idpUserSchema>;

/** The subject of a user without one of their own: stable across restarts. */
export const subjectOf = (user: Pick<IdpUser, 'email' | 'sub'>) => user.sub ?? `local-${Buffer.from(user.email.toLowerCase()).toString('base64url')}`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(o: { uid: string; clientId: string; email?: string; failed?: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · local identity provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}.bad{background:#fde8e8;border-left:4px solid #b00020;padding:.6rem}
.hint{color:#555;font-size:.9rem}</style></head>
<body><main>
<h1>Local identity provider</h1>
<p class="hint">Signing in to <strong>${escapeHtml(o.clientId)}</strong>. This provider runs on your machine for the local stack and the tests only.</p>
${o.failed ? '<p class="bad" role="alert" id="failed">That email and password were not accepted.</p>' : ''}
<form method="post" action="/interaction/${escapeHtml(o.uid)}/login" autocomplete="off">
<label for="email">Email</label>
<input id="email" name="email" type="email" required autofocus value="${escapeHtml(o.email ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${escapeHtml(o.uid)}/abort">Cancel</a></p>
</main></body></html>`;
}

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 16_384) break;
  }
  return new URLSearchParams(body);
}

export function createProvider(issuer: string, config: z.infer<typeof idpConfigSchema>): Provider {
  const users = new Map(config.users.map((u) => [subjectOf(u), u]));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `local-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    clients: config.clients.map((c) => ({
      client_id: c.clientId, client_secret: c.clientSecret, redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, email: user.email.toLowerCase(), email_verified: user.emailVerified, name: user.name }),
      };
    },
    // First-party clients (payflow's, one per practice): the grant is given without a consent screen.
    loadExistingGrant: async (ctx) => {
      const client = ctx.oidc.client!;
      const session = ctx.oidc.session!;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId! });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      session.grantIdFor(client.clientId, grant.jti);
      return grant;
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Sign-in error</h1>
${Object.entries(out).map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(String(v))}</p>`).join('\n')}</main></body></html>`;
    },
  };
  return new Provider(issuer, configuration);
}

export interface RunningIdp { issuer: string; port: number; server: Server; stop(): Promise<void> }

/** Starts the provider and its login page on `port` (0: a free one); the issuer is `http://<host>:<port>`. */
export async function startIdp(opts: { port: number; host?: string; issuerHost?: string; config: IdpConfig }): Promise<RunningIdp> {
  const config = idpConfigSchema.parse(opts.config);
  const byEmail = new Map(config.users.map((u) => [u.email.toLowerCase(), u]));
  const running: { provider?: Provider } = {};
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${(err as Error).message}`);
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(path);
    if (!m) return running.provider!.callback()(req, res);
    const details = await running.provider!.interactionDetails(req, res);
    const page = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
    };
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
    if (m[2] === '/abort') {
      return running.provider!.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' }, { mergeWithLastSubmission: false });
    }
    if (m[2] === '/login' && req.method === 'POST') {
      const form = await formOf(req);
      const email = (form.get('email') ?? '').trim().toLowerCase();
      const user = byEmail.get(email);
      if (!user || form.get('password') !== config.password) return page(401, loginPage({ uid: details.uid, clientId, email, failed: true }));
      return running.provider!.interactionFinished(req, res, { login: { accountId: subjectOf(user) } }, { mergeWithLastSubmission: false });
    }
    if (details.prompt.name === 'login') return page(200, loginPage({ uid: details.uid, clientId }));
    // Consent (loadExistingGrant grants it; this is the fallback): granted for the scopes asked.
    const grant = new running.provider!.Grant({ clientId, accountId: details.session!.accountId });
    grant.addOIDCScope(typeof details.params.scope === 'string' ? details.params.scope : 'openid');
    return running.provider!.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${opts.issuerHost ?? host}:${port}`;
  running.provider = createProvider(issuer, config);
  return {
    issuer, port, server,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
