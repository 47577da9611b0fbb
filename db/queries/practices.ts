/**
 * Practices as the platform's operator onboards them (issue 15): a practice row (the EHR's practice id, name, time
 * zone, payment page, statement threshold) with its first admin invited, in one transaction, audited. The EHR's later
 * `practice.upserted` events update the same row by its external id (db/queries/reference-data.ts).
 */
import type { Db } from '../connection';
import type { Cents } from '../../domain/money';
import { StateConflict } from '../errors';
import { writeAudit } from './audit';
import { upsertIdentityProvider } from './identity-providers';

export interface PracticeSummary {
  practiceId: string; externalId: string; name: string; timeZone: string; statementThresholdCents: Cents; createdAt: Date; staffCount: number;
}

export interface NewPractice {
  /** Chosen by the caller: the identity provider's sealed secret is bound to it. */
  practiceId: string;
  externalId: string; name: string; timeZone: string; paymentPageUrl: string; statementThresholdCents: Cents;
  admin: { email: string; displayName: string };
  identityProvider?: { issuer: string; clientId: string; clientSecretEncrypted: string; allowedEmailDomain: string };
  actor: string;
}

export async function createPractice(db: Db, input: NewPractice): Promise<{ practiceId: string; adminStaffId: string }> {
  return db.transaction(async (trx) => {
    const [practice] = await trx('practices')
      .insert({
        id: input.practiceId, external_id: input.externalId, name: input.name, time_zone: input.timeZone, payment_page_url: input.paymentPageUrl,
        statement_threshold_cents: input.statementThresholdCents,
      })
      .onConflict('external_id').ignore()
      .returning<{ id: string }[]>('id');
    if (!practice) throw new StateConflict('A practice with this EHR practice id already exists.');
    const [admin] = await trx('staff_users')
      .insert({ practice_id: practice.id, email: input.admin.email.toLowerCase(), display_name: input.admin.displayName, role: 'admin', kind: 'person', invited_by: input.actor })
      .returning<{ id: string }[]>('id');
    if (input.identityProvider) await upsertIdentityProvider(trx, { practiceId: practice.id, ...input.identityProvider, actor: input.actor });
    await writeAudit(trx, {
      practiceId: practice.id, actor: input.actor, action: 'practice.onboarded', entityType: 'practice', entityId: practice.id,
      before: null, after: { practiceId: practice.id, statementThresholdCents: input.statementThresholdCents, adminStaffId: admin!.id },
    });
    return { practiceId: practice.id, adminStaffId: admin!.id };
  });
}

export async function listPractices(db: Db): Promise<PracticeSummary[]> {
  const rows = await db('practices as p')
    .select<{ id: string; external_id: string; name: string; time_zone: string; statement_threshold_cents: number; created_at: Date; staff_count: number }[]>(
      'p.id', 'p.external_id', 'p.name', 'p.time_zone', 'p.statement_threshold_cents', 'p.created_at',
      db.raw('(select count(*)::int from staff_users u where u.practice_id = p.id and u.deactivated_at is null) as staff_count'),
    )
    .orderBy([{ column: 'p.created_at' }, { column: 'p.id' }]);
  return rows.map((r) => ({
    practiceId: r.id, externalId: r.external_id, name: r.name, timeZone: r.time_zone, statementThresholdCents: r.statement_threshold_cents,
    createdAt: r.created_at, staffCount: r.staff_count,
  }));
}
