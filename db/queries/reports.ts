/**
 * Reports for billing: the credits the practice holds (unapplied money, a liability with a refund deadline) and the
 * manual tasks by reason and age. Ages are calendar days on the practice's calendar.
 */
import type { Db } from '../connection';
import type { ManualReason } from '../../domain/application-rules';
import type { Cents } from '../../domain/money';

const APPLIED_OF_PAYMENT = `coalesce((select sum(a.amount_cents) from payment_applications a
   where a.payment_id = p.id and not exists (select 1 from application_reversals r where r.application_id = a.id)), 0)`;
const REFUNDED_OF_PAYMENT = '(select coalesce(sum(f.amount_cents), 0) from refunds f where f.payment_id = p.id)';
const TODAY = '(now() at time zone pr.time_zone)::date';

export interface OpenCredit {
  paymentId: string;
  externalPaymentId: string;
  patient: { patientId: string; externalId: string; firstName: string; lastName: string };
  reason: string;
  method: string;
  paymentDate: string;
  amountCents: Cents;
  appliedCents: Cents;
  refundedCents: Cents;
  unappliedCents: Cents;
  /** Calendar days since the payment date. */
  ageDays: number;
  /** The open task about this payment, if any. */
  openTask: { taskId: string; reason: ManualReason } | null;
}

/** Every payment of the practice with money unapplied, oldest payment date first. */
export async function openCredits(db: Db, practiceId: string, patientId?: string): Promise<OpenCredit[]> {
  const { rows } = await db.raw<{ rows: {
    id: string; external_id: string; patient_id: string; patient_external_id: string; first_name: string; last_name: string; reason: string;
    method: string; payment_date: string; amount_cents: number; applied: number; refunded: number; age: number; task_id: string | null; task_reason: ManualReason | null;
  }[] }>(
    `select * from (
       select p.id, p.external_id, pt.id as patient_id, pt.external_id as patient_external_id, pt.first_name, pt.last_name, p.reason, p.method,
              p.payment_date, p.amount_cents, ${APPLIED_OF_PAYMENT}::int as applied, ${REFUNDED_OF_PAYMENT}::int as refunded,
              (${TODAY} - p.payment_date)::int as age,
              (select t.id from manual_tasks t where t.payment_id = p.id and t.status = 'open' order by t.created_at, t.id limit 1) as task_id,
              (select t.reason from manual_tasks t where t.payment_id = p.id and t.status = 'open' order by t.created_at, t.id limit 1) as task_reason,
              p.created_at
         from payments p join practices pr on pr.id = p.practice_id join patients pt on pt.id = p.patient_id
        where p.practice_id = ?${patientId ? ' and p.patient_id = ?' : ''}) x
      where x.amount_cents - x.applied - x.refunded > 0
      order by x.payment_date, x.created_at, x.id`,
    patientId ? [practiceId, patientId] : [practiceId],
  );
  return rows.map((r) => ({
    paymentId: r.id, externalPaymentId: r.external_id,
    patient: { patientId: r.patient_id, externalId: r.patient_external_id, firstName: r.first_name, lastName: r.last_name },
    reason: r.reason, method: r.method, paymentDate: r.payment_date, amountCents: r.amount_cents, appliedCents: r.applied,
    refundedCents: r.refunded, unappliedCents: r.amount_cents - r.applied - r.refunded, ageDays: r.age,
    openTask: r.task_id && r.task_reason ? { taskId: r.task_id, reason: r.task_reason } : null,
  }));
}

/** A patient's payments with money unapplied (the credits on their account), oldest first. */
export async function patientCredits(db: Db, practiceId: string, patientId: string): Promise<OpenCredit[]> {
  return openCredits(db, practiceId, patientId);
}
