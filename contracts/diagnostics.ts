/** The wiring check (admin): API → Temporal → worker → activity → PostgreSQL. */
import { z } from 'zod';
import { instant } from './common';
import { apiErrors, json, type Operation } from './operation';

export const wiringCheckSchema = z.strictObject({ workflowId: z.string(), checkedAt: instant() });

export const diagnosticsOperations: Operation[] = [
  {
    method: 'post', path: '/v1/diagnostics/wiring-checks', summary: 'Run the wiring-check workflow (admin)',
    responses: { 201: json('workflow result', wiringCheckSchema), ...apiErrors },
  },
];
