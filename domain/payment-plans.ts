/**
 * Payment plans (issue 18; docs/card-on-file-and-plans.md "Payment plans"), the rules as pure functions:
 * - the schedule: from the balance, an installment amount or a number of installments, the interval and the first due
 *   date on the practice's calendar: every installment the same amount, the last one takes the remainder; due dates on
 *   the practice's calendar (a monthly plan keeps the first date's day of the month, clamped to the month's end: Jan 31
 *   → Feb 28 → Mar 31), each charged at CHARGE_HOUR o'clock there;
 * - the practice's limits (smallest installment, longest plan), refused with the field and the reason;
 * - where a skipped installment goes (one interval after the last);
 * - the processor's idempotency key of an attempt.
 * No I/O and no clock (the caller passes `nowMs`); workflow-safe (Intl only, through domain/dates.ts).
 */
import { dateInWords, instantOfWallClock, isLocalDate, localDateOf, type LocalDate } from './dates';
import { formatCents, type Cents, MAX_PAYMENT_CENTS } from './money';

export const PLAN_STATUSES = ['active', 'paused', 'cancelled', 'completed', 'defaulted'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
export const INSTALLMENT_STATES = ['scheduled', 'pending', 'paid', 'failed', 'skipped'] as const;
export type InstallmentState = (typeof INSTALLMENT_STATES)[number];
export const NEW_CHARGES_POLICIES = ['join_plan', 'next_statement'] as const;
export type NewChargesPolicy = (typeof NEW_CHARGES_POLICIES)[number];

/** A plan that still runs (at most one per patient). */
export const isLivePlan = (s: PlanStatus) => s === 'active' || s === 'paused';

/** The local hour at which an installment due on a calendar date is charged (a morning charge, not midnight). */
export const CHARGE_HOUR = 9;
/** The most installments a plan may have, whatever the interval. */
export const MAX_INSTALLMENTS = 120;

/**
 * The time between installments, as a PostgreSQL interval holds it: exactly one of months, days and seconds is set.
 * Months and days are calendar steps on the practice's calendar; seconds (tests only) are plain elapsed time.
 */
export interface PlanInterval { months: number; days: number; seconds: number }

export const MONTHLY: PlanInterval = { months: 1, days: 0, seconds: 0 };

export function isPlanInterval(i: PlanInterval): boolean {
  const parts = [i.months, i.days, i.seconds];
  return parts.every((p) => Number.isSafeInteger(p) && p >= 0) && parts.filter((p) => p > 0).length === 1;
}

/** "monthly", "every 2 months", "every 14 days", "every 2 seconds". */
export function describeInterval(i: PlanInterval): string {
  if (i.months === 1) return 'monthly';
  if (i.months > 1) return `every ${i.months} months`;
  if (i.days === 7) return 'weekly';
  if (i.days > 0) return `every ${i.days} days`;
  return `every ${i.seconds} second${i.seconds === 1 ? '' : 's'}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function parts(date: LocalDate): { y: number; m: number; d: number } {
  const match = DATE.exec(date);
  if (!match || !isLocalDate(date)) throw new TypeError('date must be a calendar date YYYY-MM-DD');
  return { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
}

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** `date` plus `months` calendar months, keeping its day of the month, clamped to the month's last day. */
export function addMonthsClamped(date: LocalDate, months: number): LocalDate {
  const { y, m, d } = parts(date);
  const index = y * 12 + (m - 1) + months;
  const ny = Math.floor(index / 12);
  const nm = (index % 12) + 1;
  return `${pad(ny, 4)}-${pad(nm)}-${pad(Math.min(d, daysInMonth(ny, nm)))}`;
}

export function addCalendarDays(date: LocalDate, days: number): LocalDate {
  const { y, m, d } = parts(date);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** The instant an installment due on `date` is charged: CHARGE_HOUR o'clock on the practice's calendar. */
export function chargeInstantOf(date: LocalDate, timeZone: string): number {
  const { y, m, d } = parts(date);
  return instantOfWallClock({ year: y, month: m, day: d, hour: CHARGE_HOUR, minute: 0, second: 0 }, timeZone);
}

export interface ScheduledInstallment {
  sequence: number;
  amountCents: Cents;
  /** YYYY-MM-DD on the practice's calendar. */
  dueDate: LocalDate;
  /** When the run charges it (epoch ms). */
  dueAtMs: number;
}

/**
 * The `index`-th due (0 = the first). Calendar intervals count from the first due date (a monthly plan started on
 * Jan 31 is due Feb 28, then Mar 31: never drifting to the 28th). A seconds interval (tests) counts from `startMs`:
 * the first due one interval after it.
 */
export function dueOf(index: number, o: { firstDueDate: LocalDate; interval: PlanInterval; timeZone: string; startMs: number }): { dueDate: LocalDate; dueAtMs: number } {
  if (o.interval.seconds > 0) {
    const dueAtMs = o.startMs + (index + 1) * o.interval.seconds * 1000;
    return { dueDate: localDateOf(new Date(dueAtMs), o.timeZone), dueAtMs };
  }
  const dueDate = o.interval.months > 0 ? addMonthsClamped(o.firstDueDate, index * o.interval.months) : addCalendarDays(o.firstDueDate, index * o.interval.days);
  return { dueDate, dueAtMs: chargeInstantOf(dueDate, o.timeZone) };
}

export interface ScheduleInput {
  totalCents: Cents;
  /** Either the amount of each installment (the last takes the remainder)… */
  installmentCents?: Cents;
  /** …or how many installments (equal, the last takes the remainder). */
  installments?: number;
  interval: PlanInterval;
  firstDueDate: LocalDate;
  timeZone: string;
  /** Now, for a seconds interval (tests), which counts from it. */
  startMs: number;
}

export interface FieldProblem { field: string; reason: string }

export type ScheduleResult =
  | { ok: true; installmentCents: Cents; installments: ScheduledInstallment[] }
  | { ok: false; problems: FieldProblem[] };

/** The amounts: n − 1 equal installments and the last with the remainder (never 0, never more than the others' amount when given one). */
export function splitAmounts(totalCents: Cents, by: { installmentCents: Cents } | { installments: number }): { installmentCents: Cents; amounts: Cents[] } {
  if ('installmentCents' in by) {
    const count = Math.ceil(totalCents / by.installmentCents);
    const last = totalCents - (count - 1) * by.installmentCents;
    return { installmentCents: by.installmentCents, amounts: [...Array<number>(count - 1).fill(by.installmentCents), last] };
  }
  const base = Math.floor(totalCents / by.installments);
  const last = totalCents - base * (by.installments - 1);
  return { installmentCents: base, amounts: [...Array<number>(by.installments - 1).fill(base), last] };
}

/** The schedule, or what is wrong with the request (fields named as the API names them). */
export function planSchedule(i: ScheduleInput): ScheduleResult {
  const problems: FieldProblem[] = [];
  if (!Number.isSafeInteger(i.totalCents) || i.totalCents <= 0 || i.totalCents > MAX_PAYMENT_CENTS) problems.push({ field: 'totalCents', reason: 'must be a positive whole number of cents' });
  if ((i.installmentCents === undefined) === (i.installments === undefined)) {
    problems.push({ field: 'installmentCents', reason: 'give either installmentCents or installments, not both' });
  }
  if (i.installmentCents !== undefined && (!Number.isSafeInteger(i.installmentCents) || i.installmentCents <= 0)) {
    problems.push({ field: 'installmentCents', reason: 'must be a positive whole number of cents' });
  }
  if (i.installments !== undefined && (!Number.isSafeInteger(i.installments) || i.installments < 2 || i.installments > MAX_INSTALLMENTS)) {
    problems.push({ field: 'installments', reason: `must be a whole number from 2 to ${MAX_INSTALLMENTS}` });
  }
  if (!isPlanInterval(i.interval)) problems.push({ field: 'interval', reason: 'must be a whole number of months, days or seconds' });
  if (!isLocalDate(i.firstDueDate)) problems.push({ field: 'firstDueDate', reason: 'must be a calendar date YYYY-MM-DD' });
  if (problems.length > 0) return { ok: false, problems };

  if (i.installmentCents !== undefined && i.installmentCents >= i.totalCents) {
    return { ok: false, problems: [{ field: 'installmentCents', reason: `must be less than the balance (${formatCents(i.totalCents)}): a plan has at least 2 installments` }] };
  }
  if (i.installments !== undefined && i.installments > i.totalCents) {
    return { ok: false, problems: [{ field: 'installments', reason: 'must not exceed the balance in cents' }] };
  }
  const split = splitAmounts(i.totalCents, i.installmentCents !== undefined ? { installmentCents: i.installmentCents } : { installments: i.installments! });
  if (split.amounts.length > MAX_INSTALLMENTS) {
    return { ok: false, problems: [{ field: 'installmentCents', reason: `makes ${split.amounts.length} installments; at most ${MAX_INSTALLMENTS}` }] };
  }
  const installments = split.amounts.map((amountCents, index) => ({ sequence: index + 1, amountCents, ...dueOf(index, i) }));
  return { ok: true, installmentCents: split.installmentCents, installments };
}

export interface PlanLimits {
  /** The smallest installment the practice accepts (the last, the remainder, may be smaller). */
  minInstallmentCents: Cents;
  /** The longest plan: installments × interval within this many months of the first due date. */
  maxMonths: number;
}

/**
 * The practice's limits. The length of a plan is its installments times its interval, counted from the first due date:
 * 12 monthly installments make 12 months (within a 12-month limit), 13 do not. `field` names what the caller chose.
 */
export function checkPlanLimits(
  s: { installmentCents: Cents; count: number; interval: PlanInterval; firstDueDate: LocalDate },
  limits: PlanLimits,
  field: 'installmentCents' | 'installments',
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (s.installmentCents < limits.minInstallmentCents) {
    problems.push({ field, reason: `makes installments of ${formatCents(s.installmentCents)}, below the practice's minimum of ${formatCents(limits.minInstallmentCents)}` });
  }
  if (s.interval.seconds === 0) {
    const end = s.interval.months > 0 ? addMonthsClamped(s.firstDueDate, s.count * s.interval.months) : addCalendarDays(s.firstDueDate, s.count * s.interval.days);
    const limit = addMonthsClamped(s.firstDueDate, limits.maxMonths);
    if (end > limit) {
      problems.push({ field, reason: `makes a plan of ${s.count} installments ${describeInterval(s.interval)}, longer than the practice's limit of ${limits.maxMonths} months` });
    }
  }
  return problems;
}

