/**
 * Text messages go out only between 08:00 and 21:00 on the practice's wall clock (shared/domain.md; US telemarketing
 * rules use the same window in the recipient's time zone, and the practice's is the one we know). A text that falls
 * outside waits until the next 08:00. Email and mail are not limited.
 *
 * Pure and deterministic (Intl only, no clock of its own): the statement workflow calls it with workflow time.
 */
import { instantOfWallClock, isTimeZone, wallClockOf } from './dates';

/** Texts may go out from 08:00 (inclusive) to 21:00 (exclusive), practice time. */
export const TEXT_WINDOW = { startHour: 8, endHour: 21 } as const;

function requireZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new RangeError('unknown time zone');
}

/** May a text go out at `instant` in a practice in `timeZone`? */
export function isTextAllowed(instant: Date, timeZone: string): boolean {
  requireZone(timeZone);
  const { hour } = wallClockOf(instant.getTime(), timeZone);
  return hour >= TEXT_WINDOW.startHour && hour < TEXT_WINDOW.endHour;
}

/** When a text due at `instant` may go out: `instant` itself inside the window, else the next 08:00 practice time. */
export function nextTextTime(instant: Date, timeZone: string): Date {
  requireZone(timeZone);
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('instant must be a valid date');
  const w = wallClockOf(ms, timeZone);
  if (w.hour >= TEXT_WINDOW.startHour && w.hour < TEXT_WINDOW.endHour) return new Date(ms);
  // Before 08:00: today at 08:00. From 21:00: tomorrow at 08:00 (calendar arithmetic on the wall date).
  const day = new Date(Date.UTC(w.year, w.month - 1, w.day + (w.hour >= TEXT_WINDOW.endHour ? 1 : 0)));
  const at = instantOfWallClock(
    { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: TEXT_WINDOW.startHour, minute: 0, second: 0 },
    timeZone,
  );
  return new Date(Math.max(at, ms));
}
