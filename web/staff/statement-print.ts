/**
 * The printable statement for staff (HTML with a print stylesheet; PHI): GET /v1/statements/{id}/print. It sits under
 * /v1, so it takes the staff bearer token (mounted after the API's authentication, server/app.ts) and its errors are
 * problem+json like the rest of /v1; the page is the portal's printable statement.
 */
import { Router, type Response } from 'express';
import helmet from 'helmet';
import { printableStatementFor, type StatementDeps } from '../../app/statements';
import { staffOf } from '../../http/auth';
import { helmetOptions } from '../../http/security-headers';
import { printableStatementPage } from '../portal/pages';

export function statementPrintRoutes(deps: Pick<StatementDeps, 'db' | 'settings'>): Router {
  const router = Router();
  const pageHeaders = helmet(helmetOptions);
  router.get('/v1/statements/:statementId/print', pageHeaders, async (req, res: Response) => {
    const statement = await printableStatementFor(deps, staffOf(req), req.params.statementId);
    res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(printableStatementPage(statement));
  });
  return router;
}
