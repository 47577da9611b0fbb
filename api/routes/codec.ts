/**
 * The codec endpoint, Temporal's remote-codec protocol, for engineers only:
 *   POST /codec/decode, POST /codec/encode   body and answer { payloads: [{ metadata: { k: base64 }, data: base64 }] }
 * Credential (an engineer's): `Authorization: Bearer <one of CODEC_ENGINEER_TOKENS>` (the Temporal CLI:
 * `--codec-auth "Bearer …"`), or the session cookie that `POST /codec/session` sets after checking such a token
 * (the Temporal Web UI of the dev server cannot send a bearer token of ours; with "Include cross-origin
 * credentials" ticked in its codec settings it sends this cookie). Without either: 401.
 * CORS: only the Temporal UI's origin(s) (TEMPORAL_UI_ORIGIN) may call it from a browser, with credentials; a request
 * from any other origin is refused with 403 before anything is decoded. Preflights are answered here.
 * Every decode is logged by the access log with the engineer's token fingerprint (never the token).
 * Refused tokens are limited per client address and token prefix (http/credential-limits.ts): over the limit, 429 with
 * `Retry-After` before any token is compared.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { codecPayloadsBody, codecPayloadsSchema } from '../../contracts/codec';
import { AppError, forbidden, tooManyRequests, unauthorized } from '../../lib/errors';
import { createCredentialGuard, type CredentialGuard } from '../../http/credential-limits';
import { jsonBody } from '../../http/json-body';
import { sendJson } from '../../http/send-json';
import { parseBody } from '../../lib/validate';
import { matchToken, tokenFingerprint } from '../../lib/token-match';

export interface CodecEndpointDeps {
  codec: PayloadCodec;
  /** CODEC_ENGINEER_TOKENS. */
  engineerTokens: string[];
  /** TEMPORAL_UI_ORIGIN: the browser origins allowed to call /codec/encode and /codec/decode. */
  uiOrigins: string[];
  /** Mark the session cookie Secure (production, behind TLS). */
  secureCookies: boolean;
  /** Limits on refused tokens (http/credential-limits.ts): the app's, shared with staff sign-in; its own when omitted. */
  credentials?: CredentialGuard;
}

/** Remote codec requests carry whole batches of payloads; the API's usual 64 kB body limit is too small. */
export const CODEC_BODY_LIMIT = '4mb';
export const SESSION_COOKIE = 'payflow_codec_session';
const SESSION_SECONDS = 8 * 3600;
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{12,200})$/;

const fingerprint = tokenFingerprint;
const sameLength = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

const sessionMac = (token: string, expires: number) => createHmac('sha256', token).update(`payflow-codec-session.v1.${expires}`).digest('hex');

/** `<expires unix seconds>.<HMAC keyed by the engineer's token>`: removing a token from the config ends its sessions. */
function sessionValue(token: string, nowSeconds: number): string {
  const expires = nowSeconds + SESSION_SECONDS;
  return `${expires}.${sessionMac(token, expires)}`;
}

