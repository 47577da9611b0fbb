/**
 * The staff work queue's reads and its one in-place change besides resolution (assignment). Every read is scoped to
 * the caller's practice: another practice's task is simply not found. Ages are counted in calendar days on the
 * practice's calendar (never UTC): a task's age from the day it was opened, a credit's age from its payment date.
 *
 * Assignment is audited (who, when, before → after); resolution is done by the ledger (db/queries/ledger.ts
 * resolveManualTask), exactly once by a conditional update.
 */
import type { Db } from '../connection';
import type { ManualReason } from '../../domain/application-rules';
import type { Cents } from '../../domain/money';
import type { ResolutionClaim } from '../../domain/task-resolution';
import { RowNotFound, StateConflict } from '../errors';
import { writeAudit } from './audit';

export interface TaskRow {
  id: string; practice_id: string; patient_id: string; payment_id: string | null; visit_id: string | null;
  claim_id: string | null; collection_id: string | null; statement_id: string | null; workflow_id: string | null; reason: string;
  status: string; resolution: string | null; resolution_note: string | null; resolved_by: string | null; assignee: string | null;
  assigned_at: Date | null; created_at: Date; resolved_at: Date | null;
}

export async function getTask(db: Db, id: string, practiceId: string): Promise<TaskRow | undefined> {
  return db('manual_tasks').where({ id, practice_id: practiceId }).first<TaskRow | undefined>();
}

/** Standing applications of a payment (not reversed). */
const APPLIED_OF_PAYMENT = `coalesce((select sum(a.amount_cents) from payment_applications a
   where a.payment_id = p.id and not exists (select 1 from application_reversals r where r.application_id = a.id)), 0)`;
const REFUNDED_OF_PAYMENT = '(select coalesce(sum(f.amount_cents), 0) from refunds f where f.payment_id = p.id)';
/** Standing applications of a claim. */
const APPLIED_OF_CLAIM = `coalesce((select sum(a.amount_cents) from payment_applications a
   where a.claim_id = c.id and not exists (select 1 from application_reversals r where r.application_id = a.id)), 0)`;
/** Today on the practice's calendar (pr = practices). */
const TODAY = '(now() at time zone pr.time_zone)::date';
const TASK_AGE = `(${TODAY} - (t.created_at at time zone pr.time_zone)::date)`;
/** The amount the task was opened for (its audit row), for tasks without a payment (e.g. an unpaid statement). */
const OPENED_AMOUNT = `(select (l.after->>'amountCents')::bigint from audit_log l
   where l.entity_type = 'manual_task' and l.entity_id = t.id::text and l.action = 'task.opened' order by l.id limit 1)`;

export type TaskStatusFilter = 'open' | 'resolved' | 'all';

export interface TaskListFilter {
  status: TaskStatusFilter;
  reasons?: ManualReason[];
  /** A staff user id, or null for unassigned tasks. */
  assignee?: string | null;
  minAgeDays?: number;
  maxAgeDays?: number;
  /** Integrators: one patient's tasks; a claim's (naming it, or opened for its visit); one collection's. */
  patientId?: string;
  claimId?: string;
  collectionId?: string;
  /** Keyset: list tasks after this one (created_at, id). */
  after?: { createdAt: string; id: string };
  limit: number;
}

export interface QueueTask {
  taskId: string;
  reason: ManualReason;
  status: 'open' | 'resolved';
  resolution: string | null;
  createdAt: string;
  /** Calendar days since the task was opened (practice calendar). */
  ageDays: number;
  patient: { patientId: string; externalId: string; firstName: string; lastName: string };
  paymentId: string | null;
  visitId: string | null;
  collectionId: string | null;
  /** The money the task may still place (the payment's unapplied amount), or the amount it was opened for. */
  amountCents: Cents;
  /** Money held for the patient: its age against the refund deadline (null without a payment). */
  credit: { paymentDate: string; ageDays: number } | null;
  assignee: { staffId: string; name: string } | null;
  resolvedAt: string | null;
  /** Opaque position for keyset pagination (created_at with microseconds, id). */
  cursor: { createdAt: string; id: string };
}

interface QueueRow {
  id: string; reason: ManualReason; status: 'open' | 'resolved'; resolution: string | null; created_at: Date; cursor_at: string;
  age_days: number; patient_id: string; patient_external_id: string; first_name: string; last_name: string;
  payment_id: string | null; visit_id: string | null; collection_id: string | null; payment_date: string | null;
  credit_age_days: number | null; unapplied_cents: number | null; opened_amount_cents: number | null;
  assignee: string | null; assignee_name: string | null; resolved_at: Date | null;
}