/** The due of an installment appended at the end (a skip): one interval after the last one. */
export function nextDueAfter(last: { dueDate: LocalDate; dueAtMs: number }, o: { interval: PlanInterval; timeZone: string; firstDueDate: LocalDate; sequence: number; startMs: number }): { dueDate: LocalDate; dueAtMs: number } {
  if (o.interval.seconds > 0) {
    const dueAtMs = last.dueAtMs + o.interval.seconds * 1000;
    return { dueDate: localDateOf(new Date(dueAtMs), o.timeZone), dueAtMs };
  }
  // Calendar intervals: the sequence's own place counted from the first due date keeps month-end clamping stable.
  const byPlace = dueOf(o.sequence - 1, o);
  if (byPlace.dueDate > last.dueDate) return byPlace;
  const dueDate = o.interval.months > 0 ? addMonthsClamped(last.dueDate, o.interval.months) : addCalendarDays(last.dueDate, o.interval.days);
  return { dueDate, dueAtMs: chargeInstantOf(dueDate, o.timeZone) };
}

/** The business key of one attempt at one installment, also the processor's idempotency key. */
export function planChargeKey(planId: string, sequence: number, attempt: number): string {
  return `plan:${planId}:installment:${sequence}:a${attempt}`;
}

/** "installment 2 of 3, $40.00, due 2027-01-15". */
export function installmentDetails(i: { sequence: number; amountCents: Cents; dueDate: LocalDate }, count: number): string {
  return `installment ${i.sequence} of ${count}, ${formatCents(i.amountCents)}, due ${i.dueDate}`;
}

