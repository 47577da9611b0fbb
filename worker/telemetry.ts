/**
 * The worker's observability, wired by createWorker:
 * - tracing: OpenTelemetry activity interceptors and the `exporter` sink for workflow spans (lib/tracing.ts); the
 *   workflow interceptors are in the bundle (WORKFLOW_INTERCEPTOR_MODULES);
 * - business metrics, emitted through the Temporal SDK's metric meter, so they appear on the worker's Prometheus
 *   endpoint (WORKER_METRICS_PORT) beside the SDK's own `temporal_*` metrics:
 *     payflow_collections_started{path}                     a collection's EHR payment request opened
 *     payflow_collections_finished{path,outcome}            it reached applied | resolved | expired | cancelled
 *     payflow_collections_flagged{path}                     it was flagged for staff (a manual task opened)
 *     payflow_capture_to_application_seconds{path,kind}     from the capture (paid_at) to an application, auto or manual
 *   They are observed after the activity that made the change succeeded, once per actual change (the activities
 *   report `changed` / the ids they wrote). A retry after a lost completion may observe twice: rates, not ledgers.
 */
import type { Context as ActivityContext } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';
import {
  makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, InjectedSinks, Next } from '@temporalio/worker';
import type { Db } from '../db/connection';
import { paymentCapture } from '../db/queries/metrics';
import type { Tracing } from '../lib/tracing';

/** Workflow interceptor modules, bundled with the workflows (worker/bundle.ts) or by the worker in development:
 *  activity summaries, and OpenTelemetry's for traced runs (workflows/run-tracing.ts). */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

const OUTCOMES = new Set(['applied', 'resolved', 'expired', 'cancelled']);
/** Capture → application takes minutes to months: buckets from a minute to half a year, in seconds. */
export const CAPTURE_TO_APPLICATION_BUCKETS = [60, 3600, 6 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400, 60 * 86_400, 90 * 86_400, 120 * 86_400, 180 * 86_400];

export interface BusinessMetrics {
  collectionStatusChanged(path: string, status: string): void;
  captureToApplication(path: string, kind: 'auto' | 'manual', seconds: number): void;
}

export function createBusinessMetrics(meter: MetricMeter): BusinessMetrics {
  const started = meter.createCounter('payflow_collections_started', undefined, 'Collections whose EHR payment request opened, by path');
  const finished = meter.createCounter('payflow_collections_finished', undefined, 'Collections that reached an outcome, by path and outcome');
  const flagged = meter.createCounter('payflow_collections_flagged', undefined, 'Collections flagged for staff (a manual task opened), by path');
  const toApplication = meter.createHistogram('payflow_capture_to_application_seconds', 'float', 's', 'Seconds from capture to application, by path and kind');
  return {
    collectionStatusChanged(path, status) {
      if (status === 'awaiting_capture') started.add(1, { path });
      else if (status === 'needs_attention') flagged.add(1, { path });
      else if (OUTCOMES.has(status)) finished.add(1, { path, outcome: status });
    },
    captureToApplication(path, kind, seconds) {
      toApplication.record(Math.max(0, seconds), { path, kind });
    },
  };
}

type Args = Record<string, unknown>;

class BusinessMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: ActivityContext,
    private readonly metrics: BusinessMetrics,
    private readonly db: Db,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const result = await next(input);
    try {
      await this.observe((input.args[0] ?? {}) as Args, (result ?? {}) as Args);
    } catch (err) {
      // A metric never fails an activity.
      this.ctx.log.warn('business metric not recorded', { error: (err as Error)?.name });
    }
    return result;
  }

  private async observe(args: Args, result: Args): Promise<void> {
    switch (this.ctx.info.activityType) {
      case 'setCollectionStatus': {
        if (result.changed !== true || typeof args.status !== 'string') return;
        this.metrics.collectionStatusChanged(typeof result.path === 'string' ? result.path : 'unknown', args.status);
        return;
      }
      case 'applyDecision': {
        const applied = Array.isArray(result.applicationIds) && result.applicationIds.length > 0;
        if (applied && typeof args.paymentId === 'string') await this.applied(args.paymentId, 'auto');
        return;
      }
      case 'resolveTask': {
        if (result.resolved === true && args.resolution === 'applied' && typeof args.paymentId === 'string') await this.applied(args.paymentId, 'manual');
        return;
      }
    }
  }

  private async applied(paymentId: string, kind: 'auto' | 'manual'): Promise<void> {
    const capture = await paymentCapture(this.db, paymentId);
    if (capture) this.metrics.captureToApplication(capture.path, kind, (Date.now() - capture.paidAt.getTime()) / 1000);
  }
}

/** Activity interceptors: business metrics always; OpenTelemetry when tracing is on. */
export function activityInterceptors(o: { db: Db; metrics?: BusinessMetrics; tracing?: Tracing }): ActivityInterceptorsFactory[] {
  const factories: ActivityInterceptorsFactory[] = [];
  if (o.tracing?.enabled) {
    factories.push((ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }));
  }
  const metrics = o.metrics;
  if (metrics) factories.push((ctx) => ({ inbound: new BusinessMetricsInterceptor(ctx, metrics, o.db) }));
  return factories;
}

/**
 * The bundled workflow interceptors always export their spans through this sink: to the tracer's span processor
 * when tracing is on, to a no-op processor otherwise (an unregistered sink would log an error per span).
 */
export function workerSinks(tracing: Pick<Tracing, 'spanProcessor' | 'resource'>): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
}