function queueTask(r: QueueRow): QueueTask {
  return {
    taskId: r.id, reason: r.reason, status: r.status, resolution: r.resolution, createdAt: r.created_at.toISOString(), ageDays: r.age_days,
    patient: { patientId: r.patient_id, externalId: r.patient_external_id, firstName: r.first_name, lastName: r.last_name },
    paymentId: r.payment_id, visitId: r.visit_id, collectionId: r.collection_id,
    amountCents: r.payment_id !== null ? (r.unapplied_cents ?? 0) : (r.opened_amount_cents ?? 0),
    credit: r.payment_date !== null && r.credit_age_days !== null ? { paymentDate: r.payment_date, ageDays: r.credit_age_days } : null,
    assignee: r.assignee ? { staffId: r.assignee, name: r.assignee_name ?? 'a former user' } : null,
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    cursor: { createdAt: r.cursor_at, id: r.id },
  };
}

const QUEUE_COLUMNS = `t.id, t.reason, t.status, t.resolution, t.created_at,
  to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at,
  ${TASK_AGE}::int as age_days,
  pt.id as patient_id, pt.external_id as patient_external_id, pt.first_name, pt.last_name,
  t.payment_id, t.visit_id, t.collection_id, p.payment_date,
  case when p.id is null then null else (${TODAY} - p.payment_date)::int end as credit_age_days,
  case when p.id is null then null else (p.amount_cents - ${APPLIED_OF_PAYMENT} - ${REFUNDED_OF_PAYMENT})::int end as unapplied_cents,
  ${OPENED_AMOUNT}::int as opened_amount_cents,
  t.assignee, su.display_name as assignee_name, t.resolved_at`;

const QUEUE_FROM = `manual_tasks t
  join practices pr on pr.id = t.practice_id
  join patients pt on pt.id = t.patient_id
  left join payments p on p.id = t.payment_id
  left join staff_users su on su.id::text = t.assignee`;

/** Tasks oldest first (then by id), one page; `hasMore` when another page follows. */
export async function listTasks(db: Db, practiceId: string, f: TaskListFilter): Promise<{ tasks: QueueTask[]; hasMore: boolean }> {
  const where: string[] = ['t.practice_id = ?'];
  const params: (string | number)[] = [practiceId];
  if (f.status !== 'all') {
    where.push('t.status = ?');
    params.push(f.status);
  }
  if (f.reasons && f.reasons.length > 0) {
    where.push(`t.reason in (${f.reasons.map(() => '?').join(', ')})`);
    params.push(...f.reasons);
  }
  if (f.assignee === null) where.push('t.assignee is null');
  else if (f.assignee !== undefined) {
    where.push('t.assignee = ?');
    params.push(f.assignee);
  }
  if (f.minAgeDays !== undefined) {
    where.push(`${TASK_AGE} >= ?`);
    params.push(f.minAgeDays);
  }
  if (f.maxAgeDays !== undefined) {
    where.push(`${TASK_AGE} <= ?`);
    params.push(f.maxAgeDays);
  }
  if (f.patientId !== undefined) {
    where.push('t.patient_id = ?');
    params.push(f.patientId);
  }
  if (f.claimId !== undefined) {
    where.push('(t.claim_id = ? or t.visit_id = (select c.visit_id from claims c where c.id = ?))');
    params.push(f.claimId, f.claimId);
  }
  if (f.collectionId !== undefined) {
    where.push('t.collection_id = ?');
    params.push(f.collectionId);
  }
  if (f.after) {
    where.push('(t.created_at, t.id) > (?::timestamptz, ?::uuid)');
    params.push(f.after.createdAt, f.after.id);
  }
  const { rows } = await db.raw<{ rows: QueueRow[] }>(
    `select ${QUEUE_COLUMNS} from ${QUEUE_FROM} where ${where.join(' and ')} order by t.created_at, t.id limit ?`,
    [...params, f.limit + 1],
  );
  return { tasks: rows.slice(0, f.limit).map(queueTask), hasMore: rows.length > f.limit };
}

