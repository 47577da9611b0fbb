/** The practice settings an admin may change from the staff pages (audited: who, when, before → after). */
import type { Db } from '../connection';
import type { Cents } from '../../domain/money';
import { RowNotFound } from '../errors';
import { writeAudit } from './audit';

export interface PracticeSettings {
  practiceId: string;
  name: string;
  timeZone: string;
  /** A statement goes out only when the patient balance exceeds this (default $10.00). */
  statementThresholdCents: Cents;
}

export async function practiceSettings(db: Db, practiceId: string): Promise<PracticeSettings> {
  const row = await db('practices')
    .where({ id: practiceId })
    .first<{ id: string; name: string; time_zone: string; statement_threshold_cents: number } | undefined>('id', 'name', 'time_zone', 'statement_threshold_cents');
  if (!row) throw new RowNotFound('practice');
  return { practiceId: row.id, name: row.name, timeZone: row.time_zone, statementThresholdCents: row.statement_threshold_cents };
}

export async function updatePracticeSettings(db: Db, input: { practiceId: string; statementThresholdCents: Cents; actor: string }): Promise<{ settings: PracticeSettings; changed: boolean }> {
  return db.transaction(async (trx) => {
    const before = await trx('practices').where({ id: input.practiceId }).forUpdate().first<{ statement_threshold_cents: number } | undefined>('statement_threshold_cents');
    if (!before) throw new RowNotFound('practice');
    const changed = before.statement_threshold_cents !== input.statementThresholdCents;
    if (changed) {
      await trx('practices').where({ id: input.practiceId }).update({ statement_threshold_cents: input.statementThresholdCents });
      await writeAudit(trx, {
        practiceId: input.practiceId, actor: input.actor, action: 'practice.settings_changed', entityType: 'practice', entityId: input.practiceId,
        before: { statementThresholdCents: before.statement_threshold_cents }, after: { statementThresholdCents: input.statementThresholdCents },
      });
    }
    return { settings: await practiceSettings(trx, input.practiceId), changed };
  });
}
