/** Pieces of answers several families share: ids, instants, dates, a patient's name, a credit's age, the task reasons. */
import { z } from 'zod';
import { MANUAL_REASONS } from '../domain/manual-tasks';

/** An id we issued (a UUID). */
export const id = () => z.guid();
/** An instant, ISO 8601 (`2026-11-20T18:30:00.000Z`). */
export const instant = () => z.iso.datetime({ offset: true });
/** A calendar date, `YYYY-MM-DD` (the practice's calendar). */
export const localDate = () => z.iso.date();

export const manualReason = z.enum(MANUAL_REASONS);

export const patientRef = z.strictObject({ patientId: id(), externalId: z.string(), firstName: z.string(), lastName: z.string() });

/** Money held for the patient, against the 30-day refund deadline (domain/manual-tasks.ts `creditAge`). */
export const creditAge = z.strictObject({
  paymentDate: localDate(), ageDays: z.number().int(), deadline: localDate(), daysLeft: z.number().int(), overdue: z.boolean(),
});
