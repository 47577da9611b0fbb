/**
 * The outbox of refund requests to the EHR (migration 007). A row is written in the transaction that records the
 * refund (exactly once per refund); the `ehrRefundRequest` workflow delivers it through the EHR adapter, whose
 * idempotency key is the refund id, and marks it sent.
 */
import type { Db } from '../connection';
import type { Cents } from '../../domain/money';
import { RowNotFound } from '../errors';
import { writeAudit } from './audit';

/** Enqueues the EHR refund request of a refund (idempotent by the refund id). */
export async function enqueueEhrRefundRequest(db: Db, input: { refundId: string; taskId: string | null; actor: string }): Promise<{ requestId: string; created: boolean }> {
  const refund = await db('refunds as f')
    .join('payments as p', 'p.id', 'f.payment_id')
    .where('f.id', input.refundId)
    .first<{ id: string; amount_cents: number; practice_id: string } | undefined>('f.id', 'f.amount_cents', 'p.practice_id');
  if (!refund) throw new RowNotFound('refund');
  const [row] = await db('ehr_refund_requests')
    .insert({ refund_id: refund.id, task_id: input.taskId, practice_id: refund.practice_id, amount_cents: refund.amount_cents })
    .onConflict('refund_id')
    .ignore()
    .returning<{ id: string }[]>('id');
  if (!row) {
    const existing = await db('ehr_refund_requests').where({ refund_id: refund.id }).first<{ id: string }>('id');
    return { requestId: existing.id, created: false };
  }
  await writeAudit(db, {
    practiceId: refund.practice_id, actor: input.actor, action: 'ehr_refund_request.queued', entityType: 'ehr_refund_request', entityId: row.id,
    before: null, after: { refundId: refund.id, taskId: input.taskId, amountCents: refund.amount_cents, status: 'pending' },
  });
  return { requestId: row.id, created: true };
}

export interface EhrRefundContext {
  requestId: string;
  refundId: string;
  status: 'pending' | 'sent';
  ehrRefundRequestId: string | null;
  amountCents: Cents;
  practiceId: string;
  practiceExternalId: string;
  patientExternalId: string;
  externalPaymentId: string;
}

/** What the EHR needs to refund: external ids and the amount (no PHI of our own, no notes). */
export async function ehrRefundContext(db: Db, refundId: string): Promise<EhrRefundContext> {
  const row = await db('ehr_refund_requests as q')
    .join('refunds as f', 'f.id', 'q.refund_id')
    .join('payments as p', 'p.id', 'f.payment_id')
    .join('practices as pr', 'pr.id', 'p.practice_id')
    .join('patients as pt', 'pt.id', 'p.patient_id')
    .where('q.refund_id', refundId)
    .first<{ id: string; refund_id: string; status: 'pending' | 'sent'; ehr_refund_request_id: string | null; amount_cents: number; practice_id: string; practice_external_id: string; patient_external_id: string; payment_external_id: string } | undefined>(
      'q.id', 'q.refund_id', 'q.status', 'q.ehr_refund_request_id', 'q.amount_cents', 'q.practice_id', 'pr.external_id as practice_external_id',
      'pt.external_id as patient_external_id', 'p.external_id as payment_external_id',
    );
  if (!row) throw new RowNotFound('EHR refund request');
  return {
    requestId: row.id, refundId: row.refund_id, status: row.status, ehrRefundRequestId: row.ehr_refund_request_id, amountCents: row.amount_cents,
    practiceId: row.practice_id, practiceExternalId: row.practice_external_id, patientExternalId: row.patient_external_id, externalPaymentId: row.payment_external_id,
  };
}

/** Marks the request sent (once; a repeat keeps the first answer). */
export async function markEhrRefundRequestSent(db: Db, input: { refundId: string; ehrRefundRequestId: string; actor: string }): Promise<{ changed: boolean }> {
  return db.transaction(async (trx) => {
    const [row] = await trx('ehr_refund_requests')
      .where({ refund_id: input.refundId, status: 'pending' })
      .update({ status: 'sent', ehr_refund_request_id: input.ehrRefundRequestId, sent_at: trx.fn.now() })
      .returning<{ id: string; practice_id: string }[]>(['id', 'practice_id']);
    if (!row) return { changed: false };
    await writeAudit(trx, {
      practiceId: row.practice_id, actor: input.actor, action: 'ehr_refund_request.sent', entityType: 'ehr_refund_request', entityId: row.id,
      before: { status: 'pending' }, after: { status: 'sent', ehrRefundRequestId: input.ehrRefundRequestId },
    });
    return { changed: true };
  });
}

/** The refund requests of a task (newest refund first): for the API to start their delivery. */
export async function ehrRefundRequestsOfTask(db: Db, taskId: string): Promise<{ refundId: string; status: 'pending' | 'sent' }[]> {
  const rows = await db('ehr_refund_requests').where({ task_id: taskId }).orderBy('created_at', 'desc').select<{ refund_id: string; status: 'pending' | 'sent' }[]>('refund_id', 'status');
  return rows.map((r) => ({ refundId: r.refund_id, status: r.status }));
}
