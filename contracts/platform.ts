/** The platform's operator (not staff of any practice; tokens from PLATFORM_OPERATOR_TOKENS) onboards practices. */
import { z } from 'zod';
import { isTimeZone } from '../domain/dates';
import { cents, centsOut } from './cents';
import { id, instant } from './common';
import { apiErrors, formBody, htmlPage, json, jsonBody, seeOther, type Operation } from './operation';
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

/** The operator's pages (web/platform/): the same onboarding from a browser, signed in with an operator token. */
const pages = { security: [], tags: ['platform operator pages (HTML)'] };
const text = z.string().optional();
const csrf = z.string().meta({ description: "the session's CSRF token (an HMAC of the session cookie)" });
const expired = htmlPage('another origin, or the CSRF token missing or wrong');

export const platformPageOperations: Operation[] = [
  {
    ...pages, method: 'get', path: '/platform', summary: 'Sign-in page without the operator session; else every practice and the onboarding form',
    request: { query: z.object({ onboarded: z.string().optional().meta({ description: 'a practice just onboarded: a notice names it' }), 'signed-out': z.literal('1').optional() }) },
    responses: { 200: htmlPage('sign-in page, or the practices and the onboarding form') },
  },
  {
    ...pages, method: 'post', path: '/platform/sign-in',
    summary: 'Sign in with a platform operator token: sets pf_operator (HttpOnly, SameSite=Strict, Path=/platform, Secure except on a local address, 1 hour)',
    description: 'The cookie is signed with the token (HMAC): removing the token from PLATFORM_OPERATOR_TOKENS ends its sessions. Refused tokens count against the credential limits.',
    request: { body: formBody(z.object({ token: z.string() })) },
    responses: {
      303: seeOther('signed in: to /platform'), 401: htmlPage('not an operator token'), 403: htmlPage('from another origin'),
      429: htmlPage('too many tokens not accepted from here (Retry-After)'),
    },
  },
  {
    ...pages, method: 'post', path: '/platform/sign-out', summary: 'End the operator session in this browser (the cookie cleared)',
    request: { body: formBody(z.object({ csrf })) }, responses: { 303: seeOther('to /platform?signed-out=1'), 403: expired },
  },
  {
    ...pages, method: 'post', path: '/platform/onboard', summary: 'Onboard a practice with its first admin from the form (operator session); audited',
    description: 'The fields of POST /platform/practices, the threshold in dollars. 422 and 409 answer the form again with the problems and what was typed (never the client secret).',
    request: {
      body: formBody(z.object({
        csrf, externalId: z.string(), name: z.string(), timeZone: z.string(), paymentPageUrl: z.string(),
        statementThreshold: text.meta({ description: 'dollars, e.g. 10.00; 10.00 when blank' }), adminEmail: z.string(), adminName: z.string(),
        idpIssuer: text, idpClientId: text, idpClientSecret: text, idpAllowedEmailDomain: text,
      })),
    },
    responses: {
      303: seeOther('onboarded: to /platform?onboarded=<practiceId>, or not signed in: to /platform'), 403: expired,
      409: htmlPage('the EHR practice id is already on the platform: the form again'), 422: htmlPage('a field refused: the form again, naming it'),
    },
  },
];
