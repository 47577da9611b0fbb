/** Practice settings (admins): read them, and change the statement threshold (audited: who, when, before → after). */
import type { Db } from '../db/connection';
import { practiceSettings, updatePracticeSettings, type PracticeSettings } from '../db/queries/practice-settings';
import type { Staff } from '../db/queries/staff';
import type { Cents } from '../domain/money';

export type { PracticeSettings };

export async function practiceSettingsOf(deps: { db: Db }, staff: Staff): Promise<PracticeSettings> {
  return practiceSettings(deps.db, staff.practiceId);
}

export async function changePracticeSettings(deps: { db: Db }, staff: Staff, change: { statementThresholdCents: Cents }): Promise<PracticeSettings> {
  const { settings } = await updatePracticeSettings(deps.db, { practiceId: staff.practiceId, statementThresholdCents: change.statementThresholdCents, actor: `staff:${staff.id}` });
  return settings;
}
