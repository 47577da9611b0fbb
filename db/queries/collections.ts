/** Collections: one row per Collect Now, with a status projection the workflow keeps current. */
import type { Db } from '../connection';
import type { Cents } from '../../domain/money';
import { CLOSED_STATUSES, isClosedStatus, type CollectionStatus } from '../../domain/collections';
import { RowNotFound } from '../errors';
import { copayWorkflowIdBase } from '../../domain/workflow-ids';


export interface CollectionRow {
  id: string;
  practice_id: string;
  patient_id: string;
  visit_id: string | null;
  path: 'copay' | 'balance' | 'statement';
  workflow_id: string;
  requested_amount_cents: Cents;
  status: string;
  payment_request_id: string | null;
  payment_request_url: string | null;
  /** Balance path: the claims the payment names, applied to first (migration 004); empty for other paths. */
  named_claim_ids?: string[];
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** Live = not expired or cancelled: at most one per visit for copays (partial unique index). */
export async function findLiveCopayCollection(db: Db, visitId: string): Promise<CollectionRow | undefined> {
  return db('collections')
    .where({ visit_id: visitId, path: 'copay' })
    .whereNotIn('status', CLOSED_STATUSES)
    .first<CollectionRow | undefined>();
}

/**
 * Inserts a copay collection unless a live one exists for the visit (the partial unique index decides races).
 * Its workflow id comes from the visit and the attempt: copay-<visitId> first, copay-<visitId>-2 after an expired
 * or cancelled one, so every message by workflow id reaches exactly this collection's run.
 */
export async function createCopayCollection(
  db: Db,
  c: { practiceId: string; patientId: string; visitId: string; amountCents: Cents; createdBy: string },
): Promise<{ collection: CollectionRow; created: boolean }> {
  const inserted = await db.raw<{ rows: CollectionRow[] }>(
    `insert into collections (practice_id, patient_id, visit_id, path, workflow_id, requested_amount_cents, created_by)
     select :practiceId, :patientId, :visitId, 'copay',
            case when attempt = 1 then :baseId else :baseId || '-' || attempt end, :amountCents, :createdBy
       from (select count(*) + 1 as attempt from collections where visit_id = :visitId and path = 'copay') prior
     on conflict (visit_id) where path = 'copay' and status not in ('expired', 'cancelled') do nothing
     returning *`,
    { ...c, baseId: copayWorkflowIdBase(c.visitId) },
  ).catch((err: unknown) => {
    // Two presses at the same instant can both pass ON CONFLICT's pre-check; the loser then trips over the winner's
    // workflow id (it waited for the winner's commit), and the winner's row is the answer.
    if ((err as { constraint?: string }).constraint === 'collections_workflow_id_unique') return { rows: [] as CollectionRow[] };
    throw err;
  });
  if (inserted.rows[0]) return { collection: inserted.rows[0], created: true };
  const existing = await findLiveCopayCollection(db, c.visitId);
  if (!existing) throw new Error('copay collection vanished between insert and read');
  return { collection: existing, created: false };
}

export async function getCollection(db: Db, id: string, practiceId?: string): Promise<CollectionRow | undefined> {
  const q = db('collections').where({ id });
  if (practiceId) void q.andWhere({ practice_id: practiceId });
  return q.first<CollectionRow | undefined>();
}

export const isClosed = (c: Pick<CollectionRow, 'status'>) => isClosedStatus(c.status);

/** What the EHR needs to open a payment request pre-filled: external ids, not PHI of our own. */
export async function paymentRequestContext(db: Db, collectionId: string) {
  const row = await db('collections as c')
    .join('practices as pr', 'pr.id', 'c.practice_id')
    .join('patients as pt', 'pt.id', 'c.patient_id')
    .leftJoin('visits as v', 'v.id', 'c.visit_id')
    .where('c.id', collectionId)
    .first<{ practice_external_id: string; patient_external_id: string; visit_external_id: string | null; path: string; amount_cents: Cents } | undefined>(
      'pr.external_id as practice_external_id', 'pt.external_id as patient_external_id', 'v.external_id as visit_external_id',
      'c.path', 'c.requested_amount_cents as amount_cents',
    );
  if (!row) throw new ReferenceError(`unknown collection ${collectionId}`);
  return row;
}

/** A visit's collections (its copays: one live at most, then those expired or cancelled before it), newest first. */
export async function collectionsOfVisit(db: Db, visitId: string, practiceId: string): Promise<CollectionRow[]> {
  return db('collections').where({ visit_id: visitId, practice_id: practiceId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
}

/** Visit + practice settings needed to start a copay collection, scoped to the caller's practice. */
export async function visitForCollection(db: Db, visitId: string, practiceId: string) {
  return db('visits as v')
    .join('practices as pr', 'pr.id', 'v.practice_id')
    .where({ 'v.id': visitId, 'v.practice_id': practiceId })
    .first<{ id: string; patient_id: string; practice_id: string; time_zone: string } | undefined>('v.id', 'v.patient_id', 'v.practice_id', 'pr.time_zone');
}


export interface CollectionForPayment {
  collectionId: string;
  practiceId: string;
  patientId: string;
  visitId: string | null;
  path: 'copay' | 'balance' | 'statement';
  /** The practice's IANA time zone. */
  timeZone: string;
}

export async function collectionForPayment(db: Db, collectionId: string): Promise<CollectionForPayment> {
  const row = await db('collections as c')
    .join('practices as p', 'p.id', 'c.practice_id')
    .where('c.id', collectionId)
    .first<{ id: string; practice_id: string; patient_id: string; visit_id: string | null; path: CollectionForPayment['path']; time_zone: string } | undefined>(
      'c.id', 'c.practice_id', 'c.patient_id', 'c.visit_id', 'c.path', 'p.time_zone',
    );
  if (!row) throw new RowNotFound('collection');
  return {
    collectionId: row.id, practiceId: row.practice_id, patientId: row.patient_id, visitId: row.visit_id, path: row.path,
    timeZone: row.time_zone,
  };
}

export interface SetCollectionStatusInput {
  collectionId: string;
  status: CollectionStatus;
  paymentRequestId?: string;
  paymentRequestUrl?: string;
  /** When the run's wait in this status ends (ISO instant); absent: no clock (and for runs started before it was sent). */
  waitingUntil?: string;
  actor: string;
}

/**
 * Updates the projection; a status change is audited (ids and statuses only, never the payment-request URL).
 * One statement (it runs three times per collection): the row lock, the update and the audit row commit together,
 * and `changed` compares with the status the lock saw. The path is returned for metric labels.
 */
export async function setCollectionStatus(db: Db, input: SetCollectionStatusInput): Promise<{ changed: boolean; path: CollectionRow['path'] }> {
  const { rows } = await db.raw<{ rows: { previous: CollectionStatus; path: CollectionRow['path'] }[] }>(
    `with prev as (
       select id, practice_id, path, status from collections where id = :id for update
     ), updated as (
       update collections c
          set status = :status, updated_at = now(),
              payment_request_id = coalesce(:requestId, c.payment_request_id),
              payment_request_url = coalesce(:requestUrl, c.payment_request_url),
              waiting_until = cast(:waitingUntil as timestamptz)
         from prev where c.id = prev.id
     ), audited as (
       insert into audit_log (practice_id, actor, action, entity_type, entity_id, before, after)
       select practice_id, :actor, 'collection.status_changed', 'collection', id,
              jsonb_build_object('status', status), jsonb_build_object('status', cast(:status as text))
         from prev where status <> :status
     )
     select status as previous, path from prev`,
    {
      id: input.collectionId, status: input.status, actor: input.actor,
      requestId: input.paymentRequestId ?? null, requestUrl: input.paymentRequestUrl ?? null, waitingUntil: input.waitingUntil ?? null,
    },
  );
  const row = rows[0];
  if (!row) throw new RowNotFound('collection');
  return { changed: row.previous !== input.status, path: row.path };
}

/**
 * Collections still `starting` (no EHR request yet) that nobody has looked at for `olderThanMs`: the reconciler makes
 * sure each has its run (the API may have died, or Temporal been down, between the insert and the start). Oldest first.
 */
export async function startingCollectionsToCheck(db: Db, olderThanMs: number, limit: number): Promise<(CollectionRow & { time_zone: string })[]> {
  return db('collections as c')
    .join('practices as p', 'p.id', 'c.practice_id')
    .where('c.status', 'starting')
    .whereIn('c.path', ['copay', 'balance'])
    .where('c.created_at', '<', db.raw('now() - make_interval(secs => ?)', [olderThanMs / 1000]))
    .whereRaw('coalesce(c.start_checked_at, c.created_at) < now() - make_interval(secs => ?)', [olderThanMs / 1000])
    .orderBy('c.created_at')
    .limit(limit)
    .select<(CollectionRow & { time_zone: string })[]>('c.*', 'p.time_zone');
}

export async function markStartChecked(db: Db, collectionId: string): Promise<void> {
  await db('collections').where({ id: collectionId }).update({ start_checked_at: db.fn.now() });
}
