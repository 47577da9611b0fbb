/**
 * Issue 13, item 4: whoever can reach Temporal must not be able to feed a run with a plain-JSON message. Clients and
 * workers refuse unencrypted payloads (lib/codec/plaintext-guard.ts): a capture update sent by a client WITHOUT the
 * codec is rejected before the run accepts it, so nothing is recorded and the real capture still goes through; a
 * plain signal is never handed to the run, which a reset without it repairs (docs/operations.md, "Unencrypted payloads").
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import type { DataConverter, Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { quietRuntime, useTestStack } from '../support/harness';
import { eventually, seedScenario } from '../support/fixtures';
import { capture, collectionWhen, startCopay } from '../support/copay-driver';
import { sharedStack } from '../support/shared-stack';
import { TEST_CODEC, TEST_DATA_CONVERTER } from '../support/codec';
import { MIGRATION_DATA_CONVERTER, replayDataConverterFor } from '../support/replay-converter';
import { setupTracing } from '../../lib/tracing';
import { workerSinks } from '../../worker/telemetry';
import type { CaptureInput, ResponsibilityChange } from '../../workflows/collection-messages';

const REFUSED = /Unknown encoding: refused: unencrypted payload/;

describe('unencrypted payloads sent straight to Temporal', () => {
  const stack = useTestStack();
  let connection: Connection;
  let forger: Client;

  beforeAll(async () => {
    connection = await Connection.connect({ address: sharedStack().temporalAddress });
    // Sends plain JSON (no encryption); reads our encrypted answers only so that the test can say why it was refused.
    const sendPlainReadEncrypted = { encode: (p: Payload[]) => Promise.resolve(p), decode: (p: Payload[]) => TEST_CODEC.decode(p) };
    forger = new Client({ connection, dataConverter: { payloadCodecs: [sendPlainReadEncrypted] } });
  });
  afterAll(() => connection?.close());

  it('a capture update in plain JSON is rejected: the run records no payment and still takes the real capture', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    const forged: CaptureInput = {
      collectionId: started.collectionId, eventId: 'evt-forged-1', externalPaymentId: 'pay-forged-1', amountCents: 2500, method: 'card',
      paidAt: '2026-11-20T17:05:00Z',
    };
    const accepted = async () => ((await stack.client.workflow.getHandle(started.workflowId).fetchHistory()).events ?? [])
      .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    const acceptedBefore = await accepted(); // Collect Now's own update (the payment link)
    const outcome = await Promise.race([
      forger.workflow.getHandle(started.workflowId).executeUpdate('capture', { args: [forged] }).then(() => 'accepted', (err: Error) => err),
      new Promise((resolve) => setTimeout(() => resolve('no answer within 20 s'), 20_000)),
    ]);
    expect(outcome).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((outcome as WorkflowUpdateFailedError).cause?.message).toMatch(REFUSED);
    expect(await stack.db('payments').where({ external_id: 'pay-forged-1' })).toEqual([]);
    expect((await collectionWhen(stack, s, started.collectionId, 'awaiting_capture')).payment ?? null).toBeNull();
    expect(await accepted()).toBe(acceptedBefore); // a rejected update leaves no trace in the history

    const captured = await capture(stack, started.paymentRequest.requestId, '2026-11-20T17:05:00Z');
    expect(captured.delivery).toMatchObject({ status: 200, body: { status: 'accepted' } });
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
  }, 90_000);

  it('a signal in plain JSON never reaches the run: its workflow task fails with the refusal; a reset without it repairs the run', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    const handle = stack.client.workflow.getHandle(started.workflowId);
    let repaired = false;
    try {
      const forged: ResponsibilityChange = { eventId: 'evt-forged-2', responsibility: 'patient' };
      await forger.workflow.getHandle(started.workflowId).signal('responsibilityChanged', forged);
      const failure = await eventually(async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        const encoded = events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.encodedAttributes;
        if (!encoded) return undefined;
        const [decoded] = await TEST_CODEC.decode([encoded]);
        return JSON.parse(Buffer.from(decoded!.data!).toString('utf8')) as { message: string };
      }, 20_000, 'a failed workflow task');
      expect(failure.message).toMatch(REFUSED);
      expect((await collectionWhen(stack, s, started.collectionId, 'awaiting_capture')).payment ?? null).toBeNull();

      // The repair of docs/operations.md: reset to the last completed workflow task before the signal, without signals.
      const events = (await handle.fetchHistory()).events ?? [];
      const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      const lastCompleted = events.slice(0, signalled).reverse().find((e) => e.workflowTaskCompletedEventAttributes)!;
      await stack.client.workflowService.resetWorkflowExecution({
        namespace: 'default', workflowExecution: { workflowId: started.workflowId }, reason: 'forged signal', requestId: randomUUID(),
        workflowTaskFinishEventId: lastCompleted.eventId, resetReapplyExcludeTypes: [temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL],
      });
      const captured = await capture(stack, started.paymentRequest.requestId, '2026-11-20T17:05:00Z');
      expect(captured.delivery).toMatchObject({ status: 200, body: { status: 'accepted' } });
      await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
      repaired = true;
    } finally {
      if (!repaired) await handle.terminate('forged signal test failed').catch(() => undefined); // its tasks would fail until reset
    }
  }, 90_000);
});

describe('histories written before encryption', () => {
  beforeAll(quietRuntime);

  it('replay only with the migration flag PAYLOAD_ACCEPT_PLAINTEXT=true', async () => {
    const file = 'copay-applied-reversed-reapplied-v1.json'; // recorded before payloads were encrypted
    const history: unknown = JSON.parse(readFileSync(join(__dirname, '../replay/histories', file), 'utf8'));
    const replay = (dataConverter: DataConverter) => Worker.runReplayHistory(
      { workflowBundle: { codePath: sharedStack().workflowBundlePath }, dataConverter, sinks: workerSinks(setupTracing({ serviceName: 'replay' })) },
      history, file,
    );
    await expect(replay(TEST_DATA_CONVERTER)).rejects.toThrow(/Replay failed/);
    expect(replayDataConverterFor(history)).toBe(MIGRATION_DATA_CONVERTER);
    await replay(MIGRATION_DATA_CONVERTER);
  });
});

