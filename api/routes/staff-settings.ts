/** Practice settings (admin only): GET/PUT /v1/practice/settings (app/practice-settings.ts). Changes are audited (who, when, before → after). */
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { changePracticeSettings, practiceSettingsOf } from '../../app/practice-settings';
import { MAX_PAYMENT_CENTS } from '../../domain/money';
import { parseBody } from '../../lib/validate';
import { requireRole, staffOf } from '../../http/auth';

export const settingsBodySchema = z.strictObject({
  statementThresholdCents: z.number({ error: 'must be a number of cents' }).int({ error: 'must be a whole number of cents' })
    .min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS, { error: `must be at most ${MAX_PAYMENT_CENTS} cents` }),
});

export function settingsRoutes(deps: { db: Db }): Router {
  const router = Router();
  router.use('/v1/practice', requireRole('admin'));
  router.get('/v1/practice/settings', async (req, res) => {
    res.json(await practiceSettingsOf(deps, staffOf(req)));
  });
  router.put('/v1/practice/settings', async (req, res) => {
    const staff = staffOf(req);
    const body = parseBody(settingsBodySchema, req.body);
    res.json(await changePracticeSettings(deps, staff, { statementThresholdCents: body.statementThresholdCents }));
  });
  return router;
}
