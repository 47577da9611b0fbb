/**
 * What a run says about itself in the Temporal UI ("current details"), in plain words: money formatted, the end of a
 * wait in the practice's time zone, the day of a long wait. Workflow-safe (Intl and the workflow API only).
 * Details are not commands: changing their wording never breaks a replay. The daily refresh of a long wait adds
 * timers, so it is behind patched('daily-wait-details').
 */
import { condition, patched, setCurrentDetails } from '@temporalio/workflow';
import { isTimeZone } from '../domain/dates';

export const DAY_MS = 86_400_000;
/** Runs started before the practice's time zone became a workflow input have none: their times read in UTC. */
export const DEFAULT_TIME_ZONE = 'UTC';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-12-01 17:00 PST`: a wall-clock time in the practice's time zone with its abbreviation. */
export function formatWallTime(epochMs: number, timeZone: string): string {
  const tz = isTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    });
    formatters.set(tz, f);
  }
  const parts = f.formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

/** `day 12 of 120` for a wait of several days; undefined for a wait of a day or less. */
export function dayOfWait(startMs: number, nowMs: number, windowMs: number): string | undefined {
  if (windowMs <= DAY_MS) return undefined;
  const total = Math.ceil(windowMs / DAY_MS);
  const day = Math.min(total, Math.floor(Math.max(0, nowMs - startMs) / DAY_MS) + 1);
  return `day ${day} of ${total}`;
}

/** "waiting for the claim's responsibility transfer, day 12 of 120" (the caller adds "until …"). */
export function transferWaitDetails(startMs: number, nowMs: number, windowMs: number): string {
  const day = dayOfWait(startMs, nowMs, windowMs);
  return `waiting for the claim's responsibility transfer${day ? `, ${day}` : ''}`;
}

/**
 * condition(fn, timeoutMs) that wakes once a day to refresh the run's details with `describe(now)`: a wait of 120
 * days then reads "day 12 of 120" on day 12. Same answer as condition: true when fn became true, false on timeout.
 * Runs that reached this wait before the daily refresh existed (no marker in their history) wait in one piece.
 * `leaveAtWake`, asked after each daily refresh, ends the wait there (false, as on a timeout) when it says so: how a
 * run already waiting takes a later patch at its next wake (it must issue no command when it answers false).
 */
export async function conditionWithDailyDetails(
  fn: () => boolean, timeoutMs: number, describe: (nowMs: number) => string, leaveAtWake?: () => boolean,
): Promise<boolean> {
  if (timeoutMs <= DAY_MS || !patched('daily-wait-details')) return condition(fn, timeoutMs);
  const ends = Date.now() + timeoutMs;
  for (;;) {
    const remaining = ends - Date.now();
    if (remaining <= 0) return false;
    if (await condition(fn, Math.min(remaining, DAY_MS))) return true;
    setCurrentDetails(describe(Date.now()));
    if (leaveAtWake?.()) return false;
  }
}

/**
 * One leg of a wait that re-reads the truth at every wake (the copay's `waits-reread-claim` patch): condition(fn) for
 * at most `recheckMs` of the `remainingMs` left. True when fn became true, false when it woke on the clock (a recheck
 * or the end of the window); either way the caller re-reads and decides. A wait of several days (`windowMs`) keeps the
 * daily details ("day 12 of 120", under the same `daily-wait-details` patch): they are refreshed at each timed wake.
 */
export async function conditionUntilRecheck(
  fn: () => boolean, remainingMs: number, recheckMs: number, windowMs: number, describe: (nowMs: number) => string,
): Promise<boolean> {
  const daily = windowMs > DAY_MS && patched('daily-wait-details');
  if (await condition(fn, Math.min(remainingMs, recheckMs))) return true;
  if (daily) setCurrentDetails(describe(Date.now()));
  return false;
}
