/** Staff authentication (API tokens tied to a practice and a role: app/api-tokens.ts) and role checks, on the server. */
import type { RequestHandler } from 'express';
import type { Staff, StaffRole } from '../db/queries/staff';
import { staffOfApiToken, type TokenDeps } from '../app/api-tokens';
import { forbidden, tooManyRequests, unauthorized } from '../lib/errors';
import type { CredentialGuard } from './credential-limits';

declare module 'http' {
  interface IncomingMessage {
    staff?: Staff;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,200})$/;

/**
 * A client (or token prefix) over its limit of refused tokens is refused before its token is looked at; a token this
 * process has not accepted yet is counted before the lookup (http/credential-limits.ts `bearer`).
 */
export function authenticate(deps: TokenDeps, guard?: CredentialGuard): RequestHandler {
  return async (req, _res, next) => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    if (!m) {
      // Only a token that could have been one counts: a request without any is no guess (but a blocked client stays so).
      const wait = await guard?.blocked(req, undefined);
      if (wait !== undefined) throw tooManyRequests('Too many requests with a token that was not accepted; try again later.', wait);
      throw unauthorized('Send a valid staff token: Authorization: Bearer <token>.');
    }
    const token = m[1]!;
    const outcome = guard
      ? await guard.bearer(req, token, () => staffOfApiToken(deps, token))
      : await staffOfApiToken(deps, token).then((staff) => (staff ? { accepted: staff } : { refused: true as const }));
    if ('wait' in outcome) throw tooManyRequests('Too many requests with a token that was not accepted; try again later.', outcome.wait);
    if (!('accepted' in outcome)) throw unauthorized('Send a valid staff token: Authorization: Bearer <token>.');
    req.staff = outcome.accepted;
    next();
  };
}

/** Admin may do everything; other roles only what is listed. */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (req, _res, next) => {
    const role = req.staff?.role;
    if (!role) throw unauthorized();
    if (role !== 'admin' && !roles.includes(role)) throw forbidden(`This needs the ${roles.join(' or ')} role.`);
    next();
  };
}

export function staffOf(req: { staff?: Staff }): Staff {
  if (!req.staff) throw unauthorized();
  return req.staff;
}
