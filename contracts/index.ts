/**
 * Every operation the server mounts (server/app.ts), family by family, and what the description says around them.
 * server/openapi.ts generates the OpenAPI document from this; the same schemas validate the requests (api/, app/) and
 * type the answers (api/ sends them with http/send-json.ts `sendJson`).
 */
import { z } from 'zod';
import { apiTokenOperations } from './api-tokens';
import { cardOnFileOperations } from './card-on-file';
import { engineerOperations, engineerSecuritySchemes } from './codec';
import { collectionOperations } from './collections';
import { diagnosticsOperations } from './diagnostics';
import { healthOperations } from './health';
import { identityProviderOperations } from './identity-provider';
import { manualTaskOperations } from './manual-tasks';
import type { Operation } from './operation';
import { patientOperations } from './patients';
import { paymentPlanOperations } from './payment-plans';
import { platformOperations, platformPageOperations, platformSecuritySchemes } from './platform';
import { portalOperations } from './portal';
import { remittanceOperations } from './remittances';
import { reportOperations } from './reports';
import { settingsOperations } from './settings';
import { staffDirectoryOperations } from './staff-directory';
import { staffPageOperations } from './staff-pages';
import { statementOperations } from './statements';
import { webhookOperations } from './webhooks';

export const documentInfo = {
  title: 'payflow API',
  version: '0.1.0',
  description: 'Patient-payment collection orchestrated by Temporal. Money is integer cents; errors are application/problem+json.',
};

export const securitySchemes = {
  staffToken: { type: 'http', scheme: 'bearer', description: 'Staff token tied to a practice and a role (front_desk, billing, admin).' },
  ...engineerSecuritySchemes,
  ...platformSecuritySchemes,
} as const;

/** RFC 9457 problem details, as http/problem.ts writes them. */
export const problemSchema = z.looseObject({
  type: z.string(), title: z.string(), status: z.number().int(), detail: z.string(), instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional().meta({ description: 'the fields refused, each with its reason' }),
}).meta({ id: 'Problem' });

/** Every operation; the webhooks' events are the EHR adapter's schemas (ehr/events.ts), given by the caller. */
export function allOperations(events: { ehr: z.ZodType; clearinghouse: z.ZodType }): Operation[] {
  return [
    ...healthOperations,
    ...webhookOperations(events),
    ...collectionOperations,
    ...patientOperations,
    ...cardOnFileOperations,
    ...paymentPlanOperations,
    ...diagnosticsOperations,
    ...statementOperations,
    ...portalOperations,
    ...manualTaskOperations,
    ...reportOperations,
    ...settingsOperations,
    ...identityProviderOperations,
    ...staffDirectoryOperations,
    ...platformOperations,
    ...platformPageOperations,
    ...apiTokenOperations,
    ...remittanceOperations,
    ...staffPageOperations,
    ...engineerOperations,
  ];
}
