/**
 * The platform's operator onboards practices (issue 15): a practice with its EHR practice id, name, IANA time zone,
 * payment page and statement threshold, its first admin invited by email (who then signs in with the practice's
 * identity provider and manages the staff: app/staff-directory.ts), and optionally that identity provider, all in one
 * transaction. The operator is not staff of any practice: a separate role, its tokens bootstrapped from configuration
 * (`PLATFORM_OPERATOR_TOKENS`).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/connection';
import { createPractice, listPractices, type PracticeSummary } from '../db/queries/practices';
import { normalizeSettings, sealClientSecret, DEV_IDP_SECRET_KEY, type IdentityProviderSettings } from './identity-providers';

export type { PracticeSummary };

/** Who acts as the operator: a fingerprint of the configured token (lib/token-match.ts), never the token. */
export interface Operator { fingerprint: string }

export interface PracticeToOnboard {
  externalId: string; name: string; timeZone: string; paymentPageUrl: string; statementThresholdCents: number;
  admin: { email: string; displayName: string };
  identityProvider?: IdentityProviderSettings;
}

export async function onboardPractice(deps: { db: Db; idpSecretKey?: string }, operator: Operator, input: PracticeToOnboard) {
  const practiceId = randomUUID();
  const { identityProvider, ...practice } = input;
  const idp = identityProvider && normalizeSettings(identityProvider);
  return createPractice(deps.db, {
    ...practice, practiceId, actor: `operator:${operator.fingerprint}`,
    ...(idp ? {
      identityProvider: {
        issuer: idp.issuer, clientId: idp.clientId, allowedEmailDomain: idp.allowedEmailDomain,
        clientSecretEncrypted: sealClientSecret(deps.idpSecretKey ?? DEV_IDP_SECRET_KEY, practiceId, idp.clientSecret),
      },
    } : {}),
  });
}

export async function practicesOfPlatform(deps: { db: Db }): Promise<PracticeSummary[]> {
  return listPractices(deps.db);
}
