/**
 * Calendar dates are the practice's: a card captured at 19:30 in Los Angeles on the date of service is on the
 * date of service, although it is already the next day in UTC. Never derive a date from UTC.
 * Uses only Intl, so it is safe in workflow code too.
 */

/** A calendar date, `YYYY-MM-DD`. */
export type LocalDate = string;

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLocalDate(value: unknown): value is LocalDate {
  if (typeof value !== 'string') return false;
  const m = LOCAL_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The calendar date of `instant` on the practice's wall calendar. */
export function localDateOf(instant: Date, timeZone: string): LocalDate {
  const parts = formatterFor(timeZone).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** A wall-clock reading: what clocks in some time zone show. */
export interface WallClock { year: number; month: number; day: number; hour: number; minute: number; second: number }

const wallFormatters = new Map<string, Intl.DateTimeFormat>();
function wallFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = wallFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    wallFormatters.set(timeZone, f);
  }
  return f;
}

/** What clocks in `timeZone` show at `epochMs`. */
export function wallClockOf(epochMs: number, timeZone: string): WallClock {
  const parts = wallFormatter(timeZone).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

const asUtcMs = (w: WallClock) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
const DAY_MS = 86_400_000;

function offsetMs(epochMs: number, timeZone: string): number {
  const whole = Math.floor(epochMs / 1000) * 1000;
  return asUtcMs(wallClockOf(whole, timeZone)) - whole;
}

/**
 * The instant at which clocks in `timeZone` show `w`, disambiguated like Temporal.ZonedDateTime's `compatible`:
 * a time repeated by a DST change takes the earlier instant; a skipped time is read with the offset from before
 * the gap, which lands after it (02:30 → 03:30 PDT).
 */
export function instantOfWallClock(w: WallClock, timeZone: string): number {
  const wallMs = asUtcMs(w);
  // The offsets in force a day before and a day after cover any single transition near this wall time.
  const before = offsetMs(wallMs - DAY_MS, timeZone);
  const after = offsetMs(wallMs + DAY_MS, timeZone);
  const candidates = [...new Set([wallMs - before, wallMs - after])]
    .filter((t) => asUtcMs(wallClockOf(t, timeZone)) === wallMs)
    .sort((a, b) => a - b);
  return candidates[0] ?? wallMs - before;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A calendar date in words, as every page and letter prints it: "2026-09-14" → "Sep 14, 2026". */
export function dateInWords(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return date;
  return `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${Number(m[3])}, ${m[1]}`;
}
