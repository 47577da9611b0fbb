/**
 * The work queue's vocabulary: the reasons a task is opened for, in plain words, and a credit's age against the 30-day
 * refund deadline. Pure: used by the app layer (app/work-queue.ts, app/reports.ts) and the staff pages alike.
 */
import { CREDIT_REFUND_DEADLINE_DAYS } from './task-resolution';

/** Why a task is opened: the one list (the schema's check constraint was written from it, db/migrations/001). */
export const MANUAL_REASONS = [
  'date_mismatch', 'credit_remaining', 'transfer_timeout', 'claim_reversed', 'amount_mismatch', 'no_open_balance', 'statement_unpaid', 'card_expired', 'plan_defaulted',
] as const;
export type ManualReason = (typeof MANUAL_REASONS)[number];
export const isManualReason = (value: string): value is ManualReason => (MANUAL_REASONS as readonly string[]).includes(value);

/** Plain words for each reason (pages, CSV). */
export const REASON_LABELS: Record<ManualReason, string> = {
  date_mismatch: 'Date of payment ≠ date of service',
  credit_remaining: 'Money left over (credit)',
  transfer_timeout: 'No transfer to the patient in time',
  claim_reversed: 'Claim reversed by the payer',
  amount_mismatch: 'Amount mismatch',
  no_open_balance: 'No open balance',
  statement_unpaid: 'Statement unpaid',
  card_expired: 'Card on file expired',
  plan_defaulted: 'Payment plan in default',
};

/** A task's age in the reports (days since it was opened): the columns staff read across, the last past the deadline. */
export const AGE_BUCKETS = [
  { key: '0-7', label: '0–7 days', min: 0, max: 7 },
  { key: '8-14', label: '8–14 days', min: 8, max: 14 },
  { key: '15-30', label: '15–30 days', min: 15, max: 30 },
  { key: '31+', label: 'over 30 days', min: 31, max: Number.POSITIVE_INFINITY },
] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number]['key'];
export const ageBucket = (days: number): AgeBucket => AGE_BUCKETS.find((b) => days >= b.min && days <= b.max)?.key ?? '0-7';

// The 30-day refund deadline of a credit

/** `date` + `days`, on the calendar (pure date arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export interface CreditAge { paymentDate: string; ageDays: number; deadline: string; daysLeft: number; overdue: boolean }

export function creditAge(paymentDate: string, ageDays: number): CreditAge {
  const daysLeft = CREDIT_REFUND_DEADLINE_DAYS - ageDays;
  return { paymentDate, ageDays, deadline: addDays(paymentDate, CREDIT_REFUND_DEADLINE_DAYS), daysLeft, overdue: daysLeft < 0 };
}
