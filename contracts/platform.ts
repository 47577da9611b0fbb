/** The platform's operator (not staff of any practice; tokens from PLATFORM_OPERATOR_TOKENS) onboards practices. */
import { z } from 'zod';
import { isTimeZone } from '../domain/dates';
import { cents, centsOut } from './cents';
import { id, instant } from './common';
import { apiErrors, json, jsonBody, type Operation } from './operation';
import { identityProviderBodySchema } from './identity-provider';
import { inviteBodySchema } from './staff-directory';

export const newPracticeSchema = z.strictObject({
  externalId: z.string({ error: "the EHR's practice id is required" }).trim().min(1, { error: "the EHR's practice id is required" }).max(200)
    .meta({ description: "the EHR's practice id: its webhooks name the practice by it" }),
  name: z.string({ error: 'a name is required' }).trim().min(1, { error: 'a name is required' }).max(200, { error: 'must be at most 200 characters' }),
  timeZone: z.string({ error: 'must be an IANA time zone, e.g. America/Chicago' }).refine(isTimeZone, { error: 'must be an IANA time zone, e.g. America/Chicago' }),
  paymentPageUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).meta({ description: "the EHR's hosted payment page" }),
  statementThresholdCents: cents().default(1000),
  admin: inviteBodySchema.omit({ role: true }).meta({ description: "the practice's first admin, invited by email" }),
  identityProvider: identityProviderBodySchema.optional().meta({ description: 'how its staff sign in (the admin may set it later: PUT /v1/practice/identity-provider)' }),
});

export const onboardedSchema = z.strictObject({ practiceId: id(), adminStaffId: id() });
export const practiceListSchema = z.strictObject({
  practices: z.array(z.strictObject({
    practiceId: id(), externalId: z.string(), name: z.string(), timeZone: z.string(), statementThresholdCents: centsOut, createdAt: instant(),
    staffCount: z.number().int().meta({ description: 'active staff rows (people and systems)' }),
  })),
});

const operator = [{ operatorToken: [] }];

export const platformSecuritySchemes = {
  operatorToken: { type: 'http', scheme: 'bearer', description: "The platform operator's token (PLATFORM_OPERATOR_TOKENS); not a staff token." },
} as const;

export const platformOperations: Operation[] = [
  {
    method: 'get', path: '/platform/practices', summary: 'Every practice on the platform (operator)', security: operator,
    responses: { 200: json('{ practices }', practiceListSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/platform/practices', summary: 'Onboard a practice with its first admin (operator); audited', security: operator,
    description: "The admin then signs in with the practice's identity provider and invites the rest of the staff (POST /v1/staff). The same EHR practice id twice → 409.",
    request: { body: jsonBody(newPracticeSchema) },
    responses: { 201: json('{ practiceId, adminStaffId }', onboardedSchema), ...apiErrors },
  },
];
