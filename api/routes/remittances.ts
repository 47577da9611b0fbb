/**
 * Remittance files (X12 835), billing and admin: POST /v1/remittances (the raw file; app/remittances.ts does the rest),
 * GET /v1/remittances, GET /v1/remittances/{fileId}, POST /v1/remittances/{fileId}/claims/{remittanceClaimId}/match (staff match a
 * claim payment by hand). The body parser for the raw file is this route's own, mounted
 * after authentication and the role check: nobody without a billing or admin token gets 5 MB read.
 */
import { Router, raw } from 'express';
import { ingestRemittance, listRemittances, matchRemittanceClaim, remittanceDetail, type RemittanceDeps } from '../../app/remittances';
import {
  REMITTANCE_BODY_LIMIT, REMITTANCE_MEDIA_TYPES, remittanceDetailSchema, remittanceFileListSchema, remittanceIngestSchema, remittanceMatchBodySchema, remittanceMatchSchema,
} from '../../contracts/remittances';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';
import { AppError, notFound } from '../../lib/errors';
import { parseBody, UUID } from '../../lib/validate';

const unsupportedType = () => new AppError(415, 'unsupported-media-type', 'Unsupported media type',
  `Send the 835 file as the raw body with Content-Type ${REMITTANCE_MEDIA_TYPES.join(' or ')}.`);

export function remittanceRoutes(deps: RemittanceDeps): Router {
  const router = Router();
  router.use('/v1/remittances', requireRole('billing', 'admin'));
  const rawFile = raw({ type: [...REMITTANCE_MEDIA_TYPES], limit: REMITTANCE_BODY_LIMIT });

  router.post('/v1/remittances', rawFile, async (req, res) => {
    const body: unknown = req.body;
    // An empty body of the right type is read as an empty file (422 from the reader), not as another media type.
    const file = Buffer.isBuffer(body) ? body : req.is([...REMITTANCE_MEDIA_TYPES]) ? Buffer.alloc(0) : undefined;
    if (!file) throw unsupportedType();
    const { status, answer } = await ingestRemittance(deps, staffOf(req), file);
    sendJson(res, status, remittanceIngestSchema, answer);
  });

  router.get('/v1/remittances', async (req, res) => {
    sendJson(res, 200, remittanceFileListSchema, { remittances: await listRemittances(deps, staffOf(req)) });
  });

  router.get('/v1/remittances/:fileId', async (req, res) => {
    if (!UUID.test(req.params.fileId)) throw notFound('remittance file');
    sendJson(res, 200, remittanceDetailSchema, await remittanceDetail(deps, staffOf(req), req.params.fileId));
  });

  router.post('/v1/remittances/:fileId/claims/:remittanceClaimId/match', async (req, res) => {
    const { fileId, remittanceClaimId } = req.params;
    if (!UUID.test(fileId)) throw notFound('remittance file');
    if (!UUID.test(remittanceClaimId)) throw notFound('remittance claim');
    const body = parseBody(remittanceMatchBodySchema, req.body);
    const answer = await matchRemittanceClaim(deps, staffOf(req), fileId.toLowerCase(), remittanceClaimId.toLowerCase(), body.claimId.toLowerCase());
    sendJson(res, 200, remittanceMatchSchema, answer);
  });

  return router;
}
