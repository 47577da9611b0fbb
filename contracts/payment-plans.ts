/** Payment plans (issue 18): a patient's balance in installments charged to a card on file; staff skip, pause, resume, cancel. */
import { z } from 'zod';
import { INSTALLMENT_STATES, MAX_INSTALLMENTS, NEW_CHARGES_POLICIES, PLAN_STATUSES } from '../domain/payment-plans';
import { cents, centsOut } from './cents';
import { id, instant, localDate } from './common';
import { apiErrors, emptyBody, idempotencyKey, json, jsonBody, pathIds, type Operation } from './operation';

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────
export const planIntervalSchema = z.strictObject({
  unit: z.enum(['month', 'week', 'day'], { error: 'must be month, week or day' }),
  count: z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(12, { error: 'must be at most 12' }),
}).meta({ description: 'the time between installments; monthly ({unit: month, count: 1}) when omitted' });

export const createPlanBodySchema = z.strictObject({
  authorisationId: z.uuid({ error: "must be the id of one of the patient's card authorisations (scope year)" }).transform((v) => v.toLowerCase()),
  installmentCents: cents().optional().meta({ description: 'the amount of each installment (the last takes the remainder); or give installments' }),
  installments: z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(2, { error: 'must be at least 2' })
    .max(MAX_INSTALLMENTS, { error: `must be at most ${MAX_INSTALLMENTS}` }).optional().meta({ description: 'how many installments (equal; the last takes the remainder); or give installmentCents' }),
  interval: planIntervalSchema.optional(),
  firstDueDate: z.iso.date({ error: 'must be a calendar date YYYY-MM-DD' }).meta({ description: "the first installment's due date on the practice's calendar (charged at 09:00 there); today or later" }),
  totalCents: cents().optional().meta({ description: "the amount to put in the plan; the patient's whole open balance when omitted (never more)" }),
  intervalSeconds: z.number().int().min(1).max(3600).optional().meta({ description: 'tests only (NODE_ENV=test): installments this many seconds apart, the first one interval from now; refused otherwise' }),
}).superRefine((b, ctx) => {
  if ((b.installmentCents === undefined) === (b.installments === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['installmentCents'], message: 'give either installmentCents or installments (not both)' });
  }
});

// ── answers ──────────────────────────────────────────────────────────────────────────────────────────────────
export const installmentSchema = z.strictObject({
  sequence: z.number().int(), dueDate: localDate(), dueAt: instant(), amountCents: centsOut, state: z.enum(INSTALLMENT_STATES),
  attempts: z.number().int(), paymentId: id().nullable(),
});

export const planSchema = z.strictObject({
  planId: id(), patientId: id(), authorisationId: id(), workflowId: z.string(),
  status: z.enum(PLAN_STATUSES), totalCents: centsOut, paidCents: centsOut, installmentCents: centsOut, installmentCount: z.number().int(),
  interval: z.strictObject({ months: z.number().int(), days: z.number().int(), seconds: z.number().int(), description: z.string() }),
  firstDueDate: localDate(), failedInstallments: z.number().int(), maxFailedInstallments: z.number().int(), newCharges: z.enum(NEW_CHARGES_POLICIES),
  createdVia: z.enum(['front_desk', 'portal']), createdAt: instant(), updatedAt: instant(),
  next: z.strictObject({ sequence: z.number().int(), amountCents: centsOut, dueDate: localDate() }).nullable(),
  installments: z.array(installmentSchema),
});

export const planListSchema = z.strictObject({ patientId: id(), plans: z.array(planSchema) });

// ── operations ───────────────────────────────────────────────────────────────────────────────────────────────
const tags = ['payment plans'];
const action = (verb: 'skip' | 'pause' | 'resume' | 'cancel', summary: string): Operation => ({
  method: 'post', path: `/v1/payment-plans/{planId}/${verb}`, tags, summary,
  request: { params: pathIds('planId'), body: jsonBody(emptyBody, false) },
  responses: { 200: json('the plan', planSchema), ...apiErrors },
});

export const paymentPlanOperations: Operation[] = [
  {
    method: 'post', path: '/v1/patients/{patientId}/payment-plans', tags,
    summary: "Turn the patient's open balance into a payment plan charged to a card on file (front desk, billing; within the practice's limits); audited",
    description: 'Refused (422, the field named) below the practice\'s minimum installment or beyond its longest plan. One live plan per patient: while one runs, the same request answers it (200) and another answers 409.',
    request: { params: pathIds('patientId'), headers: idempotencyKey, body: jsonBody(createPlanBodySchema) },
    responses: { 201: json('the plan, its run started', planSchema), 200: json('the same plan, already running', planSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/patients/{patientId}/payment-plans', tags, summary: "The patient's payment plans, newest first",
    request: { params: pathIds('patientId') }, responses: { 200: json('the plans', planListSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/payment-plans/{planId}', tags, summary: 'A payment plan with its installments',
    request: { params: pathIds('planId') }, responses: { 200: json('the plan', planSchema), ...apiErrors },
  },
  action('skip', 'Skip the next installment: it moves to the end of the plan, one interval after the last (staff; audited)'),
  action('pause', 'Pause the plan: nothing is charged until it is resumed (staff; audited)'),
  action('resume', 'Resume a paused plan: an installment that fell due meanwhile is charged at once (staff; audited)'),
  action('cancel', 'Cancel the plan: nothing more is charged; what is left goes on the statements (staff; audited)'),
];
