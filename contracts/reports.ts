/** Reports for billing: open credits with their age, open manual tasks by reason and age; JSON and CSV. */
import { z } from 'zod';
import { AGE_BUCKETS, type AgeBucket } from '../domain/manual-tasks';
import { centsOut } from './cents';
import { creditAge, id, instant, localDate, manualReason, patientRef } from './common';
import { apiErrors, csvFile, json, type Operation } from './operation';

const ageBucket = z.enum(AGE_BUCKETS.map((b) => b.key) as [AgeBucket, ...AgeBucket[]]);

export const openCreditsReportSchema = z.strictObject({
  asOf: localDate(),
  deadlineDays: z.number().int(),
  credits: z.array(z.strictObject({
    paymentId: id(), externalPaymentId: z.string(), patient: patientRef, reason: z.string(), method: z.string(), paymentDate: localDate(),
    amountCents: centsOut, appliedCents: centsOut, refundedCents: centsOut, unappliedCents: centsOut,
    ageDays: z.number().int().meta({ description: 'calendar days since the payment date' }),
    openTask: z.strictObject({ taskId: id(), reason: manualReason }).nullable().meta({ description: 'the open task about this payment, if any' }),
    credit: creditAge,
  })),
  totals: z.strictObject({ count: z.number().int(), unappliedCents: centsOut, overdueCount: z.number().int(), overdueCents: centsOut }),
});

export const manualTasksReportSchema = z.strictObject({
  asOf: localDate(),
  byReason: z.array(z.strictObject({
    reason: manualReason, label: z.string(), count: z.number().int(), amountCents: centsOut, byAge: z.record(ageBucket, z.number().int()),
  })),
  tasks: z.array(z.strictObject({
    taskId: id(), reason: manualReason, reasonLabel: z.string(), createdAt: instant(), ageDays: z.number().int(), ageBucket,
    patient: patientRef, amountCents: centsOut, credit: creditAge.nullable(), assignee: z.strictObject({ staffId: id(), name: z.string() }).nullable(),
  })),
  totals: z.strictObject({ count: z.number().int(), amountCents: centsOut }),
});

const billing = '(billing or admin)';

export const reportOperations: Operation[] = [
  {
    method: 'get', path: '/v1/reports/open-credits',
    summary: `Open credits (payments with money unapplied) with their age against the 30-day refund deadline, and totals ${billing}`,
    responses: { 200: json('report', openCreditsReportSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/reports/open-credits.csv',
    summary: `The open credits as CSV ${billing}: header row, RFC 4180 quoting, dollars with 2 places and a cents column`,
    responses: { 200: csvFile('open credits'), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/reports/manual-tasks',
    summary: `Open manual tasks by reason and age (0-7, 8-14, 15-30, over 30 days), with each task ${billing}`,
    responses: { 200: json('report', manualTasksReportSchema), ...apiErrors },
  },
  { method: 'get', path: '/v1/reports/manual-tasks.csv', summary: `The open manual tasks as CSV ${billing}`, responses: { 200: csvFile('open manual tasks'), ...apiErrors } },
];
