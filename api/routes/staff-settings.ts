/** Practice settings (admin only): GET/PUT /v1/practice/settings. Changes are audited (who, when, before → after). */
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { practiceSettings, updatePracticeSettings } from '../../db/queries/practice-settings';
import { MAX_PAYMENT_CENTS } from '../../domain/money';
import { requireRole, staffOf } from '../auth';
import { parseBody } from '../validate';

export const settingsBodySchema = z.strictObject({
  statementThresholdCents: z.number({ error: 'must be a number of cents' }).int({ error: 'must be a whole number of cents' })
    .min(1, { error: 'must be at least 1 cent' }).max(MAX_PAYMENT_CENTS, { error: `must be at most ${MAX_PAYMENT_CENTS} cents` }),
});

export function settingsRoutes(deps: { db: Db }): Router {
  const router = Router();
  router.use('/v1/practice', requireRole('admin'));
  router.get('/v1/practice/settings', async (req, res) => {
    res.json(await practiceSettings(deps.db, staffOf(req).practiceId));
  });
  router.put('/v1/practice/settings', async (req, res) => {
    const staff = staffOf(req);
    const body = parseBody(settingsBodySchema, req.body);
    const { settings } = await updatePracticeSettings(deps.db, { practiceId: staff.practiceId, statementThresholdCents: body.statementThresholdCents, actor: `staff:${staff.id}` });
    res.json(settings);
  });
  return router;
}
