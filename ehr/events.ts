/**
 * The webhook events the EHR and the clearinghouse send us, as zod schemas shared by the sender (the stand-in)
 * and the receiver (api/). Every object is strict: an unknown field is rejected, never silently dropped.
 *
 * Two sources, two endpoints, two secrets:
 * - EHR (`POST /webhooks/ehr`): `payment.captured`, `practice.upserted`, `patient.upserted`, `visit.upserted`.
 * - Clearinghouse (`POST /webhooks/clearinghouse`): `claim.upserted`. A remittance that transfers responsibility
 *   to the patient is a `claim.upserted` with responsibility `patient`, a higher version and the patient
 *   responsibility; a reversal (CLP02 = 22) is a `claim.upserted` with responsibility `payer`, payerStatus
 *   `reprocessing` and a higher version. Versions order the events; an older one never overwrites a newer one.
 *
 * Pure (zod + domain/), so workflows, activities and api may all import it. Validation messages never echo values.
 */
import { z } from 'zod';
import { isLocalDate, isTimeZone } from '../domain/dates';
import { PAYMENT_METHODS, type PaymentMethod } from '../domain/payments';
import type { ClaimLineRecord, ClaimRecord, PatientRecord, PracticeRecord, VisitRecord } from '../db/queries/reference-data';
import { cents } from '../contracts/cents';

export type WebhookSource = 'ehr' | 'clearinghouse';
/** Where each source posts, relative to the service's base URL. */
export const WEBHOOK_PATHS: Record<WebhookSource, string> = { ehr: '/webhooks/ehr', clearinghouse: '/webhooks/clearinghouse' };

export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
/** External ids (practice, patient, visit, claim, payment request, processor payment): same alphabet as event ids. */
export const EXTERNAL_ID_PATTERN = EVENT_ID_PATTERN;
/** Claims may be larger than one payment, but not absurdly so: $10,000,000.00, and within PostgreSQL `integer`. */
export const MAX_CLAIM_CENTS = 1_000_000_000;

// ── building blocks ──────────────────────────────────────────────────────────────────────────────────────────
export const externalIdSchema = z
  .string()
  .regex(EXTERNAL_ID_PATTERN, { error: 'must be 1-100 characters of A-Z a-z 0-9 . _ : -' });
export const eventIdSchema = z
  .string()
  .regex(EVENT_ID_PATTERN, { error: 'must be 1-100 characters of A-Z a-z 0-9 . _ : -' });
/** An instant with an explicit offset (`Z` or `±hh:mm`), seconds required: `2026-11-20T19:30:00-08:00`. */
export const instantSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with seconds and an offset, e.g. 2026-11-20T19:30:00-08:00' });
export const localDateSchema = z.string().refine(isLocalDate, { error: 'must be a real calendar date, YYYY-MM-DD' });
export const timeZoneSchema = z.string().refine(isTimeZone, { error: 'must be an IANA time zone, e.g. America/Los_Angeles' });
export const versionSchema = z.number().int({ error: 'must be a non-negative integer' }).min(0, { error: 'must be a non-negative integer' });
/** A claim's amounts: 0 to MAX_CLAIM_CENTS (the one cents schema, contracts/cents.ts, in the webhooks' words). */
export const centsSchema = cents({ min: 0, max: MAX_CLAIM_CENTS, words: 'webhook' });
/** What a patient can pay at once: 1 cent to MAX_PAYMENT_CENTS. */
export const paymentCentsSchema = cents({ words: 'webhook' });
export const paymentMethodSchema = z.enum(PAYMENT_METHODS, { error: 'must be cash, check or card' });
export type { PaymentMethod };

const text = (max: number) => z.string().trim().min(1, { error: 'must not be empty' }).max(max, { error: `must be at most ${max} characters` });

/** A US-style postal address; every part trimmed, required parts non-empty. PHI: never echoed in an error. */
export const mailingAddressSchema = z.strictObject({
  line1: text(200),
  line2: text(200).nullish(),
  city: text(100),
  state: z.string().trim().regex(/^[A-Za-z]{2}$/, { error: 'must be a two-letter state code, e.g. CA' }).transform((v) => v.toUpperCase()),
  postalCode: z.string().trim().regex(/^[0-9]{5}(-[0-9]{4})?$/, { error: 'must be a ZIP code, e.g. 94607 or 94607-1234' }),
});

// ── reference data (the record types of db/queries/reference-data.ts) ────────────────────────────────────────
export const practiceRecordSchema = z.strictObject({
  externalId: externalIdSchema,
  name: text(200),
  timeZone: timeZoneSchema,
  paymentPageUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
}) satisfies z.ZodType<PracticeRecord>;

export const patientRecordSchema = z.strictObject({
  practiceExternalId: externalIdSchema,
  externalId: externalIdSchema,
  version: versionSchema,
  firstName: text(100),
  lastName: text(100),
  dateOfBirth: localDateSchema,
  email: z.email({ error: 'must be an email address' }).max(254).nullish(),
  phone: z.string().regex(/^\+?[0-9 ().-]{3,30}$/, { error: 'must be a phone number' }).nullish(),
  /** How the patient wants to hear about their bill (issue 17); absent: unchanged, null: no preference. */
  preferredChannel: z.enum(['email', 'text', 'mail'], { error: 'must be email, text or mail' }).nullish(),
  /** The mailing address of record (statements and letters by post); absent: unchanged, null: none on file. */
  mailingAddress: mailingAddressSchema.nullish(),
}) satisfies z.ZodType<PatientRecord>;