/** Open tasks of the practice per reason (every reason that has one). */
export async function openTaskCounts(db: Db, practiceId: string): Promise<Partial<Record<ManualReason, number>>> {
  const rows = await db('manual_tasks')
    .where({ practice_id: practiceId, status: 'open' })
    .groupBy('reason')
    .select<{ reason: ManualReason; n: number }[]>('reason', db.raw('count(*)::int as n'));
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

// ---------------------------------------------------------------------------------------------------------------
// One task, with what staff need to resolve it

export interface TaskClaim {
  claimId: string;
  externalId: string;
  visitId: string;
  dateOfService: string;
  payerName: string | null;
  responsibility: 'payer' | 'patient';
  patientResponsibilityCents: Cents;
  appliedCents: Cents;
  openCents: Cents;
}

export interface TaskDetail {
  task: QueueTask & {
    practiceId: string; workflowId: string | null; statementId: string | null; claimId: string | null; timeZone: string;
    assignedAt: string | null; resolutionNote: string | null; resolvedBy: { actor: string; name: string } | null;
  };
  patient: { patientId: string; externalId: string; firstName: string; lastName: string };
  payment: {
    paymentId: string; externalId: string; amountCents: Cents; method: string; reason: string; paidAt: string; paymentDate: string;
    appliedCents: Cents; refundedCents: Cents; unappliedCents: Cents; creditAgeDays: number;
  } | null;
  visit: { visitId: string; externalId: string; dateOfService: string; providerName: string | null; claim: TaskClaim | null } | null;
  /** The patient's claims the patient owns (responsibility transferred) with an open balance: the only ones staff may apply to. */
  claims: TaskClaim[];
  /** What this task's resolution did: manual applications and refunds (with the EHR refund request's state). */
  outcome: {
    applications: { applicationId: string; claimId: string; amountCents: Cents; reversed: boolean; createdAt: string }[];
    refunds: { refundId: string; amountCents: Cents; createdAt: string; ehrRequest: { status: 'pending' | 'sent'; ehrRefundRequestId: string | null; sentAt: string | null } | null }[];
  };
  /** The task's audit trail, oldest first: who, when, before → after. */
  history: { at: string; actor: string; actorName: string | null; action: string; before: unknown; after: unknown }[];
}

interface ClaimRow {
  id: string; external_id: string; visit_id: string; date_of_service: string; payer_name: string | null;
  responsibility: 'payer' | 'patient'; patient_id: string; patient_responsibility_cents: number; applied_cents: number;
}

const CLAIM_COLUMNS = `c.id, c.external_id, c.visit_id, v.date_of_service, c.payer_name, c.responsibility, c.patient_id,
  c.patient_responsibility_cents, ${APPLIED_OF_CLAIM}::int as applied_cents`;

const taskClaim = (c: ClaimRow): TaskClaim => ({
  claimId: c.id, externalId: c.external_id, visitId: c.visit_id, dateOfService: c.date_of_service, payerName: c.payer_name,
  responsibility: c.responsibility, patientResponsibilityCents: c.patient_responsibility_cents, appliedCents: c.applied_cents,
  openCents: Math.max(0, c.patient_responsibility_cents - c.applied_cents),
});

/** The patient's patient-owned claims with an open balance, oldest date of service first. */
export async function eligibleClaims(db: Db, patientId: string): Promise<TaskClaim[]> {
  const { rows } = await db.raw<{ rows: ClaimRow[] }>(
    `select ${CLAIM_COLUMNS} from claims c join visits v on v.id = c.visit_id
      where c.patient_id = ? and c.responsibility = 'patient' and c.patient_responsibility_cents > ${APPLIED_OF_CLAIM}
      order by v.date_of_service, c.id`,
    [patientId],
  );
  return rows.map(taskClaim);
}

/**
 * The states of the named claims as a resolution's rules see them. A claim of another patient, of another practice,
 * or unknown is `ofTaskPatient: false` (nothing more is said about it).
 */
export async function resolutionClaims(db: Db, task: Pick<TaskRow, 'practice_id' | 'patient_id'>, claimIds: string[]): Promise<ResolutionClaim[]> {
  if (claimIds.length === 0) return [];
  const { rows } = await db.raw<{ rows: ClaimRow[] }>(
    `select ${CLAIM_COLUMNS} from claims c join visits v on v.id = c.visit_id
      where c.practice_id = ? and c.id in (${claimIds.map(() => '?::uuid').join(', ')})`,
    [task.practice_id, ...claimIds],
  );
  return claimIds.map((claimId) => {
    const c = rows.find((r) => r.id === claimId);
    if (!c || c.patient_id !== task.patient_id) return { claimId, ofTaskPatient: false, heldBy: 'payer', openCents: 0 };
    return { claimId, ofTaskPatient: true, heldBy: c.responsibility, openCents: Math.max(0, c.patient_responsibility_cents - c.applied_cents) };
  });
}

/** The payment's unapplied cents now (amount − standing applications − refunds). */
export async function unappliedCents(db: Db, paymentId: string): Promise<Cents> {
  const { rows } = await db.raw<{ rows: { cents: number }[] }>(
    `select (p.amount_cents - ${APPLIED_OF_PAYMENT} - ${REFUNDED_OF_PAYMENT})::int as cents from payments p where p.id = ?`,
    [paymentId],
  );
  if (!rows[0]) throw new RowNotFound('payment');
  return rows[0].cents;
}

const staffIdOfActor = (actor: string | null) => (actor && actor.startsWith('staff:') ? actor.slice('staff:'.length) : null);

async function staffNames(db: Db, practiceId: string, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((i): i is string => i !== null && /^[0-9a-f-]{36}$/i.test(i)))];
  if (wanted.length === 0) return new Map();
  const rows = await db('staff_users').where({ practice_id: practiceId }).whereIn('id', wanted).select<{ id: string; display_name: string }[]>('id', 'display_name');
  return new Map(rows.map((r) => [r.id, r.display_name]));
}

