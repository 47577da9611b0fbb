/**
 * The daily statement batch as a Temporal Schedule: every day at 17:00 UTC (09:00 in Los Angeles in winter) it runs
 * `statementBatch` for every practice, which generates the statements due this cycle and starts their workflows.
 * Idempotent per cycle, so a run missed and caught up, or run twice, does no harm.
 *
 *   npx tsx scripts/statement-schedule.ts     creates the schedule, or updates it to the current settings
 * (reads the service configuration: TEMPORAL_*, PAYLOAD_KEYS, PUBLIC_BASE_URL, STATEMENT_REMINDER_*, CAPTURE_WINDOW).
 * The local stack creates it at start-up.
 */
import { Client, Connection, ScheduleAlreadyRunning, type ScheduleOptions } from '@temporalio/client';
import { dataConverterFor, payloadCodecFor } from '../lib/codec';
import { loadServiceConfig } from '../lib/config';
import { temporalConnectionOptions } from '../lib/temporal';
import type { StatementBatchInput } from '../workflows/statement-batch';
import { STATEMENT_SCHEDULE_ID, statementScheduleAction } from '../workflows/starts/statement-batch';

export { STATEMENT_SCHEDULE_ID };

export async function ensureStatementSchedule(client: Client, o: { taskQueue: string; settings: StatementBatchInput['settings']; hourUtc?: number }): Promise<'created' | 'updated'> {
  const spec: ScheduleOptions['spec'] = { calendars: [{ hour: o.hourUtc ?? 17, minute: 0, comment: 'daily statement batch' }] };
  // How each run is started (its workflow id, search attribute, task queue): workflows/starts/statement-batch.ts.
  const action = statementScheduleAction(o.settings, o.taskQueue);
  try {
    await client.schedule.create({
      scheduleId: STATEMENT_SCHEDULE_ID, spec, action,
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
      memo: { purpose: 'statements due this cycle, every practice' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(STATEMENT_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}

async function main() {
  const config = loadServiceConfig();
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(payloadCodecFor(config)) });
    const outcome = await ensureStatementSchedule(client, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      settings: { publicBaseUrl: config.PUBLIC_BASE_URL, reminderIntervalMs: config.STATEMENT_REMINDER_INTERVAL, reminderLimit: config.STATEMENT_REMINDER_LIMIT, captureWindowMs: config.CAPTURE_WINDOW },
    });
    console.log(`statement schedule ${STATEMENT_SCHEDULE_ID} ${outcome}`);
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`statement schedule failed: ${err.message}`);
    process.exit(1);
  });
}