export const visitRecordSchema = z.strictObject({
  practiceExternalId: externalIdSchema,
  patientExternalId: externalIdSchema,
  externalId: externalIdSchema,
  version: versionSchema,
  dateOfService: localDateSchema,
  providerName: text(200).nullish(),
}) satisfies z.ZodType<VisitRecord>;

export const claimLineRecordSchema = z.strictObject({
  lineNumber: z.number().int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' }).max(9999),
  procedureCode: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:-]{0,19}$/, { error: 'must be a procedure code, e.g. 99213 or 99213-25' }),
  description: text(500).nullish(),
  chargeCents: centsSchema,
  insurerPaidCents: centsSchema,
  adjustmentCents: centsSchema,
  patientResponsibilityCents: centsSchema,
}) satisfies z.ZodType<ClaimLineRecord>;

export const claimRecordSchema = z
  .strictObject({
    practiceExternalId: externalIdSchema,
    visitExternalId: externalIdSchema,
    externalId: externalIdSchema,
    version: versionSchema,
    responsibility: z.enum(['payer', 'patient'], { error: 'must be payer or patient' }),
    payerName: text(200).nullish(),
    /** The source's own word (submitted, adjudicated, paid_in_full, reprocessing, …); shown to staff, not branched on. */
    payerStatus: text(50),
    patientResponsibilityCents: centsSchema,
    lines: z.array(claimLineRecordSchema).min(1, { error: 'must have at least one line' }).max(999),
  })
  .superRefine((claim, ctx) => {
    // Lines are upserted by (claim, line number): a repeated number would silently overwrite its twin.
    const seen = new Set<number>();
    claim.lines.forEach((line, i) => {
      if (seen.has(line.lineNumber)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'lineNumber'], message: 'must be unique within the claim' });
      seen.add(line.lineNumber);
    });
  }) satisfies z.ZodType<ClaimRecord>;

// ── payment captured ─────────────────────────────────────────────────────────────────────────────────────────
export const paymentCapturedDataSchema = z.strictObject({
  /** The EHR's payment request this capture answers (from EhrAdapter.openPaymentRequest). */
  requestId: externalIdSchema,
  /** Our collection id, echoed back by the EHR. */
  collectionId: z.uuid({ error: 'must be a UUID' }),
  /** The processor's / EHR's payment id: one payment per id, however often the event arrives. */
  externalPaymentId: externalIdSchema,
  amountCents: paymentCentsSchema,
  method: paymentMethodSchema,
  /** When the money was taken, with the offset it was taken at. The practice's date comes from its time zone. */
  paidAt: instantSchema,
});
export type PaymentCapturedData = z.infer<typeof paymentCapturedDataSchema>;

// ── envelopes ────────────────────────────────────────────────────────────────────────────────────────────────
const envelope = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.strictObject({ eventId: eventIdSchema, type: z.literal(type), occurredAt: instantSchema, data });

export const paymentCapturedEventSchema = envelope('payment.captured', paymentCapturedDataSchema);
export const practiceUpsertedEventSchema = envelope('practice.upserted', practiceRecordSchema);
export const patientUpsertedEventSchema = envelope('patient.upserted', patientRecordSchema);
export const visitUpsertedEventSchema = envelope('visit.upserted', visitRecordSchema);
export const claimUpsertedEventSchema = envelope('claim.upserted', claimRecordSchema);

export const ehrEventSchema = z.discriminatedUnion('type', [
  paymentCapturedEventSchema,
  practiceUpsertedEventSchema,
  patientUpsertedEventSchema,
  visitUpsertedEventSchema,
]);
export const clearinghouseEventSchema = z.discriminatedUnion('type', [claimUpsertedEventSchema]);

/** The schema for each webhook source, for a receiver that routes by path. */
export const webhookEventSchemas = { ehr: ehrEventSchema, clearinghouse: clearinghouseEventSchema } as const;

export type PaymentCapturedEvent = z.infer<typeof paymentCapturedEventSchema>;
export type PracticeUpsertedEvent = z.infer<typeof practiceUpsertedEventSchema>;
export type PatientUpsertedEvent = z.infer<typeof patientUpsertedEventSchema>;
export type VisitUpsertedEvent = z.infer<typeof visitUpsertedEventSchema>;
export type ClaimUpsertedEvent = z.infer<typeof claimUpsertedEventSchema>;
export type EhrEvent = z.infer<typeof ehrEventSchema>;
export type ClearinghouseEvent = z.infer<typeof clearinghouseEventSchema>;
export type WebhookEvent = EhrEvent | ClearinghouseEvent;
export type EventOf<S extends WebhookSource> = S extends 'ehr' ? EhrEvent : ClearinghouseEvent;
