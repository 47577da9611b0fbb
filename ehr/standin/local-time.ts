/**
 * Wall-clock date-times in a time zone ↔ instants, using only Intl (no date library). A `datetime-local` input
 * gives `YYYY-MM-DDTHH:mm` with no zone; the practice's time zone says which instant that was.
 *
 * Around DST changes a wall-clock time may not exist (spring forward: 02:30 in Los Angeles on the second Sunday
 * of March) or exist twice (fall back: 01:30 on the first Sunday of November). We resolve these like
 * Temporal.ZonedDateTime's default `compatible` disambiguation: a skipped time moves forward by the length of
 * the gap (02:30 → 03:30 PDT), a repeated time takes the earlier instant (01:30 PDT, not 01:30 PST).
 */
import { instantOfWallClock, isTimeZone, wallClockOf, type WallClock } from '../../domain/dates';

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

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
  return new Date(instantOfWallClock(wall, timeZone));
}

/** The wall-clock `YYYY-MM-DDTHH:mm` in `timeZone` at `instant`: the value a datetime-local input expects. */
export function instantToLocalDateTime(instant: Date, timeZone: string): string {
  const w = wallClockOf(instant.getTime(), timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(w.year).padStart(4, '0')}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}
