/** Card on file (issue 18): saving a card with the processor, the patient's authorisation to charge it, revoking it. */
import { z } from 'zod';
import { AUTHORISATION_SCOPES } from '../domain/card-on-file';
import { NOTIFICATION_CHANNELS } from '../domain/notices';
import { cents, centsOut } from './cents';
import { id, instant } from './common';
import { apiErrors, emptyBody, formBody, htmlPage, idempotencyKey, json, jsonBody, pathIds, type Operation } from './operation';

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────
export const authoriseBodySchema = z.strictObject({
  setupRef: z.string({ error: "must be the processor's setup reference from POST …/card-setups" }).min(1).max(200, { error: 'must be at most 200 characters' }),
  capCents: cents().meta({ description: 'the most that may be charged per visit' }),
  scope: z.enum(AUTHORISATION_SCOPES, { error: 'must be visit (this visit only) or year (every visit for a year)' }),
  visitId: z.uuid({ error: 'must be a visit id' }).transform((v) => v.toLowerCase()).optional().meta({ description: 'required when scope is visit' }),
  noticeChannel: z.enum(NOTIFICATION_CHANNELS, { error: 'must be email, text or mail' }).meta({ description: 'how the patient is told before each charge' }),
  agreed: z.literal(true, { error: 'the patient must agree to the authorisation (true)' }),
}).superRefine((b, ctx) => {
  if (b.scope === 'visit' && !b.visitId) ctx.addIssue({ code: 'custom', path: ['visitId'], message: 'is required when scope is visit' });
  if (b.scope === 'year' && b.visitId) ctx.addIssue({ code: 'custom', path: ['visitId'], message: 'must be absent when scope is year' });
});

// ── answers ──────────────────────────────────────────────────────────────────────────────────────────────────
export const cardSetupSchema = z.strictObject({
  processor: z.enum(['standin', 'stripe']),
  setupRef: z.string(),
  clientSecret: z.string().meta({ description: "for the processor's card element in the browser (Stripe.js confirmCardSetup); never stored" }),
  entryUrl: z.string().nullable().meta({ description: "the processor's hosted card-entry page, when it has one (the local stand-in)" }),
});

export const authorisationSchema = z.strictObject({
  authorisationId: id(), patientId: id(),
  card: z.strictObject({ brand: z.string(), last4: z.string(), expMonth: z.number().int(), expYear: z.number().int() }),
  capCents: centsOut, scope: z.enum(AUTHORISATION_SCOPES), visitId: id().nullable(), validUntil: instant(),
  noticeChannel: z.enum(NOTIFICATION_CHANNELS), createdVia: z.enum(['front_desk', 'portal']), createdAt: instant(),
  status: z.enum(['active', 'revoked', 'expired']), revokedAt: instant().nullable(),
  chargedCents: centsOut.meta({ description: 'charged under this authorisation so far' }),
});

export const authorisationListSchema = z.strictObject({ patientId: id(), authorisations: z.array(authorisationSchema) });
export const revokeResultSchema = z.strictObject({ authorisation: authorisationSchema, revoked: z.boolean().meta({ description: 'false: it already was' }) });

// ── operations ───────────────────────────────────────────────────────────────────────────────────────────────
const tags = ['card on file'];
export const cardOnFileOperations: Operation[] = [
  {
    method: 'post', path: '/v1/patients/{patientId}/card-setups', tags,
    summary: 'Start saving a card for the patient with the processor (front desk); the card is entered on the processor\'s form, never here',
    request: { params: pathIds('patientId'), body: jsonBody(emptyBody, false) },
    responses: { 201: json('the setup to complete in the browser', cardSetupSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/patients/{patientId}/card-authorisations', tags,
    summary: "Record the patient's authorisation to charge the saved card after the insurance has paid (cap per visit, notice first); audited",
    request: { params: pathIds('patientId'), headers: idempotencyKey, body: jsonBody(authoriseBodySchema) },
    responses: { 201: json('the authorisation', authorisationSchema), 200: json('the same setup was authorised already', authorisationSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/patients/{patientId}/card-authorisations', tags, summary: "The patient's card-on-file authorisations, newest first",
    request: { params: pathIds('patientId') }, responses: { 200: json('the authorisations', authorisationListSchema), ...apiErrors },
  },
  {
    method: 'post', path: '/v1/card-authorisations/{authorisationId}/revoke', tags,
    summary: 'Revoke an authorisation: no charge is made under it from now on, even one already announced; audited',
    request: { params: pathIds('authorisationId'), body: jsonBody(emptyBody, false) },
    responses: { 200: json('the authorisation, revoked', revokeResultSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/portal/card-notice/{token}', tags: ['portal'], security: [],
    summary: "A card-on-file notice's \"pay another way\" link: a page with one button; opening it changes nothing",
    request: { params: z.object({ token: z.string().meta({ description: 'signed (PAY_LINK_SECRET, purpose card-objection): the authorisation and the claim; expires a week after the charge date' }) }) },
    responses: { 200: htmlPage('confirmation form'), 404: htmlPage('tampered, unknown or expired link') },
  },
  {
    method: 'post', path: '/portal/card-notice/{token}', tags: ['portal'], security: [],
    summary: 'No charge to the card on file for that claim: a statement instead; audited (no CSRF token: the signed address is the authority, and all it can do is stop one charge)',
    request: { params: z.object({ token: z.string() }), body: formBody(z.object({})) },
    responses: { 200: htmlPage('not charged (or: already charged)'), 404: htmlPage('tampered, unknown or expired link'), 413: htmlPage('form too large') },
  },
];