/** What a statement says about the patient's live plan (its claims are not on the statement: docs/card-on-file-and-plans.md). */
export interface PlanNote {
  status: 'active' | 'paused';
  /** What the installments still to be charged add up to (scheduled and being charged). */
  leftCents: Cents;
  last4: string;
  /** The next installment to be charged (the earliest scheduled or being charged). */
  next: { amountCents: Cents; dueDate: LocalDate };
  /** Some of the statement's claims are the plan's (a statement opened before the plan was made keeps them). */
  onStatement: boolean;
}

/**
 * The statement's line about the plan, so a patient does not read the statement's total as all they owe, nor pay the
 * plan's claims twice: "Not on this statement: $80.00 left in your payment plan, paid with the card ending 4242. Next
 * installment: $40.00 on Jan 15, 2027." A statement that has some of the plan's visits says so instead (paying them
 * there is fine: an installment never charges more than the plan's claims still owe).
 */
export function planNoteText(n: PlanNote): string {
  const left = n.onStatement
    ? `Some visits on this statement are in your payment plan, which has ${formatCents(n.leftCents)} left`
    : `Not on this statement: ${formatCents(n.leftCents)} left in your payment plan`;
  const how = n.status === 'paused'
    ? `${left}; it is paused: nothing is charged until it resumes. Please call the billing office about it.`
    : `${left}, paid with the card ending ${n.last4}. Next installment: ${formatCents(n.next.amountCents)} on ${dateInWords(n.next.dueDate)}.`;
  return n.onStatement ? `${how} If you pay for those visits here, the plan charges that much less.` : how;
}

/**
 * A new charge joining a live plan (the practice's `join_plan` policy): its amount is spread evenly over the
 * installments still to come that were never tried (each raised by an equal share, the last taking the remainder),
 * so the plan ends on the same date; when none is left (the last one is being charged, or all are settled), it is
 * added at the end as extra installments of the plan's installment amount (the last takes the remainder).
 */
export function spreadNewCharge(
  upcoming: { sequence: number; amountCents: Cents }[],
  addCents: Cents,
  installmentCents: Cents,
): { raised: { sequence: number; amountCents: Cents }[]; appended: Cents[] } {
  if (!Number.isSafeInteger(addCents) || addCents <= 0) return { raised: [], appended: [] };
  if (upcoming.length === 0) return { raised: [], appended: splitOrWhole(addCents, installmentCents) };
  const share = Math.floor(addCents / upcoming.length);
  const rest = addCents - share * upcoming.length;
  return {
    raised: upcoming.map((u, i) => ({ sequence: u.sequence, amountCents: u.amountCents + share + (i === upcoming.length - 1 ? rest : 0) })),
    appended: [],
  };
}

function splitOrWhole(totalCents: Cents, installmentCents: Cents): Cents[] {
  if (installmentCents <= 0 || totalCents <= installmentCents) return [totalCents];
  return splitAmounts(totalCents, { installmentCents }).amounts;
}
