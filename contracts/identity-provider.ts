/** A practice's identity provider (OpenID Connect) as its admin or the operator sets it; the client secret goes in, never out. */
import { z } from 'zod';
import { apiErrors, json, jsonBody, type Operation } from './operation';

const text = (what: string, max = 500) => z.string({ error: `${what} is required` }).trim().min(1, { error: `${what} is required` }).max(max, { error: `must be at most ${max} characters` });

export const identityProviderBodySchema = z.strictObject({
  issuer: z.url({ protocol: /^https?$/, error: "must be the provider's issuer URL, e.g. https://accounts.google.com" })
    .meta({ description: 'its discovery document is at <issuer>/.well-known/openid-configuration' }),
  clientId: text('the client id'),
  clientSecret: text('the client secret', 2000).meta({ description: 'stored sealed (AES-256-GCM); never returned' }),
  allowedEmailDomain: z.string({ error: 'must be an email domain, e.g. clinic.example' }).trim().toLowerCase().transform((d) => d.replace(/^@/, ''))
    .pipe(z.string().regex(/^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { error: 'must be an email domain, e.g. clinic.example' })),
});

export const identityProviderSchema = z.strictObject({
  issuer: z.string(), clientId: z.string(), allowedEmailDomain: z.string(),
  redirectPath: z.literal('/staff/oidc/callback').meta({ description: 'register <public base URL> + this as the redirect URI at the provider' }),
});

export const identityProviderOperations: Operation[] = [
  {
    method: 'get', path: '/v1/practice/identity-provider', summary: "The practice's identity provider for staff sign-in (admin); never its secret",
    responses: { 200: json('{ issuer, clientId, allowedEmailDomain, redirectPath }', identityProviderSchema), ...apiErrors },
  },
  {
    method: 'put', path: '/v1/practice/identity-provider', summary: "Set the practice's identity provider (admin); audited without the secret",
    request: { body: jsonBody(identityProviderBodySchema) },
    responses: { 200: json('the settings, without the secret', identityProviderSchema), ...apiErrors },
  },
];
