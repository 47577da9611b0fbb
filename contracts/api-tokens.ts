/** API tokens for systems (admin): create one (its secret shown once), list them (never a secret), revoke one. */
import { z } from 'zod';
import { id, instant } from './common';
import { apiErrors, emptyBody, idempotencyKey, json, jsonBody, pathIds, type Operation } from './operation';

export const TOKEN_ROLES = ['front_desk', 'billing', 'admin'] as const;
export const API_TOKEN_MAX_DAYS = 365;
export const API_TOKEN_DEFAULT_DAYS = 90;

export const createApiTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100).meta({ description: 'what the token is for, e.g. "billing system"; also the name its actions appear under' }),
  role: z.enum(TOKEN_ROLES),
  expiresInDays: z.number().int().min(1).max(API_TOKEN_MAX_DAYS).optional()
    .meta({ description: `days until it expires (1-${API_TOKEN_MAX_DAYS}; default ${API_TOKEN_DEFAULT_DAYS}); or give expiresAt` }),
  expiresAt: instant().optional().meta({ description: `when it expires: in the future, at most ${API_TOKEN_MAX_DAYS} days ahead` }),
}).refine((b) => b.expiresInDays === undefined || b.expiresAt === undefined, { message: 'give expiresInDays or expiresAt, not both', path: ['expiresAt'] });

export const apiTokenStatus = z.enum(['active', 'expired', 'revoked']);

export const apiTokenSchema = z.strictObject({
  id: id(), name: z.string(), role: z.enum(TOKEN_ROLES),
  prefix: z.string().meta({ description: 'the first characters of the token, to recognise it' }),
  createdBy: z.string().meta({ description: '`staff:<id>` of the admin who created it (`seed` for the demo tokens)' }),
  createdAt: instant(), expiresAt: instant().nullable().meta({ description: 'null: never (only seeded tokens)' }),
  lastUsedAt: instant().nullable().meta({ description: 'recorded at most once a minute' }),
  revokedAt: instant().nullable(),
  status: apiTokenStatus,
});

export const apiTokenListSchema = z.strictObject({ apiTokens: z.array(apiTokenSchema) });

export const createdApiTokenSchema = z.strictObject({
  id: id(), name: z.string(), role: z.enum(TOKEN_ROLES), prefix: z.string(), createdAt: instant(), expiresAt: instant(),
  staffUserId: id().meta({ description: 'the system staff member the token acts as (actor and assignee ids)' }),
  token: z.string().meta({ description: 'the secret, shown this once: send it as Authorization: Bearer <token>. It is stored only as a keyed hash and cannot be shown again' }),
});


export const apiTokenOperations: Operation[] = [
  {
    method: 'post', path: '/v1/api-tokens',
    summary: 'Create an API token for a system (admin); its secret is in this answer only; audited',
    description: 'With Idempotency-Key, a retry never creates a second token; it answers 409 naming the token created (its '
      + 'secret is not stored anywhere, so it cannot be shown again: revoke that token and create another if the answer was lost).',
    request: { headers: idempotencyKey, body: jsonBody(createApiTokenBody) },
    responses: { 201: json('created; `token` is the secret, shown once', createdApiTokenSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/api-tokens', summary: "The practice's API tokens (admin), newest first; never a secret",
    responses: { 200: json('{ apiTokens }', apiTokenListSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/api-tokens/{tokenId}/revoke',
    summary: 'Revoke an API token (admin): the next request with it gets 401; audited; revoking again changes nothing',
    request: { params: pathIds('tokenId'), body: jsonBody(emptyBody, false) },
    responses: { 200: json('the token, revoked', apiTokenSchema), ...apiErrors },
  },
];
