/**
 * Reports for billing: the open credits with their age against the 30-day refund deadline, and the open manual tasks
 * by reason and age; each as data (JSON, the reports page) and as CSV text. For the JSON API
 * (api/routes/staff-reports.ts) and the staff pages alike.
 */
import type { Db } from '../db/connection';
import { practiceSettings } from '../db/queries/practice-settings';
import { openCredits } from '../db/queries/reports';
import type { Staff } from '../db/queries/staff';
import { listTasks } from '../db/queries/tasks';
import type { ManualReason } from '../domain/application-rules';
import { localDateOf } from '../domain/dates';
import { AGE_BUCKETS, ageBucket, creditAge, MANUAL_REASONS, REASON_LABELS, type AgeBucket, type CreditAge } from '../domain/manual-tasks';
import { CREDIT_REFUND_DEADLINE_DAYS } from '../domain/task-resolution';
import { centsToDecimal, toCsv } from '../lib/csv';

async function asOf(db: Db, staff: Staff): Promise<string> {
  return localDateOf(new Date(), (await practiceSettings(db, staff.practiceId)).timeZone);
}

export async function openCreditsReport(db: Db, staff: Staff) {
  const credits = (await openCredits(db, staff.practiceId)).map((c) => ({ ...c, credit: creditAge(c.paymentDate, c.ageDays) }));
  const overdue = credits.filter((c) => c.credit.overdue);
  return {
    asOf: await asOf(db, staff),
    deadlineDays: CREDIT_REFUND_DEADLINE_DAYS,
    credits,
    totals: {
      count: credits.length,
      unappliedCents: credits.reduce((s, c) => s + c.unappliedCents, 0),
      overdueCount: overdue.length,
      overdueCents: overdue.reduce((s, c) => s + c.unappliedCents, 0),
    },
  };
}

export async function manualTasksReport(db: Db, staff: Staff) {
  const { tasks } = await listTasks(db, staff.practiceId, { status: 'open', limit: 100_000 });
  const rows = tasks.map((t) => ({
    taskId: t.taskId, reason: t.reason, reasonLabel: REASON_LABELS[t.reason], createdAt: t.createdAt, ageDays: t.ageDays, ageBucket: ageBucket(t.ageDays),
    patient: t.patient, amountCents: t.amountCents, credit: t.credit ? creditAge(t.credit.paymentDate, t.credit.ageDays) : null,
    assignee: t.assignee,
  }));
  const byReason = MANUAL_REASONS.map((reason: ManualReason) => {
    const mine = rows.filter((r) => r.reason === reason);
    return {
      reason, label: REASON_LABELS[reason], count: mine.length, amountCents: mine.reduce((s, r) => s + r.amountCents, 0),
      byAge: Object.fromEntries(AGE_BUCKETS.map((b) => [b.key, mine.filter((r) => r.ageBucket === b.key).length])) as Record<AgeBucket, number>,
    };
  });
  return {
    asOf: await asOf(db, staff),
    byReason,
    tasks: rows,
    totals: { count: rows.length, amountCents: rows.reduce((s, r) => s + r.amountCents, 0) },
  };
}

const deadlineText = (c: CreditAge | null) => (c ? (c.overdue ? `overdue by ${-c.daysLeft} days` : `${c.daysLeft} days left`) : '');

export function openCreditsCsv(report: Awaited<ReturnType<typeof openCreditsReport>>): string {
  return toCsv(
    ['payment_id', 'ehr_payment_id', 'patient_id', 'patient_name', 'payment_reason', 'method', 'payment_date', 'age_days', 'refund_deadline', 'deadline_status',
      'amount_dollars', 'amount_cents', 'applied_dollars', 'applied_cents', 'refunded_dollars', 'refunded_cents', 'unapplied_dollars', 'unapplied_cents', 'open_task_reason'],
    report.credits.map((c) => [
      c.paymentId, c.externalPaymentId, c.patient.externalId, `${c.patient.lastName}, ${c.patient.firstName}`, c.reason, c.method, c.paymentDate, c.ageDays,
      c.credit.deadline, deadlineText(c.credit), centsToDecimal(c.amountCents), c.amountCents, centsToDecimal(c.appliedCents), c.appliedCents,
      centsToDecimal(c.refundedCents), c.refundedCents, centsToDecimal(c.unappliedCents), c.unappliedCents, c.openTask?.reason ?? '',
    ]),
  );
}

export function manualTasksCsv(report: Awaited<ReturnType<typeof manualTasksReport>>): string {
  return toCsv(
    ['task_id', 'reason', 'reason_label', 'opened_at', 'age_days', 'age_bucket', 'patient_id', 'patient_name', 'amount_dollars', 'amount_cents',
      'credit_age_days', 'refund_deadline', 'deadline_status', 'assignee'],
    report.tasks.map((t) => [
      t.taskId, t.reason, t.reasonLabel, t.createdAt, t.ageDays, t.ageBucket, t.patient.externalId, `${t.patient.lastName}, ${t.patient.firstName}`,
      centsToDecimal(t.amountCents), t.amountCents, t.credit?.ageDays ?? null, t.credit?.deadline ?? '', deadlineText(t.credit), t.assignee?.name ?? '',
    ]),
  );
}

