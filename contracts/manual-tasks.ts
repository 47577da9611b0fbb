/** The work queue over JSON: list, detail, assign, resolve, send a refund again. */
import { z } from 'zod';
import { MAX_APPLICATIONS, MAX_NOTE_LENGTH } from '../domain/task-resolution';
import { cents, centsOut } from './cents';
import { creditAge, id, instant, localDate, manualReason, patientRef } from './common';
import { apiErrors, emptyBody, idempotencyKey, json, jsonBody, pathIds, type Operation } from './operation';

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────
const note = z.string({ error: 'a note is required' }).trim().min(1, { error: 'a note is required' }).max(MAX_NOTE_LENGTH, { error: `must be at most ${MAX_NOTE_LENGTH} characters` })
  .meta({ description: 'required; stays with the task (never sent to the EHR)' });
export const resolveBodySchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('apply'),
    applications: z.array(z.strictObject({ claimId: z.uuid({ error: 'must be a claim id' }).transform((s) => s.toLowerCase()), amountCents: cents() }))
      .min(1, { error: 'choose at least one claim' }).max(MAX_APPLICATIONS),
    note,
  }),
  z.strictObject({ action: z.literal('credit'), note }),
  z.strictObject({ action: z.literal('refund'), refundCents: cents(), note }),
  z.strictObject({ action: z.literal('close'), note }),
], { error: 'action must be apply, credit, refund or close' });

const ageDays = z.coerce.number({ error: 'must be a whole number of days' }).int({ error: 'must be a whole number of days' }).min(0).max(36500);
const oneTo100 = 'must be 1-100';
/** GET /v1/manual-tasks (app/work-queue.ts `taskListFilter` reads it further: reasons, assignee, cursor). */
export const taskListQuery = z.strictObject({
  status: z.enum(['open', 'resolved', 'all'], { error: 'must be open, resolved or all' }).default('open'),
  reason: z.union([z.string(), z.array(z.string())]).optional().meta({ description: 'one or more reasons, comma-separated or repeated' }),
  assignee: z.string().optional().meta({ description: 'me, none, any, or a staff user id' }),
  minAgeDays: ageDays.optional().meta({ description: 'days since the task was opened (practice calendar)' }),
  maxAgeDays: ageDays.optional(),
  limit: z.coerce.number({ error: oneTo100 }).int({ error: oneTo100 }).min(1, { error: oneTo100 }).max(100, { error: oneTo100 }).default(25),
  cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page; anything else → 422 naming cursor' }),
  patientId: z.uuid({ error: 'must be a patient id' }).transform((v) => v.toLowerCase()).optional().meta({ description: "this patient's tasks" }),
  claimId: z.uuid({ error: 'must be a claim id' }).transform((v) => v.toLowerCase()).optional().meta({ description: 'the tasks naming this claim, or opened for its visit' }),
  collectionId: z.uuid({ error: 'must be a collection id' }).transform((v) => v.toLowerCase()).optional().meta({ description: "this collection's tasks" }),
});

// ── answers ──────────────────────────────────────────────────────────────────────────────────────────────────
const queueFields = {
  taskId: id(), reason: manualReason, status: z.enum(['open', 'resolved']), resolution: z.string().nullable(), createdAt: instant(),
  ageDays: z.number().int().meta({ description: 'calendar days since the task was opened (practice calendar)' }),
  patient: patientRef, paymentId: id().nullable(), visitId: id().nullable(), collectionId: id().nullable(),
  amountCents: centsOut.meta({ description: "the money the task may still place (the payment's unapplied amount), or the amount it was opened for" }),
  credit: creditAge.nullable().meta({ description: 'money held for the patient: its age against the refund deadline (null without a payment)' }),
  assignee: z.strictObject({ staffId: id(), name: z.string() }).nullable(),
  resolvedAt: instant().nullable(),
};

export const taskPageSchema = z.strictObject({
  tasks: z.array(z.strictObject(queueFields)),
  nextCursor: z.string().nullable().meta({ description: 'pass as cursor for the next page; null on the last page' }),
  countsByReason: z.record(manualReason, z.number().int()).meta({ description: 'open tasks of the practice per reason (all reasons, zeros included), whatever the filters' }),
  openTotal: z.number().int(),
});

const taskClaim = z.strictObject({
  claimId: id(), externalId: z.string(), visitId: id(), dateOfService: localDate(), payerName: z.string().nullable(),
  responsibility: z.enum(['payer', 'patient']), patientResponsibilityCents: centsOut, appliedCents: centsOut, openCents: centsOut,
});

