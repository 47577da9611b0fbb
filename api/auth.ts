/** Staff authentication (bearer tokens tied to a practice and a role) and role checks, enforced on the server. */
import type { RequestHandler } from 'express';
import type { Db } from '../db/connection';
import { staffByToken, type Staff, type StaffRole } from '../db/queries/staff';
import { forbidden, unauthorized } from '../lib/errors';

declare module 'http' {
  interface IncomingMessage {
    staff?: Staff;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,200})$/;

export function authenticate(db: Db): RequestHandler {
  return async (req, _res, next) => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    const staff = m ? await staffByToken(db, m[1]!) : undefined;
    if (!staff) throw unauthorized('Send a valid staff token: Authorization: Bearer <token>.');
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
