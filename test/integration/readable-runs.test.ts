/**
 * Readable runs: what an engineer sees in the Temporal UI for a copay collection. Current details in plain words with
 * money formatted and waits ending on the practice's wall clock; "day N of M" during a long transfer wait (the daily
 * refresh is behind a patch: the fresh history is replayed here); activity summaries; search attributes that the
 * saved visibility queries of docs/operations.md find.
 * Records the `copay-daily-details` replay history when RECORD_HISTORIES=1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { useTestStack } from '../support/harness';
import { eventually, seedScenario, transferToPatient } from '../support/fixtures';
import { capture, collectionWhen, remit } from '../support/copay-driver';
import { sharedStack } from '../support/shared-stack';
import { TEST_CODEC, TEST_DATA_CONVERTER } from '../support/codec';
import { setupTracing } from '../../lib/tracing';
import { workerSinks } from '../../worker/telemetry';
import { DAY_MS } from '../../workflows/run-details';
import { patchesOf, recordHistory } from '../support/history';
import { startBalance } from '../support/balance-driver';

const ROOT = join(__dirname, '../..');
const WALL_TIME = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2} P[SD]T`;

describe('readable runs in the Temporal UI', () => {
  const stack = useTestStack();
  const detailsOf = async (workflowId: string) =>
    (await stack.client.workflow.getHandle(workflowId).query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;

  it('says what it waits for, in words, until when on the practice clock, and which day of a long wait it is', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20', timeZone: 'America/Los_Angeles' });
    const app = stack.makeApp({ windows: { captureWindowMs: DAY_MS, transferWindowMs: 3 * DAY_MS, reversalWatchMs: 3000 } });
    const started = (await request(app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 2500 }).expect(201)).body;
    const handle = stack.client.workflow.getHandle(started.workflowId);

    expect(await detailsOf(started.workflowId)).toMatch(new RegExp(`^waiting for the EHR to capture \\$25\\.00 until ${WALL_TIME}$`));
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(`Superbill copay of $25.00 for visit ${s.visitId} (collection ${started.collectionId})`);

    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    const waiting = await eventually(async () => {
      const d = await detailsOf(started.workflowId);
      return d.startsWith("waiting for the claim's") ? d : undefined;
    });
    expect(waiting).toMatch(new RegExp(`^waiting for the claim's responsibility transfer, day 1 of 3 until ${WALL_TIME}$`));
    // Remit only once the run is in its wait (it took the daily-refresh patch): earlier, it would read the transfer
    // from the claim row before waiting at all.
    await eventually(async () => ((await patchesOf(handle)).includes('daily-wait-details') ? true : undefined), 20_000, 'the transfer wait');

    await remit(stack, transferToPatient(s, 4500));
    await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(await detailsOf(started.workflowId)).toMatch(new RegExp(`^applied \\$25\\.00 to the claim; watching for a payer reversal until ${WALL_TIME}$`));
    await handle.result();

    // Activity summaries, decoded as the UI decodes them (through the codec).
    const history = await handle.fetchHistory();
    const summaries: string[] = [];
    for (const e of history.events ?? []) {
      const summary = e.activityTaskScheduledEventAttributes ? e.userMetadata?.summary : undefined;
      if (summary) summaries.push(defaultPayloadConverter.fromPayload<string>((await TEST_CODEC.decode([summary]))[0]!));
    }
    expect(summaries).toEqual(expect.arrayContaining([
      'open the EHR payment request (Patient Payment tool, pre-filled)',
      'record status awaiting_capture on the collection',
      expect.stringMatching(/^record the captured payment: \$25\.00 by card \(EHR payment .+\)$/),
      "read the payment and its visit's claim",
      expect.stringMatching(/^apply \$25\.00 to claim [0-9a-f-]{36}$/),
      'record status applied on the collection',
    ]));

    // The daily refresh took its patch; the history replays against today's code (with the codec, as recorded).
    expect(await patchesOf(handle)).toEqual(expect.arrayContaining(['status-visible-after-write', 'daily-wait-details']));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: sharedStack().workflowBundlePath }, dataConverter: TEST_DATA_CONVERTER, sinks: workerSinks(setupTracing({ serviceName: 'replay' })) },
      history, started.workflowId,
    );
    recordHistory(started.workflowId, 'copay-daily-details');
  });

  it('shows a balance run\'s wait on the practice clock too', async () => {
    const s = await seedScenario(stack.db, { timeZone: 'America/Los_Angeles' });
    const started = await startBalance(stack, s, { amountCents: 1500 });
    expect(await detailsOf(started.workflowId)).toMatch(new RegExp(`^waiting for the EHR to capture \\$15\\.00 until ${WALL_TIME}$`));
  });

  it('is found by the saved visibility queries of docs/operations.md', async () => {
    const s = await seedScenario(stack.db);
    const started = (await request(stack.app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents: 1200 }).expect(201)).body;
    const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const queries = [...doc.matchAll(/^```sql visibility\n([\s\S]*?)```/gm)].map((m) => m[1]!.trim());
    expect(queries.length).toBeGreaterThanOrEqual(6);
    const fill = (q: string) => q
      .replaceAll('<practiceId>', s.practiceId).replaceAll('<visitId>', s.visitId).replaceAll('<collectionId>', started.collectionId)
      .replace(/<(today|since|cutoff)[^>]*>/g, '2026-01-01T00:00:00Z');
    // Every saved query is valid on a real server (a typo would fail here)…
    for (const q of queries) await expect(stack.client.workflow.count(fill(q))).resolves.toBeDefined();
    // …and the one for "this practice's collections waiting for a capture" finds this run.
    const waiting = queries.find((q) => q.includes('"awaiting_capture"') && q.includes('<practiceId>'))!;
    await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of stack.client.workflow.list({ query: fill(waiting) })) ids.push(wf.workflowId);
      return ids.includes(started.workflowId) ? true : undefined;
    });
    await request(stack.app).post(`/v1/collections/${started.collectionId}/cancel`).set(s.auth('frontDesk')).send({ reason: 'test over' }).expect(200);
  });
});
