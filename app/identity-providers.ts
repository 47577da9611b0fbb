/**
 * A practice's identity provider settings (OpenID Connect): the client secret is sealed before it reaches the database
 * (lib/secret-box.ts: AES-256-GCM, key derived from `IDP_SECRET_KEY`, bound to the practice) and opened only to talk to
 * the provider. Set by the practice's admin (PUT /v1/practice/identity-provider), the operator's onboarding
 * (app/practices.ts), the demo data and the tests.
 */
import type { Db } from '../db/connection';
import { identityProviderOfPractice, upsertIdentityProvider } from '../db/queries/identity-providers';
import type { Staff } from '../db/queries/staff';
import { notFound } from '../lib/errors';
import { openSecret, sealSecret } from '../lib/secret-box';

/** The development key (printed here, so production refuses it: lib/config.ts, lib/secret-policy.ts). */
export const DEV_IDP_SECRET_KEY = 'dev-idp-secret-key-not-for-production';
const PURPOSE = 'practice identity provider client secret';

export interface IdentityProviderSettings { issuer: string; clientId: string; clientSecret: string; allowedEmailDomain: string }

export const sealClientSecret = (key: string, practiceId: string, clientSecret: string) => sealSecret(key, PURPOSE, practiceId, clientSecret);
export const openClientSecret = (key: string, practiceId: string, sealed: string) => openSecret(key, PURPOSE, practiceId, sealed);

/** Issuer URL without a trailing slash; domain in lower case without a leading @. */
export function normalizeSettings(s: IdentityProviderSettings): IdentityProviderSettings {
  return { ...s, issuer: s.issuer.trim(), clientId: s.clientId.trim(), allowedEmailDomain: s.allowedEmailDomain.trim().toLowerCase().replace(/^@/, '') };
}

export async function setPracticeIdentityProvider(
  deps: { db: Db; idpSecretKey?: string }, practiceId: string, settings: IdentityProviderSettings, actor: string,
): Promise<void> {
  const s = normalizeSettings(settings);
  await upsertIdentityProvider(deps.db, {
    practiceId, issuer: s.issuer, clientId: s.clientId, allowedEmailDomain: s.allowedEmailDomain, actor,
    clientSecretEncrypted: sealClientSecret(deps.idpSecretKey ?? DEV_IDP_SECRET_KEY, practiceId, s.clientSecret),
  });
}

/** What an admin sees of the practice's identity provider: never the secret. */
export interface IdentityProviderView { issuer: string; clientId: string; allowedEmailDomain: string; redirectPath: '/staff/oidc/callback' }

export async function identityProviderOf(deps: { db: Db }, staff: Staff): Promise<IdentityProviderView> {
  const row = await identityProviderOfPractice(deps.db, { practiceId: staff.practiceId });
  if (!row) throw notFound('identity provider (none is set for this practice)');
  return { issuer: row.issuer, clientId: row.clientId, allowedEmailDomain: row.allowedEmailDomain, redirectPath: '/staff/oidc/callback' };
}

export async function changeIdentityProvider(deps: { db: Db; idpSecretKey?: string }, staff: Staff, settings: IdentityProviderSettings): Promise<IdentityProviderView> {
  await setPracticeIdentityProvider(deps, staff.practiceId, settings, `staff:${staff.id}`);
  return identityProviderOf(deps, staff);
}