export async function taskDetail(db: Db, taskId: string, practiceId: string): Promise<TaskDetail | undefined> {
  const { rows } = await db.raw<{ rows: (QueueRow & TaskRow & { time_zone: string })[] }>(
    `select ${QUEUE_COLUMNS}, t.practice_id, t.workflow_id, t.statement_id, t.claim_id, t.assigned_at, t.resolution_note, t.resolved_by, pr.time_zone
       from ${QUEUE_FROM} where t.id = ? and t.practice_id = ?`,
    [taskId, practiceId],
  );
  const r = rows[0];
  if (!r) return undefined;
  const base = queueTask(r);

  const paymentRow = r.payment_id
    ? (await db.raw<{ rows: { id: string; external_id: string; amount_cents: number; method: string; reason: string; paid_at: Date; payment_date: string; applied: number; refunded: number; age: number }[] }>(
        `select p.id, p.external_id, p.amount_cents, p.method, p.reason, p.paid_at, p.payment_date,
                ${APPLIED_OF_PAYMENT}::int as applied, ${REFUNDED_OF_PAYMENT}::int as refunded, (${TODAY} - p.payment_date)::int as age
           from payments p join practices pr on pr.id = p.practice_id where p.id = ?`,
        [r.payment_id],
      )).rows[0]
    : undefined;
  const payment: TaskDetail['payment'] = paymentRow
    ? {
        paymentId: paymentRow.id, externalId: paymentRow.external_id, amountCents: paymentRow.amount_cents, method: paymentRow.method,
        reason: paymentRow.reason, paidAt: paymentRow.paid_at.toISOString(), paymentDate: paymentRow.payment_date,
        appliedCents: paymentRow.applied, refundedCents: paymentRow.refunded,
        unappliedCents: paymentRow.amount_cents - paymentRow.applied - paymentRow.refunded, creditAgeDays: paymentRow.age,
      }
    : null;

  let visit: TaskDetail['visit'] = null;
  if (r.visit_id) {
    const v = await db('visits').where({ id: r.visit_id }).first<{ id: string; external_id: string; date_of_service: string; provider_name: string | null }>('id', 'external_id', 'date_of_service', 'provider_name');
    const { rows: claimRows } = await db.raw<{ rows: ClaimRow[] }>(
      `select ${CLAIM_COLUMNS} from claims c join visits v on v.id = c.visit_id where c.visit_id = ? order by c.created_at desc, c.id desc limit 1`,
      [r.visit_id],
    );
    visit = { visitId: v.id, externalId: v.external_id, dateOfService: v.date_of_service, providerName: v.provider_name, claim: claimRows[0] ? taskClaim(claimRows[0]) : null };
  }

  const applications = await db('payment_applications as a')
    .leftJoin('application_reversals as r', 'r.application_id', 'a.id')
    .where('a.business_key', 'like', `task:${taskId}:%`)
    .orderBy([{ column: 'a.created_at' }, { column: 'a.id' }])
    .select<{ id: string; claim_id: string; amount_cents: number; created_at: Date; reversal_id: string | null }[]>('a.id', 'a.claim_id', 'a.amount_cents', 'a.created_at', 'r.id as reversal_id');
  const refunds = await db('refunds as f')
    .leftJoin('ehr_refund_requests as q', 'q.refund_id', 'f.id')
    .where('f.business_key', `task:${taskId}:refund`)
    .select<{ id: string; amount_cents: number; created_at: Date; status: 'pending' | 'sent' | null; ehr_refund_request_id: string | null; sent_at: Date | null }[]>(
      'f.id', 'f.amount_cents', 'f.created_at', 'q.status', 'q.ehr_refund_request_id', 'q.sent_at',
    );

  const audit = await db('audit_log')
    .where({ entity_type: 'manual_task', entity_id: taskId })
    .orderBy('id')
    .select<{ at: Date; actor: string; action: string; before: unknown; after: unknown }[]>('at', 'actor', 'action', 'before', 'after');
  const names = await staffNames(db, practiceId, [...audit.map((a) => staffIdOfActor(a.actor)), staffIdOfActor(r.resolved_by)]);
  const nameOf = (actor: string | null) => {
    const id = staffIdOfActor(actor);
    return id ? (names.get(id) ?? null) : null;
  };

  return {
    task: {
      ...base, practiceId: r.practice_id, workflowId: r.workflow_id, statementId: r.statement_id, claimId: r.claim_id, timeZone: r.time_zone,
      assignedAt: r.assigned_at?.toISOString() ?? null, resolutionNote: r.resolution_note,
      resolvedBy: r.resolved_by ? { actor: r.resolved_by, name: nameOf(r.resolved_by) ?? r.resolved_by } : null,
      amountCents: payment ? payment.unappliedCents : base.amountCents,
    },
    patient: base.patient,
    payment,
    visit,
    claims: await eligibleClaims(db, r.patient_id),
    outcome: {
      applications: applications.map((a) => ({ applicationId: a.id, claimId: a.claim_id, amountCents: a.amount_cents, reversed: a.reversal_id !== null, createdAt: a.created_at.toISOString() })),
      refunds: refunds.map((f) => ({
        refundId: f.id, amountCents: f.amount_cents, createdAt: f.created_at.toISOString(),
        ehrRequest: f.status ? { status: f.status, ehrRefundRequestId: f.ehr_refund_request_id, sentAt: f.sent_at?.toISOString() ?? null } : null,
      })),
    },
    history: audit.map((a) => ({ at: a.at.toISOString(), actor: a.actor, actorName: nameOf(a.actor), action: a.action, before: a.before, after: a.after })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment

/**
 * Assigns an open task to a staff user (or unassigns it with null), audited with before → after. A resolved task
 * → StateConflict; another practice's → RowNotFound. Assigning to whoever already has it changes nothing (and writes no audit row).
 */
export async function setAssignee(
  db: Db,
  input: { taskId: string; practiceId: string; assignee: string | null; actor: string },
): Promise<{ changed: boolean; assignee: string | null }> {
  return db.transaction(async (trx) => {
    const current = await trx('manual_tasks')
      .where({ id: input.taskId, practice_id: input.practiceId })
      .forUpdate()
      .first<{ id: string; status: string; assignee: string | null; assigned_at: Date | null } | undefined>('id', 'status', 'assignee', 'assigned_at');
    if (!current) throw new RowNotFound('task');
    if (current.status !== 'open') throw new StateConflict('This task is already resolved; its assignment no longer changes.');
    if (current.assignee === input.assignee) return { changed: false, assignee: current.assignee };
    await trx('manual_tasks').where({ id: current.id }).update({ assignee: input.assignee, assigned_at: input.assignee ? trx.fn.now() : null });
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: input.assignee ? 'task.assigned' : 'task.unassigned', entityType: 'manual_task',
      entityId: current.id, before: { taskId: current.id, assignee: current.assignee }, after: { taskId: current.id, assignee: input.assignee },
    });
    return { changed: true, assignee: input.assignee };
  });
}

/** An extra audit row on a task (e.g. how its resolution was routed). Ids, statuses and reasons only. */
export async function auditTask(db: Db, e: { practiceId: string; taskId: string; actor: string; action: string; before?: unknown; after?: unknown }): Promise<void> {
  await writeAudit(db, { practiceId: e.practiceId, actor: e.actor, action: e.action, entityType: 'manual_task', entityId: e.taskId, before: e.before ?? null, after: e.after ?? null });
}
