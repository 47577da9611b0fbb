import type { Db } from '../connection';

export interface WiringCheckRow {
  workflow_id: string;
  requested_by: string;
  checked_at: Date;
}

/** Idempotent by workflow id: a retried activity finds the row it wrote the first time. */
export async function recordWiringCheck(db: Db, workflowId: string, requestedBy: string): Promise<WiringCheckRow> {
  await db('wiring_checks').insert({ workflow_id: workflowId, requested_by: requestedBy }).onConflict('workflow_id').ignore();
  return db<WiringCheckRow>('wiring_checks').where({ workflow_id: workflowId }).first().then((row) => row!);
}
