/**
 * The signed webhooks of the EHR and the clearinghouse: their answers, and the operations. The events themselves are
 * the EHR adapter's vocabulary (ehr/events.ts, shared with the stand-in that sends them); the composition root gives
 * them to `webhookOperations`, so the description shows the very schemas the webhooks validate with.
 */
import { z } from 'zod';
import { centsOut } from './cents';
import { id } from './common';
import { apiErrors, json, jsonBody, type Operation } from './operation';

const redelivery = { duplicate: z.literal(true).optional().meta({ description: 'a redelivery of an event already handled: the stored answer' }) };

/** payment.captured: the collection's run took the payment (a refusal is a problem: 409, 422). */
export const captureAnswerSchema = z.strictObject({ status: z.string().meta({ description: 'accepted' }), collectionId: id(), externalPaymentId: z.string(), ...redelivery });
/** practice/patient/visit.upserted. */
export const referenceAnswerSchema = z.strictObject({
  status: z.string().meta({ description: 'upserted (a practice); inserted, updated or stale (a patient or visit; stale: an older version, ignored)' }),
  ...redelivery,
});
export const ehrAnswerSchema = z.union([captureAnswerSchema, referenceAnswerSchema]);

/** claim.upserted, with what it did to the money already on the claim. */
export const claimAnswerSchema = z.strictObject({
  status: z.enum(['inserted', 'updated', 'stale']),
  claimId: id(),
  reversedApplications: z.number().int().optional().meta({ description: 'back with the payer: applications reversed' }),
  tasksOpened: z.array(id()).optional(),
  trimmedCents: centsOut.optional().meta({ description: 'a lowered responsibility: money taken off the claim' }),
  reappliedCents: centsOut.optional().meta({ description: "back with the patient: money a reversal had sent to staff, put back on the claim" }),
  tasksClosed: z.array(id()).optional(),
  ...redelivery,
});

const signature = z.object({
  'Payflow-Signature': z.string().meta({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody">' }),
});

export function webhookOperations(events: { ehr: z.ZodType; clearinghouse: z.ZodType }): Operation[] {
  return [
    {
      method: 'post', path: '/webhooks/ehr', summary: 'EHR events: payment.captured, practice/patient/visit.upserted', security: [],
      request: { headers: signature, body: jsonBody(events.ehr) },
      responses: { 200: json('accepted, upserted, stale or duplicate', ehrAnswerSchema), ...apiErrors },
    },
    {
      method: 'post', path: '/webhooks/clearinghouse', summary: 'Clearinghouse events: claim.upserted (remittances: transfer to patient, reversal)', security: [],
      request: { headers: signature, body: jsonBody(events.clearinghouse) },
      responses: { 200: json('upserted, stale or duplicate', claimAnswerSchema), ...apiErrors },
    },
  ];
}
