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

/** A client (or token prefix) over its limit of refused tokens is refused before its token is looked at. */
export function authenticate(deps: TokenDeps, guard?: CredentialGuard): RequestHandler {
  return async (req, _res, next) => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    const wait = await guard?.blocked(req, m?.[1]);
    if (wait !== undefined) throw tooManyRequests('Too many requests with a token that was not accepted; try again later.', wait);
    const staff = m ? await staffOfApiToken(deps, m[1]!) : undefined;
    if (!staff) {
      // Only a token that could have been one counts: a request without any is no guess.
      if (m) await guard?.refused(req, m[1]);
      throw unauthorized('Send a valid staff token: Authorization: Bearer <token>.');
    }
    req.staff = staff;
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