/** GET /v1/manual-tasks/{taskId}: db/queries/tasks.ts `taskDetail` plus what the caller may do (app/work-queue.ts). */
export const taskViewSchema = z.strictObject({
  task: z.strictObject({
    ...queueFields,
    practiceId: id(), workflowId: z.string().nullable(), statementId: id().nullable(), claimId: id().nullable(), timeZone: z.string(),
    assignedAt: instant().nullable(), resolutionNote: z.string().nullable(), resolvedBy: z.strictObject({ actor: z.string(), name: z.string() }).nullable(),
  }),
  patient: patientRef,
  payment: z.strictObject({
    paymentId: id(), externalId: z.string(), amountCents: centsOut, method: z.string(), reason: z.string(), paidAt: instant(), paymentDate: localDate(),
    appliedCents: centsOut, refundedCents: centsOut, unappliedCents: centsOut, creditAgeDays: z.number().int(),
  }).nullable(),
  visit: z.strictObject({
    visitId: id(), externalId: z.string(), dateOfService: localDate(), providerName: z.string().nullable(), claim: taskClaim.nullable(),
  }).nullable(),
  claims: z.array(taskClaim).meta({ description: "the patient's claims the patient owns with an open balance: the only ones staff may apply to" }),
  outcome: z.strictObject({
    applications: z.array(z.strictObject({ applicationId: id(), claimId: id(), amountCents: centsOut, reversed: z.boolean(), createdAt: instant() })),
    refunds: z.array(z.strictObject({
      refundId: id(), amountCents: centsOut, createdAt: instant(),
      ehrRequest: z.strictObject({ status: z.enum(['pending', 'sent']), ehrRefundRequestId: z.string().nullable(), sentAt: instant().nullable() }).nullable(),
    })),
  }).meta({ description: "what this task's resolution did: manual applications and refunds (with the EHR refund request's state)" }),
  history: z.array(z.strictObject({
    at: instant(), actor: z.string(), actorName: z.string().nullable(), action: z.string(), before: z.unknown(), after: z.unknown(),
  })).meta({ description: "the task's audit trail, oldest first: who, when, before → after" }),
  resolvesThrough: z.enum(['workflow', 'direct']).meta({ description: 'how a resolution will be carried out' }),
  allowedActions: z.array(z.enum(['apply', 'credit', 'refund', 'close'])).meta({ description: 'what the caller may do now' }),
  canAssign: z.boolean(),
});

export const assignResultSchema = z.strictObject({ taskId: id(), assignee: z.string().nullable(), changed: z.boolean() });
export const resolveResultSchema = z.strictObject({
  resolved: z.literal(true), taskId: id(),
  refund: z.strictObject({ refundIds: z.array(id()), ehrRequest: z.enum(['started', 'pending']) }).optional()
    .meta({ description: 'refunds only: the refunds whose EHR request was started' }),
});
export const refundRequestResultSchema = z.strictObject({ taskId: id(), pending: z.array(id()), started: z.boolean() });

// ── operations ───────────────────────────────────────────────────────────────────────────────────────────────
const billing = '(billing or admin)';

export const manualTaskOperations: Operation[] = [
  {
    method: 'get', path: '/v1/manual-tasks',
    summary: 'The work queue: manual tasks, oldest first, one page at a time, with the open tasks per reason (any staff role)',
    request: { query: taskListQuery },
    responses: { 200: json('{ tasks, nextCursor, countsByReason, openTotal }; each task with its credit age against the 30-day refund deadline', taskPageSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/manual-tasks/{taskId}',
    summary: "A task: the payment, the visit, and only the patient's claims the patient owns with an open balance; its outcome and audit history; what the caller may do (any staff role)",
    request: { params: pathIds('taskId') }, responses: { 200: json('task', taskViewSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/manual-tasks/{taskId}/assign', summary: `Assign the task to me ${billing}; audited`,
    request: { params: pathIds('taskId'), body: jsonBody(emptyBody, false) },
    responses: { 200: json('{ taskId, assignee, changed }', assignResultSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/manual-tasks/{taskId}/unassign', summary: `Unassign the task ${billing}; audited`,
    request: { params: pathIds('taskId'), body: jsonBody(emptyBody, false) },
    responses: { 200: json('{ taskId, assignee: null, changed }', assignResultSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/manual-tasks/{taskId}/resolve',
    summary: `Resolve a task ${billing}: apply to the patient's open patient-owned claims, keep as credit, refund (through the EHR), or close a task with no money left; always with a note`,
    description: 'A task its collection run waits for goes to the run as the `resolve` update, whose validator refuses an amount above a claim\'s open balance, a total above the unapplied amount, and a claim of another patient or still with a payer (422). A task no run waits for (e.g. an unpaid statement, or a run that ended) is resolved directly by the same rules. Exactly once: a second resolution gets 409 saying who resolved it and when; with Idempotency-Key, a retry of a resolution whose answer was lost gets that answer instead.',
    request: { params: pathIds('taskId'), headers: idempotencyKey, body: jsonBody(resolveBodySchema) },
    responses: { 200: json('{ resolved: true, taskId } (refunds: and the EHR request started)', resolveResultSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/manual-tasks/{taskId}/refund-request', summary: `Send the task's pending refund request(s) to the EHR again ${billing}`,
    request: { params: pathIds('taskId') }, responses: { 200: json('{ taskId, pending, started }', refundRequestResultSchema), ...apiErrors },
  },
];
