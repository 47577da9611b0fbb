/** The wiring check (admin): runs the wiring-check workflow end to end (API → Temporal → worker → activity → PostgreSQL). */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { wiringCheckStart } from '../workflows/starts/wiring-check';

export async function runWiringCheck(deps: { temporal: Client; taskQueue: string }) {
  const start = wiringCheckStart(randomUUID(), deps.taskQueue);
  return deps.temporal.workflow.execute(start.workflow, start.options);
}
