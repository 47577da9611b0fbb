/**
 * Text messages go out only between 08:00 and 21:00 on the practice's wall clock (shared/domain.md; US telemarketing
 * rules use the same window in the recipient's time zone, and the practice's is the one we know). A text that falls
 * outside waits until the next 08:00. Email and mail are not limited.
 *
 * Pure and deterministic (Intl only, no clock of its own): the statement workflow calls it with workflow time.
 */
import { isTimeZone } from './dates';

/** Texts may go out from 08:00 (inclusive) to 21:00 (exclusive), practice time. */
export const TEXT_WINDOW = { startHour: 8, endHour: 21 } as const;

interface WallClock { year: number; month: number; day: number; hour: number; minute: number; second: number }

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock in `timeZone` at `ms` (milliseconds since the epoch). */
function wallClock(ms: number, timeZone: string): WallClock {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

const asUtc = (w: WallClock) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** The instant clocks in `timeZone` show `w`; a wall time skipped by a DST change is read with the offset before it. */
function instantOf(w: WallClock, timeZone: string): number {
  const target = asUtc(w);
  const offsetAt = (ms: number) => asUtc(wallClock(ms, timeZone)) - Math.floor(ms / 1000) * 1000;
  const first = target - offsetAt(target);
  const second = target - offsetAt(first);
  // Both guesses showing the wall time: the earlier; neither (a skipped time): the one from the earlier offset.
  const hits = [first, second].filter((t) => asUtc(wallClock(t, timeZone)) === target).sort((a, b) => a - b);
  return hits[0] ?? Math.max(first, second);
}

function requireZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new RangeError('unknown time zone');
}

/** May a text go out at `instant` in a practice in `timeZone`? */
export function isTextAllowed(instant: Date, timeZone: string): boolean {
  requireZone(timeZone);
  const { hour } = wallClock(instant.getTime(), timeZone);
  return hour >= TEXT_WINDOW.startHour && hour < TEXT_WINDOW.endHour;
}

/** When a text due at `instant` may go out: `instant` itself inside the window, else the next 08:00 practice time. */
export function nextTextTime(instant: Date, timeZone: string): Date {
  requireZone(timeZone);
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('instant must be a valid date');
  const w = wallClock(ms, timeZone);
  if (w.hour >= TEXT_WINDOW.startHour && w.hour < TEXT_WINDOW.endHour) return new Date(ms);
  // Before 08:00: today at 08:00. From 21:00: tomorrow at 08:00 (calendar arithmetic on the wall date).
  const day = new Date(Date.UTC(w.year, w.month - 1, w.day + (w.hour >= TEXT_WINDOW.endHour ? 1 : 0)));
  const at = instantOf(
    { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: TEXT_WINDOW.startHour, minute: 0, second: 0 },
    timeZone,
  );
  return new Date(Math.max(at, ms));
}
