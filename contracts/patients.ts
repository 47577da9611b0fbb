/** Patients for staff: the list (or the one with an EHR external id), a patient's visits, a patient's ledger. */
import { z } from 'zod';
import { PAYMENT_METHODS } from '../domain/payments';
import { centsOut } from './cents';
import { id, instant, localDate } from './common';
import { apiErrors, json, pathIds, type Operation } from './operation';

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────
/** `externalId`: the EHR's id of the patient (exact match), how an integrator finds our patientId. */
export const patientListQuery = z.strictObject({
  externalId: z.string({ error: 'must be one external id' }).min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }).optional()
    .meta({ description: "the EHR's patient id (exact): how an integrator finds our patientId; no match → an empty list" }),
});

// ── answers ──────────────────────────────────────────────────────────────────────────────────────────────────
export const patientListSchema = z.strictObject({
  patients: z.array(z.strictObject({ patientId: id(), externalId: z.string(), firstName: z.string(), lastName: z.string() })),
});

export const patientVisitsSchema = z.strictObject({
  patientId: id(),
  visits: z.array(z.strictObject({
    visitId: id(), externalId: z.string(), dateOfService: localDate(),
    claim: z.strictObject({
      claimId: id(),
      responsibility: z.string().nullable().meta({ description: 'payer or patient' }),
      payerStatus: z.string().nullable(),
      patientResponsibilityCents: centsOut.nullable(),
    }).nullable().meta({ description: 'null: no claim for this visit yet' }),
  })),
});

/** A payment with where its money went (db/queries/ledger.ts `patientLedger`). */
export const ledgerPaymentSchema = z.strictObject({
  paymentId: id(), collectionId: id().nullable(), visitId: id().nullable(), externalId: z.string(), amountCents: centsOut,
  method: z.enum(PAYMENT_METHODS), reason: z.enum(['copay', 'outstanding_balance']), paidAt: instant(), paymentDate: localDate(),
  appliedCents: centsOut.meta({ description: 'standing applications only' }), refundedCents: centsOut, unappliedCents: centsOut,
  applications: z.array(z.strictObject({
    applicationId: id(), claimId: id(), kind: z.enum(['auto', 'manual']), amountCents: centsOut, reversed: z.boolean(),
    createdAt: instant(), reversedAt: instant().nullable(), reversalReason: z.string().nullable(),
  })),
  refunds: z.array(z.strictObject({ refundId: id(), amountCents: centsOut, note: z.string(), createdAt: instant() })),
});

export const patientPaymentsSchema = z.strictObject({ patientId: id(), payments: z.array(ledgerPaymentSchema) });

// ── operations ───────────────────────────────────────────────────────────────────────────────────────────────
export const patientOperations: Operation[] = [
  {
    method: 'get', path: '/v1/patients', summary: "The practice's patients, or the one with an EHR external id",
    request: { query: patientListQuery },
    responses: { 200: json('{ patients: [{ patientId, externalId, firstName, lastName }] }', patientListSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/patients/{patientId}/visits', summary: "A patient's visits with their claim's state",
    request: { params: pathIds('patientId') }, responses: { 200: json('visits', patientVisitsSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/patients/{patientId}/payments', summary: "A patient's payments and applications",
    request: { params: pathIds('patientId') }, responses: { 200: json('ledger', patientPaymentsSchema), ...apiErrors },
  },
];
