/** A practice's staff (admin only): GET/POST /v1/staff, GET /v1/staff/{id}, PUT …/role, POST …/deactivate (app/staff-directory.ts). */
import { Router } from 'express';
import type { Db } from '../../db/connection';
import { changeRole, deactivate, invite, staffMemberOf, staffOfPractice } from '../../app/staff-directory';
import { inviteBodySchema, roleBodySchema, staffListSchema, staffMemberSchema } from '../../contracts/staff-directory';
import { emptyBody } from '../../contracts/operation';
import { notFound } from '../../lib/errors';
import { parseBody, UUID } from '../../lib/validate';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';

/** Anything but a UUID names no staff member: 404, never a 500 from PostgreSQL. */
const staffIdOf = (value: string | undefined): string => {
  if (!value || !UUID.test(value)) throw notFound('staff member');
  return value.toLowerCase();
};

export function staffDirectoryRoutes(deps: { db: Db }): Router {
  const router = Router();
  router.use('/v1/staff', requireRole('admin'));
  router.get('/v1/staff', async (req, res) => {
    sendJson(res, 200, staffListSchema, { staff: await staffOfPractice(deps, staffOf(req)) });
  });
  router.post('/v1/staff', async (req, res) => {
    const body = parseBody(inviteBodySchema, req.body);
    sendJson(res, 201, staffMemberSchema, await invite(deps, staffOf(req), body));
  });
  router.get('/v1/staff/:staffId', async (req, res) => {
    sendJson(res, 200, staffMemberSchema, await staffMemberOf(deps, staffOf(req), staffIdOf(req.params.staffId)));
  });
  router.put('/v1/staff/:staffId/role', async (req, res) => {
    const staffId = staffIdOf(req.params.staffId);
    const body = parseBody(roleBodySchema, req.body);
    sendJson(res, 200, staffMemberSchema, await changeRole(deps, staffOf(req), staffId, body.role));
  });
  router.post('/v1/staff/:staffId/deactivate', async (req, res) => {
    const staffId = staffIdOf(req.params.staffId);
    parseBody(emptyBody, req.body);
    sendJson(res, 200, staffMemberSchema, await deactivate(deps, staffOf(req), staffId));
  });
  return router;
}
