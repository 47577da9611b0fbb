/** Practice settings (admin): read them, change the statement threshold (audited). */
import { z } from 'zod';
import { cents, centsOut } from './cents';
import { id } from './common';
import { apiErrors, json, jsonBody, type Operation } from './operation';

export const settingsBodySchema = z.strictObject({ statementThresholdCents: cents() });

export const practiceSettingsSchema = z.strictObject({
  practiceId: id(), name: z.string(), timeZone: z.string(),
  statementThresholdCents: centsOut.meta({ description: 'a statement goes out only when the patient balance exceeds this' }),
});

export const settingsOperations: Operation[] = [
  {
    method: 'get', path: '/v1/practice/settings', summary: 'Practice settings (admin): statement threshold',
    responses: { 200: json('{ practiceId, name, timeZone, statementThresholdCents }', practiceSettingsSchema), ...apiErrors },
  },
  {
    method: 'put', path: '/v1/practice/settings', summary: 'Change practice settings (admin); audited',
    request: { body: jsonBody(settingsBodySchema) },
    responses: { 200: json('the settings', practiceSettingsSchema), ...apiErrors },
  },
];
