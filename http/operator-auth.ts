/**
 * The platform operator's authentication (issue 15): a bearer token from PLATFORM_OPERATOR_TOKENS, compared in
 * constant time against every configured one (lib/token-match.ts). Refused tokens count against the same credential
 * limits as staff tokens; no configured token → the operator routes answer 401 to everyone.
 */
import type { RequestHandler } from 'express';
import type { Operator } from '../app/practices';
import { tooManyRequests, unauthorized } from '../lib/errors';
import { matchToken, tokenFingerprint } from '../lib/token-match';
import type { CredentialGuard } from './credential-limits';

declare module 'http' {
  interface IncomingMessage {
    operator?: Operator;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,200})$/;

export function authenticateOperator(tokens: readonly string[], guard?: CredentialGuard): RequestHandler {
  return async (req, _res, next) => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    const wait = await guard?.blocked(req, m?.[1]);
    if (wait !== undefined) throw tooManyRequests('Too many requests with a token that was not accepted; try again later.', wait);
    const token = m ? matchToken(tokens, m[1]!) : undefined;
    if (!token) {
      if (m) await guard?.refused(req, m[1]);
      throw unauthorized('Send a platform operator token: Authorization: Bearer <token>.');
    }
    req.operator = { fingerprint: tokenFingerprint(token) };
    next();
  };
}

export function operatorOf(req: { operator?: Operator }): Operator {
  if (!req.operator) throw unauthorized();
  return req.operator;
}
