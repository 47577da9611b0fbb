/**
 * OpenTelemetry inside the workflow sandbox, for traced runs only.
 *
 * Why not always: with a reused V8 context every cached run evaluates the sandbox's modules for itself, and
 * OpenTelemetry's SDK there costs about 2 MB per cached run (bench/README.md, "Worker memory"). So a run loads its
 * interceptors only when its start carried a trace context (the API's client adds one when tracing is on; a traced
 * parent adds one to its children). The start's headers are in the history, so the choice replays the same way.
 *
 * Runs started before this change loaded them unconditionally, and their async handlers shaped those histories (the
 * order of an update's completion and a timer's cancellation), so such runs keep them: the patch marks the new runs.
 * Forwarding is synchronous, so a run without spans sees exactly the SDK's own ordering.
 */
import {
  patched, type Next, type WorkflowExecuteInput, type WorkflowInboundCallsInterceptor, type WorkflowInterceptors,
  type WorkflowInternalsInterceptor, type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type { interceptors as openTelemetryInterceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';

export const SPANS_ONLY_WHEN_TRACED_PATCH = 'workflow-spans-only-when-traced';
/** The header OpenTelemetry's client and workflow interceptors carry the trace context in (the library's own
 *  constant sits in a module that imports OpenTelemetry, which is what an untraced run must not evaluate). */
export const TRACE_HEADER = '_tracer-data';

/** Loaded on first use only, so an untraced run never evaluates OpenTelemetry's modules. */
function loadOpenTelemetry(): WorkflowInterceptors {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred require is the point: see above
  const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors') as { interceptors: typeof openTelemetryInterceptors };
  return otel.interceptors();
}

type Method = (input: unknown, next: (input: unknown) => unknown) => unknown;

/** An interceptor whose methods call `target()`'s (when there is one) or go straight on. */
function forwarding<T extends object>(target: () => T | undefined, methods: readonly (keyof T & string)[]): T {
  const forwarder: Record<string, Method> = {};
  for (const name of methods) {
    forwarder[name] = (input, next) => {
      const t = target();
      const method = t?.[name] as Method | undefined;
      return method ? method.call(t, input, next) : next(input);
    };
  }
  return forwarder as T;
}

const INBOUND = ['handleSignal', 'handleUpdate', 'validateUpdate', 'handleQuery'] as const;
const OUTBOUND = [
  'scheduleActivity', 'scheduleLocalActivity', 'startNexusOperation', 'startChildWorkflowExecution', 'continueAsNew',
  'signalWorkflow', 'getLogAttributes', 'getMetricTags',
] as const;

/** One run's interceptors (the factory is called once per run). The choice is made when the run starts executing:
 *  every other call comes after that (handlers are registered by the workflow function). */
export function runTracingInterceptors(): Required<WorkflowInterceptors> {
  let otel: WorkflowInterceptors | undefined;
  const inbound = (): WorkflowInboundCallsInterceptor | undefined => otel?.inbound?.[0];
  const outbound = (): WorkflowOutboundCallsInterceptor | undefined => otel?.outbound?.[0];
  const internals = (): WorkflowInternalsInterceptor | undefined => otel?.internals?.[0];

  const execute = (input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> => {
    const traced = patched(SPANS_ONLY_WHEN_TRACED_PATCH) ? input.headers[TRACE_HEADER] !== undefined : true;
    if (traced) otel = loadOpenTelemetry();
    const target = inbound();
    return target?.execute ? target.execute(input, next) : next(input);
  };
  return {
    inbound: [{ ...forwarding(inbound, INBOUND), execute }],
    outbound: [forwarding(outbound, OUTBOUND)],
    internals: [forwarding(internals, ['dispose'])],
  };
}
