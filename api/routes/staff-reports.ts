/**
 * Reports for billing (billing and admin roles): the open credits with their age against the 30-day refund deadline,
 * and the open manual tasks by reason and age; each as JSON and as CSV (app/reports.ts).
 *   GET /v1/reports/open-credits(.csv)   GET /v1/reports/manual-tasks(.csv)
 */
import { Router } from 'express';
import type { Db } from '../../db/connection';
import { manualTasksCsv, manualTasksReport, openCreditsCsv, openCreditsReport } from '../../app/reports';
import { manualTasksReportSchema, openCreditsReportSchema } from '../../contracts/reports';
import { requireRole, staffOf } from '../../http/auth';
import { sendCsv } from '../../http/csv';
import { sendJson } from '../../http/send-json';

export function reportRoutes(deps: { db: Db }): Router {
  const router = Router();
  router.use('/v1/reports', requireRole('billing'));

  router.get('/v1/reports/open-credits', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    sendJson(res, 200, openCreditsReportSchema, await openCreditsReport(deps.db, staffOf(req)));
  });
  router.get('/v1/reports/open-credits.csv', async (req, res) => {
    const report = await openCreditsReport(deps.db, staffOf(req));
    sendCsv(res, 'open-credits', report.asOf, openCreditsCsv(report));
  });
  router.get('/v1/reports/manual-tasks', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    sendJson(res, 200, manualTasksReportSchema, await manualTasksReport(deps.db, staffOf(req)));
  });
  router.get('/v1/reports/manual-tasks.csv', async (req, res) => {
    const report = await manualTasksReport(deps.db, staffOf(req));
    sendCsv(res, 'manual-tasks', report.asOf, manualTasksCsv(report));
  });
  return router;
}
