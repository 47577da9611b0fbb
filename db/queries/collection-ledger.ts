/** What a collection did to the ledger: its payment, where the money went, and the staff tasks it opened. */
import type { Db } from '../connection';

export async function collectionLedger(db: Db, collectionId: string) {
  const payment = await db('payments')
    .where({ collection_id: collectionId })
    .first<{ id: string; external_id: string; amount_cents: number; method: string; paid_at: Date; payment_date: string } | undefined>(
      'id', 'external_id', 'amount_cents', 'method', 'paid_at', 'payment_date',
    );
  const applications = payment
    ? await db('payment_applications as a')
        .leftJoin('application_reversals as r', 'r.application_id', 'a.id')
        .where('a.payment_id', payment.id)
        .orderBy('a.created_at')
        .select<{ id: string; claim_id: string; amount_cents: number; kind: string; created_at: Date; reversed_at: Date | null }[]>(
          'a.id', 'a.claim_id', 'a.amount_cents', 'a.kind', 'a.created_at', 'r.created_at as reversed_at',
        )
    : [];
  const tasks = await db('manual_tasks')
    .where({ collection_id: collectionId })
    .orderBy('created_at')
    .select<{ id: string; reason: string; status: string; resolution: string | null; created_at: Date; resolved_at: Date | null }[]>(
      'id', 'reason', 'status', 'resolution', 'created_at', 'resolved_at',
    );
  return {
    payment: payment && {
      paymentId: payment.id, externalPaymentId: payment.external_id, amountCents: payment.amount_cents, method: payment.method,
      paidAt: payment.paid_at, paymentDate: payment.payment_date,
    },
    applications: applications.map((a) => ({
      applicationId: a.id, claimId: a.claim_id, amountCents: a.amount_cents, kind: a.kind, createdAt: a.created_at,
      reversed: a.reversed_at !== null, reversedAt: a.reversed_at,
    })),
    appliedCents: applications.filter((a) => a.reversed_at === null).reduce((s, a) => s + a.amount_cents, 0),
    openTask: tasks.find((t) => t.status === 'open') ?? null,
    tasks,
  };
}
