/**
 * Replays recorded histories of running workflows against today's workflow code. A change that would break a run
 * already in flight (non-determinism) fails here: put it behind patched() instead.
 * Histories are recorded by `RECORD_HISTORIES=1 npx jest test/integration/copay-durability.test.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { sharedStack } from '../support/shared-stack';
import { quietRuntime } from '../support/harness';
import { replayDataConverterFor } from '../support/replay-converter';
import { setupTracing } from '../../lib/tracing';
import { workerSinks } from '../../worker/telemetry';

const DIR = join(__dirname, '../replay/histories');
const histories = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('replay of recorded workflow histories', () => {
  beforeAll(quietRuntime);
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(2);
  });

  it.each(histories)('%s replays deterministically', async (file) => {
    const history: unknown = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
    // The worker's data converter (histories recorded with encryption decode; those recorded before payloads were
    // encrypted replay with PAYLOAD_ACCEPT_PLAINTEXT=true, as such a worker would run) and its sinks
    // (the bundled OpenTelemetry interceptors export through one).
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: sharedStack().workflowBundlePath }, dataConverter: replayDataConverterFor(history), sinks: workerSinks(setupTracing({ serviceName: 'replay' })) },
      history, file,
    );
  });
});
