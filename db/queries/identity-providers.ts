/**
 * A practice's OpenID Connect settings (db/migrations/014 `practice_identity_providers`): issuer, client id, the client
 * secret as the app sealed it (app/identity-providers.ts; this module never sees it in the clear), and the email domain
 * its staff must have. One row per practice; a change is audited without the secret.
 */
import type { Db } from '../connection';
import { writeAudit } from './audit';

export interface IdentityProviderRow {
  practiceId: string; practiceExternalId: string; practiceName: string;
  issuer: string; clientId: string; clientSecretEncrypted: string; allowedEmailDomain: string;
}

interface Row {
  practice_id: string; external_id: string; name: string; issuer: string; client_id: string; client_secret_encrypted: string; allowed_email_domain: string;
}
const COLUMNS = ['i.practice_id', 'p.external_id', 'p.name', 'i.issuer', 'i.client_id', 'i.client_secret_encrypted', 'i.allowed_email_domain'];
const toRow = (r: Row): IdentityProviderRow => ({
  practiceId: r.practice_id, practiceExternalId: r.external_id, practiceName: r.name, issuer: r.issuer, clientId: r.client_id,
  clientSecretEncrypted: r.client_secret_encrypted, allowedEmailDomain: r.allowed_email_domain,
});

/** The identity provider of the practice with this external (EHR) id, or undefined (no such practice, or none set). */
export async function identityProviderOfPractice(db: Db, by: { externalId: string } | { practiceId: string }): Promise<IdentityProviderRow | undefined> {
  const q = db('practice_identity_providers as i').join('practices as p', 'p.id', 'i.practice_id');
  const row = await ('externalId' in by ? q.where('p.external_id', by.externalId) : q.where('i.practice_id', by.practiceId)).first<Row | undefined>(COLUMNS);
  return row && toRow(row);
}

/** Every practice that has an identity provider (the sign-in page's chooser), by name. */
export async function practicesWithIdentityProviders(db: Db): Promise<{ externalId: string; name: string }[]> {
  return db('practice_identity_providers as i').join('practices as p', 'p.id', 'i.practice_id')
    .orderBy('p.name').select<{ externalId: string; name: string }[]>('p.external_id as externalId', 'p.name');
}

export async function upsertIdentityProvider(
  db: Db,
  s: { practiceId: string; issuer: string; clientId: string; clientSecretEncrypted: string; allowedEmailDomain: string; actor: string },
): Promise<void> {
  await db.transaction(async (trx) => {
    const before = await trx('practice_identity_providers').where({ practice_id: s.practiceId }).first<{ issuer: string; client_id: string; allowed_email_domain: string } | undefined>(
      'issuer', 'client_id', 'allowed_email_domain',
    );
    await trx('practice_identity_providers')
      .insert({
        practice_id: s.practiceId, issuer: s.issuer, client_id: s.clientId, client_secret_encrypted: s.clientSecretEncrypted,
        allowed_email_domain: s.allowedEmailDomain, updated_by: s.actor, updated_at: trx.fn.now(),
      })
      .onConflict('practice_id').merge();
    await writeAudit(trx, {
      practiceId: s.practiceId, actor: s.actor, action: 'practice.identity_provider_set', entityType: 'practice', entityId: s.practiceId,
      before: before ? { issuer: before.issuer, clientId: before.client_id, allowedEmailDomain: before.allowed_email_domain } : null,
      after: { issuer: s.issuer, clientId: s.clientId, allowedEmailDomain: s.allowedEmailDomain, clientSecret: 'changed' },
    });
  });
}