function sessionToken(tokens: string[], value: string | undefined, nowSeconds: number): string | undefined {
  const m = /^(\d{10,12})\.([0-9a-f]{64})$/.exec(value ?? '');
  if (!m) return undefined;
  const expires = Number(m[1]);
  if (expires <= nowSeconds) return undefined;
  const given = Buffer.from(m[2]!, 'hex');
  let found: string | undefined;
  for (const t of tokens) if (sameLength(Buffer.from(sessionMac(t, expires), 'hex'), given)) found ??= t;
  return found;
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

const toPayload = (p: { metadata?: Record<string, string>; data?: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const fromPayload = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const hostOf = (origin: string) => {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
};

/** The sign-in page's HTML for a message: web/codec/session-page.ts, given by the composition root (server/app.ts). */
export type CodecSessionPage = (message: string) => string;

function sendSessionPage(res: Response, render: CodecSessionPage, status: number, message: string): void {
  res
    .status(status)
    .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .set('Cache-Control', 'no-store')
    .type('html')
    .send(render(message));
}

export function codecRoutes(deps: CodecEndpointDeps & { sessionPage: CodecSessionPage }): Router {
  const router = Router();
  const sessionPage = (res: Response, status: number, message: string) => sendSessionPage(res, deps.sessionPage, status, message);
  const allowed = new Set(deps.uiOrigins);
  const credentials = deps.credentials ?? createCredentialGuard();
  const now = () => Math.floor(Date.now() / 1000);

  /** Browser calls only from the Temporal UI; preflights answered here, before any credential is asked for. */
  const cors: RequestHandler = (req, res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowed.has(origin)) throw forbidden('This origin may not call the codec endpoint.');
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' });
    }
    if (req.method === 'OPTIONS') {
      res.set({
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Max-Age': '600',
      });
      res.status(204).end();
      return;
    }
    next();
  };

  const engineer: RequestHandler = async (req, res, next) => {
    const bearer = BEARER.exec(req.headers.authorization ?? '');
    const wait = await credentials.blocked(req, bearer?.[1]);
    if (wait !== undefined) throw tooManyRequests('Too many codec requests with a credential that was not accepted; try again later.', wait);
    const token = bearer ? matchToken(deps.engineerTokens, bearer[1]!) : sessionToken(deps.engineerTokens, cookie(req, SESSION_COOKIE), now());
    if (!token) {
      // Only a bearer token counts: the Temporal UI calls without a credential (or with an expired session) until the
      // engineer signs in, and that is no guess.
      if (bearer) await credentials.refused(req, bearer[1]);
      res.set('WWW-Authenticate', 'Bearer realm="payflow-codec"');
      throw unauthorized('The codec endpoint needs an engineer credential: Authorization: Bearer <codec token>, or sign in at /codec/session.');
    }
    res.locals.logFields = { ...(res.locals.logFields as object), engineer: fingerprint(token) };
    next();
  };

  const json = jsonBody({ limit: CODEC_BODY_LIMIT });

  for (const op of ['encode', 'decode'] as const) {
    router.options(`/${op}`, cors);
    router.post(`/${op}`, cors, engineer, json, async (req, res) => {
      const body = parseBody(codecPayloadsBody, req.body);
      const payloads = body.payloads.map(toPayload);
      let out: Payload[];
      try {
        out = op === 'encode' ? await deps.codec.encode(payloads) : await deps.codec.decode(payloads);
      } catch (err) {
        // The message names a key id at most (lib/codec): never payload content.
        throw new AppError(422, 'codec-failed', `Cannot ${op}`, (err as Error).message);
      }
      sendJson(res.set('Cache-Control', 'no-store'), 200, codecPayloadsSchema, { payloads: out.map(fromPayload) });
    });
  }

  // Sign-in for browsers: a same-origin form (the Origin header, when sent, must be this API's own).
  const sameOrigin: RequestHandler = (req, _res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined && hostOf(origin) !== req.headers.host) throw forbidden('Sign in from this page only.');
    next();
  };
  router.get('/session', (req, res) => {
    const signedIn = sessionToken(deps.engineerTokens, cookie(req, SESSION_COOKIE), now()) !== undefined;
    sessionPage(res, 200, signedIn ? 'You are signed in: the Temporal UI can decode payloads in this browser for 8 hours.' : 'Sign in with your engineer codec token.');
  });
  router.post('/session', sameOrigin, express.urlencoded({ extended: false, limit: '4kb' }), jsonBody({ limit: '4kb' }), async (req, res) => {
    const bearer = BEARER.exec(req.headers.authorization ?? '');
    const given = bearer?.[1] ?? (req.body as { token?: unknown } | undefined)?.token;
    const wantsHtml = typeof req.is('application/x-www-form-urlencoded') === 'string';
    // Counted before the comparison, given back when accepted: parallel guesses cannot pass the limit.
    const attempted = typeof given === 'string' && given !== '' ? given : undefined;
    const wait = attempted === undefined ? undefined : await credentials.attempt(req, attempted);
    if (wait !== undefined) {
      res.set('Retry-After', String(wait));
      if (wantsHtml) return sessionPage(res, 429, `Too many sign-in attempts from here. Try again in ${Math.ceil(wait / 60)} minute(s).`);
      throw tooManyRequests('Too many sign-in attempts; try again later.', wait);
    }
    const token = typeof given === 'string' && given.length <= 200 ? matchToken(deps.engineerTokens, given) : undefined;
    if (!token) {
      if (wantsHtml) return sessionPage(res, 401, 'That token is not an engineer codec token.');
      throw unauthorized('Not an engineer codec token.');
    }
    await credentials.accepted(req, token);
    res.locals.logFields = { ...(res.locals.logFields as object), engineer: fingerprint(token) };
    res.cookie(SESSION_COOKIE, sessionValue(token, now()), {
      httpOnly: true, sameSite: 'strict', path: '/codec', maxAge: SESSION_SECONDS * 1000, secure: deps.secureCookies,
    });
    if (wantsHtml) return sessionPage(res, 200, 'Signed in: the Temporal UI can decode payloads in this browser for 8 hours.');
    res.status(204).end();
  });
  router.post('/session/end', sameOrigin, (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: '/codec', httpOnly: true, sameSite: 'strict', secure: deps.secureCookies });
    sessionPage(res, 200, 'Signed out.');
  });
  return router;
}
