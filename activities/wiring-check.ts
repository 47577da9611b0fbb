import type { Db } from '../db/connection';
import { recordWiringCheck } from '../db/queries/wiring-checks';

export interface WiringCheckResult {
  workflowId: string;
  checkedAt: string;
}

export function createWiringCheckActivities(deps: { db: Db }) {
  return {
    async recordWiringCheck(input: { workflowId: string; requestedBy: string }): Promise<WiringCheckResult> {
      const row = await recordWiringCheck(deps.db, input.workflowId, input.requestedBy);
      return { workflowId: row.workflow_id, checkedAt: row.checked_at.toISOString() };
    },
  };
}
