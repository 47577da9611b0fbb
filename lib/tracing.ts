/**
 * OpenTelemetry tracing across API → workflow → activities, with Temporal's interceptors
 * (@temporalio/interceptors-opentelemetry): the API's client interceptor puts the trace context in the workflow's
 * headers; the worker's workflow interceptors (in the bundle) and activity interceptors continue it; workflow
 * spans leave the sandbox through the `exporter` sink.
 * Off by default. With OTEL_EXPORTER_OTLP_ENDPOINT set (e.g. http://localhost:4318), spans are exported with
 * OTLP/HTTP to `<endpoint>/v1/traces`. Span attributes carry workflow ids, types and activity types: no PHI.
 */
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface Tracing {
  enabled: boolean;
  resource: Resource;
  /** Where finished spans go: the OTLP exporter, a test's exporter, or nowhere. */
  spanProcessor: SpanProcessor;
  /** Flushes and stops the exporter (call on shutdown). */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT; unset → tracing off. */
  otlpEndpoint?: string;
  /** Tests: export to this instead (synchronously, one span at a time). */
  exporter?: SpanExporter;
}

/** Sets up the tracer provider (registered globally, so the interceptors find it) or nothing at all. */
export function setupTracing(o: TracingOptions): Tracing {
  const resource = new Resource({ 'service.name': o.serviceName });
  const exporter = o.exporter ?? (o.otlpEndpoint ? new OTLPTraceExporter({ url: `${o.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }) : undefined);
  if (!exporter) return { enabled: false, resource, spanProcessor: new NoopSpanProcessor(), shutdown: () => Promise.resolve() };
  const spanProcessor = o.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    enabled: true,
    resource,
    spanProcessor,
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
    },
  };
}
