/**
 * Wall-clock date-times in a time zone ↔ instants, using only Intl (no date library). A `datetime-local` input
 * gives `YYYY-MM-DDTHH:mm` with no zone; the practice's time zone says which instant that was.
 *
 * Around DST changes a wall-clock time may not exist (spring forward: 02:30 in Los Angeles on the second Sunday
 * of March) or exist twice (fall back: 01:30 on the first Sunday of November). We resolve these like
 * Temporal.ZonedDateTime's default `compatible` disambiguation: a skipped time moves forward by the length of
 * the gap (02:30 → 03:30 PDT), a repeated time takes the earlier instant (01:30 PDT, not 01:30 PST).
 */
import { isTimeZone } from '../../domain/dates';

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallClock { year: number; month: number; day: number; hour: number; minute: number; second: number }

function wallClockOf(epochMs: number, timeZone: string): WallClock {
  const parts = partsFormatter(timeZone).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

const asUtcMs = (w: WallClock) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** The zone's offset from UTC at `epochMs`, in milliseconds (e.g. -8 h for Los Angeles in winter). */
function offsetMs(epochMs: number, timeZone: string): number {
  const whole = Math.floor(epochMs / 1000) * 1000;
  return asUtcMs(wallClockOf(whole, timeZone)) - whole;
}

/** Parses `YYYY-MM-DDTHH:mm[:ss]`; undefined unless it names a real calendar date and time. */
export function parseLocalDateTime(local: string): WallClock | undefined {
  const m = LOCAL_DATE_TIME.exec(local);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  return { year, month, day, hour, minute, second };
}

/** The instant at which clocks in `timeZone` showed `local` (`YYYY-MM-DDTHH:mm`, seconds optional). */
export function localDateTimeToInstant(local: string, timeZone: string): Date {
  const wall = parseLocalDateTime(local);
  if (!wall) throw new RangeError('local date-time must be a real YYYY-MM-DDTHH:mm');
  if (!isTimeZone(timeZone)) throw new RangeError('unknown time zone');
  const wallMs = asUtcMs(wall);
  // The offsets in force a day before and a day after cover any single transition near this wall time.
  const before = offsetMs(wallMs - DAY_MS, timeZone);
  const after = offsetMs(wallMs + DAY_MS, timeZone);
  const candidates = [...new Set([wallMs - before, wallMs - after])]
    .filter((t) => asUtcMs(wallClockOf(t, timeZone)) === wallMs)
    .sort((a, b) => a - b);
  // Repeated: the earlier instant. Skipped: read with the offset from before the gap, which lands after it.
  return new Date(candidates[0] ?? wallMs - before);
}

/** The wall-clock `YYYY-MM-DDTHH:mm` in `timeZone` at `instant`: the value a datetime-local input expects. */
export function instantToLocalDateTime(instant: Date, timeZone: string): string {
  const w = wallClockOf(instant.getTime(), timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(w.year).padStart(4, '0')}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}
