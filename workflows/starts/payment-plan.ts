/**
 * How a payment plan's run is started (app/payment-plans.ts, when staff create the plan): workflow id
 * `payment-plan-<planId>`, `USE_EXISTING` (a retried create, or the outbox's start, attaches to the run already going),
 * `REJECT_DUPLICATE` (a finished plan is never run again), the `PayflowPath`,
 * `PayflowStatus` and `PayflowPracticeId` search attributes, the plan as written (the run needs no first read, so staff's
 * updates are taken from its first moment), and a summary with the plan's id, installments and
 * interval (no PHI). Pure: no I/O.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { describeInterval, type PlanInterval } from '../../domain/payment-plans';
import { formatCents, type Cents } from '../../domain/money';
import { paymentPlan, paymentPlanWorkflowId, type PaymentPlanInput } from '../payment-plan';
import { startAttributes } from './search-attributes';

export { paymentPlanWorkflowId };

export function paymentPlanStart(
  plan: { planId: string; practiceId: string; totalCents: Cents; installments: number; interval: PlanInterval },
  taskQueue: string,
  opts: { state?: PaymentPlanInput['state']; continueAsNewEvery?: number } = {},
) {
  const input: PaymentPlanInput = {
    planId: plan.planId, ...(opts.state ? { state: opts.state } : {}), ...(opts.continueAsNewEvery ? { continueAsNewEvery: opts.continueAsNewEvery } : {}),
  };
  return {
    workflow: paymentPlan,
    options: {
      workflowId: paymentPlanWorkflowId(plan.planId), taskQueue, args: [input] as [PaymentPlanInput],
      workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: startAttributes({ path: 'payment_plan', status: 'active', practiceId: plan.practiceId }),
      staticSummary: `Payment plan ${plan.planId}: ${formatCents(plan.totalCents)} in ${plan.installments} installments, ${describeInterval(plan.interval)}`,
    } satisfies WorkflowStartOptions<typeof paymentPlan>,
  };
}
