/**
 * The signed webhooks of the EHR, the clearinghouse and the SMS provider: their answers, and the operations. The events themselves are
 * the EHR adapter's vocabulary (ehr/events.ts, shared with the stand-in that sends them); the composition root gives
 * them to `webhookOperations`, so the description shows the very schemas the webhooks validate with. The SMS provider's
 * events are defined here (smsEventSchema): the route, the adapter and the provider's stand-in share them.
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
  creditAppliedCents: centsOut.optional().meta({ description: "the patient's now: their credits put onto their open balance (issue 18)" }),
  joinedPlanId: id().optional().meta({ description: "the patient's now, while their payment plan takes new charges (join_plan): the plan the claim joined" }),
  joinedPlanCents: centsOut.optional().meta({ description: 'what the claim added to that plan' }),
  ...redelivery,
});

// ── the SMS provider's webhooks (sms/http-sms-notifier.ts sends; its stand-in ehr/standin/sms.ts signs these) ──
const smsId = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, { error: 'must be 1-100 characters of A-Z a-z 0-9 . _ : -' });
const smsInstant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with seconds and an offset' });
/** A phone number as providers send it (E.164) or a short code. PHI: never logged, stored only as the consent it changes. */
const smsNumber = z.string().regex(/^\+?[0-9]{5,15}$/, { error: 'must be a phone number in E.164 form or a short code' });

/** The provider's delivery statuses (the common providers' words). */
export const SMS_STATUSES = ['accepted', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed'] as const;

/** message.status: what became of a message we sent (its id is the provider's, from the send's answer). */
export const smsStatusEventSchema = z.strictObject({
  eventId: smsId, type: z.literal('message.status'), occurredAt: smsInstant,
  data: z.strictObject({
    messageId: smsId.meta({ description: "the provider's message id (sid), as answered to the send" }),
    status: z.enum(SMS_STATUSES),
    errorCode: z.string().regex(/^[A-Za-z0-9_-]{1,20}$/).optional().meta({ description: "the carrier's or provider's error code (undelivered, failed)" }),
  }),
});
/** message.inbound: a patient's reply to our number. STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT…) and START (UNSTOP) change the text consent at once. */
export const smsInboundEventSchema = z.strictObject({
  eventId: smsId, type: z.literal('message.inbound'), occurredAt: smsInstant,
  data: z.strictObject({ messageId: smsId, from: smsNumber, to: smsNumber, body: z.string().max(1600) }),
});
export const smsEventSchema = z.discriminatedUnion('type', [smsStatusEventSchema, smsInboundEventSchema], { error: 'must be message.status or message.inbound' });
export type SmsEvent = z.infer<typeof smsEventSchema>;

/** What we answer the provider: for a reply, the text it sends back to the patient (`reply`; none: send nothing). */
export const smsAnswerSchema = z.strictObject({
  status: z.enum(['recorded', 'unchanged', 'unknown_message', 'opted_out', 'opted_in', 'help', 'ignored']).meta({
    description: 'message.status: recorded (the outbox row took it), unchanged, unknown_message; message.inbound: opted_out (STOP), opted_in (START), help, ignored (not a keyword)',
  }),
  reply: z.string().optional().meta({ description: 'the text the provider sends back to the patient (carrier rules: STOP, START and HELP are confirmed)' }),
  ...redelivery,
});

// ── the email provider's event webhook (POST /webhooks/email; locally mail/local-smtp.ts plays the provider) ──
/**
 * What became of an email after the SMTP server accepted it, shaped like the common providers' event webhooks (SES,
 * Postmark, SendGrid): `bounce` (the receiving server refused it later: permanent or transient) or `complaint` (the
 * recipient marked it as spam). `messageId` is the email's Message-ID as we set it (mail/message-id.ts), with or
 * without the angle brackets. No address in the event: the Message-ID names the message.
 */
export const emailEventSchema = z.strictObject({
  eventId: smsId, type: z.enum(['bounce', 'complaint'], { error: 'must be bounce or complaint' }), occurredAt: smsInstant,
  data: z.strictObject({
    messageId: z.string().regex(/^<?[A-Za-z0-9._+-]{1,200}@[A-Za-z0-9.-]{1,200}>?$/, { error: 'must be a Message-ID, e.g. <abc123@payflow.local>' }),
    bounceType: z.enum(['permanent', 'transient'], { error: 'must be permanent or transient' }).optional()
      .meta({ description: 'bounce: permanent (a hard bounce: the address does not take mail; the default) or transient (a soft bounce, the provider retries)' }),
    code: z.string().regex(/^[A-Za-z0-9._-]{1,20}$/, { error: 'must be 1-20 characters of A-Z a-z 0-9 . _ -' }).optional()
      .meta({ description: "the receiving server's status code, e.g. 5.1.1 (never its text, which may quote the address)" }),
  }),
});
export type EmailEvent = z.infer<typeof emailEventSchema>;

export const emailAnswerSchema = z.strictObject({
  status: z.enum(['recorded', 'unchanged', 'unknown_message', 'opted_out', 'ignored']).meta({
    description: 'bounce: recorded (the message is rejected, its postal fallback started), unchanged, unknown_message, ignored (a transient bounce); complaint: opted_out (email consent withdrawn), unchanged',
  }),
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
    {
      method: 'post', path: '/webhooks/sms',
      summary: "The SMS provider's events: message.status (delivery of a text we sent → its outbox row's state) and message.inbound (a reply: STOP/START change the patient's text consent at once)",
      security: [],
      request: { headers: signature, body: jsonBody(smsEventSchema) },
      responses: { 200: json('recorded, opted out or in, help, ignored or duplicate', smsAnswerSchema), ...apiErrors },
    },
    {
      method: 'post', path: '/webhooks/email',
      summary: "The email provider's events after the SMTP hand-over: bounce (the message is rejected and a statement's goes by postal mail, once) and complaint (email consent withdrawn)",
      security: [],
      request: { headers: signature, body: jsonBody(emailEventSchema) },
      responses: { 200: json('recorded, unchanged, unknown_message, opted_out, ignored or duplicate', emailAnswerSchema), ...apiErrors },
    },
  ];
}
