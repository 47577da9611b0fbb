/**
 * OpenTelemetry across API → workflow → activity: one trace, each span the child of the one before. Spans go to an
 * in-memory exporter here; in production to OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (lib/tracing.ts).
 * Runs started without a trace context do without OpenTelemetry in the sandbox (workflows/run-tracing.ts).
 * Records the `wiring-check-traced` replay history when RECORD_HISTORIES=1.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { setupTracing, type Tracing } from '../../lib/tracing';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { createWorker } from '../../worker/create-worker';
import { useTestStack } from '../support/harness';
import { eventually, seedScenario } from '../support/fixtures';
import { sharedStack } from '../support/shared-stack';
import { TEST_DATA_CONVERTER } from '../support/codec';
import { activityHeaderNames, patchesOf, recordHistory } from '../support/history';
import { SPANS_ONLY_WHEN_TRACED_PATCH, TRACE_HEADER } from '../../workflows/run-tracing';
import { wiringCheck, wiringCheckWorkflowId } from '../../workflows/wiring-check';

describe('tracing', () => {
  const stack = useTestStack({ worker: false });
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    tracing = setupTracing({ serviceName: 'payflow-test', exporter });
    connection = await NativeConnection.connect({ address: sharedStack().temporalAddress });
    worker = await createWorker({
      connection, db: stack.db, ehr: createHttpEhrAdapter({ baseUrl: stack.standin.url }), namespace: 'default', taskQueue: stack.taskQueue,
      workflowBundlePath: sharedStack().workflowBundlePath, shutdownGraceSeconds: 5, dataConverter: TEST_DATA_CONVERTER, tracing,
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await tracing?.shutdown();
  });

  it('links the API’s client call, the workflow run and the activity in one trace', async () => {
    const s = await seedScenario(stack.db);
    const client = new Client({
      connection: stack.client.connection, dataConverter: TEST_DATA_CONVERTER,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
    const app = stack.makeApp({ temporal: client });
    await request(app).post('/v1/diagnostics/wiring-checks').set(s.auth('admin')).expect(201);

    const byName = (name: string) => exporter.getFinishedSpans().find((sp) => sp.name === name);
    const spans = await eventually(() => {
      const found = ['StartWorkflow:wiringCheck', 'RunWorkflow:wiringCheck', 'StartActivity:recordWiringCheck', 'RunActivity:recordWiringCheck'].map(byName);
      return Promise.resolve(found.every(Boolean) ? (found as ReadableSpan[]) : undefined);
    }, 20_000, 'the four spans');
    const [start, run, schedule, execute] = spans as [ReadableSpan, ReadableSpan, ReadableSpan, ReadableSpan];
    const traceId = start.spanContext().traceId;
    expect(spans.map((sp) => sp.spanContext().traceId)).toEqual([traceId, traceId, traceId, traceId]);
    expect(run.parentSpanId).toBe(start.spanContext().spanId);
    expect(schedule.parentSpanId).toBe(run.spanContext().spanId);
    expect(execute.parentSpanId).toBe(schedule.spanContext().spanId);
    expect(run.resource.attributes['service.name']).toBe('payflow-test');

    // The run carried the trace context to its activity (its history says so, so a replay makes the same choice).
    const workflowId = String(execute.attributes.temporalWorkflowId);
    const handle = stack.client.workflow.getHandle(workflowId);
    expect(await patchesOf(handle)).toContain(SPANS_ONLY_WHEN_TRACED_PATCH);
    expect(await activityHeaderNames(handle)).toEqual([[TRACE_HEADER]]);
    recordHistory(workflowId, 'wiring-check-traced');
  });

  it('keeps OpenTelemetry out of a run started without a trace context, even on a worker with tracing on', async () => {
    const workflowId = wiringCheckWorkflowId(randomUUID());
    await stack.client.workflow.execute(wiringCheck, { taskQueue: stack.taskQueue, workflowId, args: [{ requestedBy: 'test' }] });
    const handle = stack.client.workflow.getHandle(workflowId);
    expect(await patchesOf(handle)).toContain(SPANS_ONLY_WHEN_TRACED_PATCH);
    expect(await activityHeaderNames(handle)).toEqual([[]]);
    const spansOfRun = exporter.getFinishedSpans().filter((sp) => sp.attributes.temporalWorkflowId === workflowId);
    // The activity's own span (the worker's activity interceptor, outside the sandbox) is still there, on its own.
    expect(spansOfRun.map((sp) => sp.name)).toEqual(['RunActivity:recordWiringCheck']);
  });
});
