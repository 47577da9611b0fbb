/**
 * The work queue's vocabulary: the reasons a task is opened for, in plain words, and a credit's age against the 30-day
 * refund deadline. Pure: used by the app layer (app/work-queue.ts, app/reports.ts) and the staff pages alike.
 */
import type { ManualReason } from './application-rules';
import { CREDIT_REFUND_DEADLINE_DAYS } from './task-resolution';

export const MANUAL_REASONS: ManualReason[] = [
  'date_mismatch', 'credit_remaining', 'transfer_timeout', 'claim_reversed', 'amount_mismatch', 'no_open_balance', 'statement_unpaid',
];

/** Plain words for each reason (pages, CSV). */
export const REASON_LABELS: Record<ManualReason, string> = {
  date_mismatch: 'Date of payment ≠ date of service',
  credit_remaining: 'Money left over (credit)',
  transfer_timeout: 'No transfer to the patient in time',
  claim_reversed: 'Claim reversed by the payer',
  amount_mismatch: 'Amount mismatch',
  no_open_balance: 'No open balance',
  statement_unpaid: 'Statement unpaid',
};

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
