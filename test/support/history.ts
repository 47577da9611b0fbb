/** Reading a run's history in tests: the CLI's export, its patch markers, its activities' headers; recording it. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { temporal } from '@temporalio/proto';
import { sharedStack } from './shared-stack';

type HistoryHandle = { fetchHistory(): Promise<temporal.api.history.v1.IHistory> };

/** The run's history as the Temporal CLI exports it (the same JSON the Web UI downloads). */
export function showHistory(workflowId: string): string {
  const { temporalCliPath, temporalAddress } = sharedStack();
  return execFileSync(temporalCliPath, ['workflow', 'show', '--workflow-id', workflowId, '--address', temporalAddress, '--output', 'json'], { encoding: 'utf8' });
}

/**
 * Writes the run's history to test/replay/histories/<name>.json when RECORD_HISTORIES=1. Names carry no version:
 * rename the file with the next version suffix (see test/replay/README.md), so a recording never overwrites one.
 */
export function recordHistory(workflowId: string, name: string): void {
  if (!process.env.RECORD_HISTORIES) return;
  writeFileSync(join(__dirname, '../replay/histories', `${name}.json`), showHistory(workflowId));
}

/** The patches a run took so far (its patch markers). */
export async function patchesOf(handle: HistoryHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [])
    .map((p) => (JSON.parse(Buffer.from(p.data!).toString()) as { id: string }).id);
}

/** For each activity the run scheduled, the names of the headers it carried. */
export async function activityHeaderNames(handle: HistoryHandle): Promise<string[][]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [Object.keys(e.activityTaskScheduledEventAttributes.header?.fields ?? {})] : []));
}
