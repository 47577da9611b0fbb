/**
 * Workflow interceptors of every payflow workflow (bundled with them, see worker/telemetry.ts): each activity gets a
 * one-line summary in plain words, shown in the Temporal UI's event history and timeline ("record the captured
 * payment: $25.00 by card"), unless the call already set one. Summaries are payloads like any other and are
 * encrypted by the payload codec; still, they name ids, amounts and statuses only: never PHI.
 * Deterministic: the summary depends only on the activity type and its arguments.
 */
import type { ActivityInput, Next, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';
import { formatCents, isCents } from '../domain/money';
import { runTracingInterceptors } from './run-tracing';

type Args = Record<string, unknown>;
const money = (v: unknown) => (isCents(v) ? formatCents(v) : 'an amount');
const str = (v: unknown, fallback: string) => (typeof v === 'string' && v.length > 0 ? v : fallback);
const words = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
const total = (apps: unknown): number =>
  Array.isArray(apps) ? (apps as { amountCents?: unknown }[]).reduce((s, a) => s + (isCents(a?.amountCents) ? a.amountCents : 0), 0) : 0;

function describeApplyDecision(a: Args): string {
  const applications = Array.isArray(a.applications) ? (a.applications as { claimId?: unknown }[]) : [];
  const task = a.task as { reason?: unknown; amountCents?: unknown } | undefined;
  const parts: string[] = [];
  if (applications.length === 1) parts.push(`apply ${money(total(applications))} to claim ${str(applications[0]?.claimId, '?')}`);
  else if (applications.length > 1) parts.push(`apply ${money(total(applications))} to ${applications.length} claims`);
  if (task) parts.push(`flag for staff: ${str(task.reason, 'manual')} (${money(task.amountCents)})`);
  return parts.length > 0 ? parts.join('; ') : 'nothing to apply';
}

/** The summary of one activity call, from its type and first argument. */
export function activitySummary(activityType: string, args: unknown[]): string {
  const a = (typeof args[0] === 'object' && args[0] !== null ? args[0] : {}) as Args;
  switch (activityType) {
    case 'openPaymentRequest':
      return 'open the EHR payment request (Patient Payment tool, pre-filled)';
    case 'cancelPaymentRequest':
      return `cancel EHR payment request ${str(a.requestId, '?')}`;
    case 'setCollectionStatus':
      return `record status ${str(a.status, '?')} on the collection`;
    case 'recordCapturedPayment':
      return `record the captured payment: ${money(a.amountCents)} by ${str(a.method, 'an unknown method')} (EHR payment ${str(a.externalPaymentId, '?')})`;
    case 'loadCopayState':
      return "read the payment and its visit's claim";
    case 'applyDecision':
      return describeApplyDecision(a);
    case 'reverseAutoApplications':
      return `reverse the automatic applications on claim ${str(a.claimId, '?')} (payer reprocessed it)`;
    case 'resolveTask':
      return `resolve task ${str(a.taskId, '?')}: ${str(a.resolution, '?')}${a.resolution === 'applied' ? ` ${money(total(a.applications))}` : a.resolution === 'refund' ? ` ${money(a.refundCents)}` : ''}`;
    default:
      return words(activityType);
  }
}

class ActivitySummaryInterceptor implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    if (input.options.summary) return next(input);
    return next({ ...input, options: { ...input.options, summary: activitySummary(input.activityType, input.args) } });
  }
}

/** Activity summaries, then OpenTelemetry for traced runs (workflows/run-tracing.ts), in the order they always ran. */
export const interceptors: WorkflowInterceptorsFactory = () => {
  const tracing = runTracingInterceptors();
  return { inbound: tracing.inbound, outbound: [new ActivitySummaryInterceptor(), ...tracing.outbound], internals: tracing.internals };
};
