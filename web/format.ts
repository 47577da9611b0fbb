/**
 * Dates as every page prints them (the patient portal, the printable statement, the staff pages): a calendar date in
 * words, and an instant on the practice's wall clock.
 */
import { dateInWords } from '../domain/dates';

/** "2026-09-14" → "Sep 14, 2026". */
export const formatDate = dateInWords;

/** An instant on the practice's wall clock: "Nov 28, 2026, 10:42 AM". */
export function formatInstant(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(instant);
}
