/**
 * The EHR adapter: the only way our service talks TO the EHR (the EHR talks back through signed webhooks, see
 * ehr/events.ts). Activities receive an EhrAdapter as a dependency; production wires createHttpEhrAdapter
 * (ehr/http-adapter.ts) to the real EHR or, locally, to the stand-in (ehr/standin/).
 */
import { z } from 'zod';
import { externalIdSchema, paymentCentsSchema } from './events';

export type PaymentReason = 'copay' | 'outstanding_balance';

export interface PaymentRequestInput {
  /** Our collection id (a UUID): the idempotency key of the request. */
  collectionId: string;
  practiceExternalId: string;
  patientExternalId: string;
  /** The visit a copay is for; null for an outstanding-balance payment. */
  visitExternalId: string | null;
  reason: PaymentReason;
  amountCents: number;
}

export interface PaymentRequest {
  requestId: string;
  /** Opens the EHR's Patient Payment tool pre-filled for this request. */
  url: string;
}

/** A refund staff decided on (work queue): the EHR / processor returns the money to the patient. */
export interface RefundRequestInput {
  /** Our refund id (a UUID): the idempotency key of the request. */
  refundId: string;
  practiceExternalId: string;
  patientExternalId: string;
  /** The EHR / processor payment the money is returned from. */
  externalPaymentId: string;
  amountCents: number;
}

export interface RefundRequest {
  /** The EHR's id of the refund request. */
  refundRequestId: string;
}

export interface EhrAdapter {
  /** Idempotent by collectionId: asking again returns the same request. */
  openPaymentRequest(input: PaymentRequestInput): Promise<PaymentRequest>;
  /** Idempotent: cancelling a cancelled request succeeds. A request that was already captured cannot be cancelled. */
  cancelPaymentRequest(requestId: string): Promise<void>;
  /** Idempotent by refundId: asking again returns the same refund request. */
  requestRefund(input: RefundRequestInput): Promise<RefundRequest>;
}

export const paymentRequestInputSchema = z
  .strictObject({
    collectionId: z.uuid({ error: 'must be a UUID' }),
    practiceExternalId: externalIdSchema,
    patientExternalId: externalIdSchema,
    visitExternalId: externalIdSchema.nullable(),
    reason: z.enum(['copay', 'outstanding_balance'], { error: 'must be copay or outstanding_balance' }),
    amountCents: paymentCentsSchema,
  })
  .superRefine((input, ctx) => {
    // A copay is tied to the visit it was collected for (superbill path); without one it could never apply.
    if (input.reason === 'copay' && input.visitExternalId === null) {
      ctx.addIssue({ code: 'custom', path: ['visitExternalId'], message: 'is required for a copay' });
    }
  }) satisfies z.ZodType<PaymentRequestInput>;

export const paymentRequestSchema = z.object({
  requestId: externalIdSchema,
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
}) satisfies z.ZodType<PaymentRequest>;

export const refundRequestInputSchema = z.strictObject({
  refundId: z.uuid({ error: 'must be a UUID' }),
  practiceExternalId: externalIdSchema,
  patientExternalId: externalIdSchema,
  externalPaymentId: externalIdSchema,
  amountCents: paymentCentsSchema,
}) satisfies z.ZodType<RefundRequestInput>;

export const refundRequestSchema = z.object({ refundRequestId: externalIdSchema }) satisfies z.ZodType<RefundRequest>;
