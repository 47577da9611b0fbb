/**
 * The first workflow: proves the wiring (API → Temporal → worker → activity → PostgreSQL) and shows up in the
 * Temporal UI. Kept as a diagnostic that /readyz-style checks and newcomers can run.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WiringCheckResult } from '../activities/wiring-check';

const { recordWiringCheck } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
});

export function wiringCheckWorkflowId(checkId: string): string {
  return `wiring-check-${checkId}`;
}

export async function wiringCheck(input: { requestedBy: string }): Promise<WiringCheckResult> {
  return recordWiringCheck({ workflowId: workflowInfo().workflowId, requestedBy: input.requestedBy });
}
