/**
 * Practice settings (admin only): GET/PUT /v1/practice/settings (app/practice-settings.ts) and the practice's identity
 * provider, GET/PUT /v1/practice/identity-provider (app/identity-providers.ts). Changes are audited (who, when, before → after).
 */
import { Router } from 'express';
import type { Db } from '../../db/connection';
import { changePracticeSettings, practiceSettingsOf } from '../../app/practice-settings';
import { changeIdentityProvider, identityProviderOf } from '../../app/identity-providers';
import { identityProviderBodySchema, identityProviderSchema } from '../../contracts/identity-provider';
import { practiceSettingsSchema, settingsBodySchema } from '../../contracts/settings';
import { parseBody } from '../../lib/validate';
import { requireRole, staffOf } from '../../http/auth';
import { sendJson } from '../../http/send-json';

export function settingsRoutes(deps: { db: Db; idpSecretKey?: string }): Router {
  const router = Router();
  router.use('/v1/practice', requireRole('admin'));
  router.get('/v1/practice/settings', async (req, res) => {
    sendJson(res, 200, practiceSettingsSchema, await practiceSettingsOf(deps, staffOf(req)));
  });
  router.put('/v1/practice/settings', async (req, res) => {
    const staff = staffOf(req);
    const body = parseBody(settingsBodySchema, req.body);
    sendJson(res, 200, practiceSettingsSchema, await changePracticeSettings(deps, staff, { statementThresholdCents: body.statementThresholdCents }));
  });
  router.get('/v1/practice/identity-provider', async (req, res) => {
    sendJson(res, 200, identityProviderSchema, await identityProviderOf(deps, staffOf(req)));
  });
  router.put('/v1/practice/identity-provider', async (req, res) => {
    const staff = staffOf(req);
    const body = parseBody(identityProviderBodySchema, req.body);
    sendJson(res, 200, identityProviderSchema, await changeIdentityProvider(deps, staff, body));
  });
  return router;
}
