import type { Db } from '../connection';

export interface TaskRow {
  id: string; practice_id: string; patient_id: string; payment_id: string | null; visit_id: string | null;
  claim_id: string | null; collection_id: string | null; workflow_id: string | null; reason: string; status: string;
  resolution: string | null; created_at: Date; resolved_at: Date | null;
}

export async function getTask(db: Db, id: string, practiceId: string): Promise<TaskRow | undefined> {
  return db('manual_tasks').where({ id, practice_id: practiceId }).first<TaskRow | undefined>();
}
