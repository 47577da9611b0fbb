/**
 * Remittances (issue 16, ingest): a payer's X12 835 file in (raw text, not JSON), its totals and claim payments out.
 * billing and admin only. What happens to each claim: app/remittances.ts; the format: docs/remittances.md.
 */
import { z } from 'zod';
import { centsOut } from './cents';
import { id, instant } from './common';
import { apiErrors, formBody, htmlPage, json, jsonBody, pathIds, seeOther, type Operation } from './operation';

/** The largest 835 file accepted (the body parser answers 413 beyond it). */
export const REMITTANCE_BODY_LIMIT = '5mb';
export const REMITTANCE_MEDIA_TYPES = ['application/edi-x12', 'text/plain'] as const;

const payer = z.strictObject({
  id: z.string().meta({ description: 'TRN03, the payer identifier of the trace' }),
  name: z.string().meta({ description: 'N1*PR name' }),
});

const transaction = z.strictObject({
  traceNumber: z.string().meta({ description: 'TRN02: the check or EFT trace number' }),
  payer,
  paymentCents: centsOut.meta({ description: 'BPR02, negative for a debit (BPR03 = D)' }),
  claims: z.number().int(),
});

export const remittanceIngestSchema = z.strictObject({
  fileId: id(),
  traceNumber: z.string().meta({ description: "the first transaction's TRN02 (`transactions` lists every one)" }),
  payer,
  paymentCents: centsOut.meta({ description: 'Σ BPR02 of the transactions' }),
  claims: z.number().int().meta({ description: 'claim payments (CLP) in the file' }),
  matched: z.number().int().meta({ description: 'claim payments whose CLP01 is one of our claims (its external id, within the practice)' }),
  unmatched: z.number().int().meta({ description: 'claim payments stored for staff to see: no claim of ours has that CLP01' }),
  transactions: z.array(transaction),
  duplicate: z.boolean().meta({ description: 'true: these exact bytes were received before; this is that upload\'s answer and nothing changed' }),
});

export const remittanceFileSchema = z.strictObject({
  fileId: id(), traceNumber: z.string(), payer, transactions: z.number().int(), byteSize: z.number().int(),
  paymentCents: centsOut, claims: z.number().int(), matched: z.number().int(), unmatched: z.number().int(),
  receivedAt: instant(), receivedBy: z.string().meta({ description: '`staff:<id>` of the person or system that sent it' }),
});

export const remittanceFileListSchema = z.strictObject({ remittances: z.array(remittanceFileSchema) });

const owedLine = z.strictObject({
  code: z.string().meta({ description: 'the CARC (claim adjustment reason code)' }),
  label: z.string(), explanation: z.string().meta({ description: 'in plain words, for the patient' }), amountCents: centsOut,
});

export const remittanceClaimSchema = z.strictObject({
  id: id(),
  traceNumber: z.string(),
  patientControlNumber: z.string().meta({ description: 'CLP01: our claim external id as the practice billed it' }),
  occurrence: z.number().int().meta({ description: '0 for the first CLP with this CLP01 in its payment, 1 for the next (a reversal and its re-adjudication)' }),
  statusCode: z.string().meta({ description: 'CLP02: 1/2/3 processed, 4 denied, 19/20/21 processed and forwarded, 22 reversal, 23 not ours' }),
  chargeCents: centsOut, paidCents: centsOut, patientResponsibilityCents: centsOut.meta({ description: 'CLP05' }),
  matchedClaimId: id().nullable().meta({ description: 'null: unmatched (no claim of ours has this CLP01, and staff have not matched it)' }),
  matchedClaimExternalId: z.string().nullable().meta({ description: "the matched claim's external id" }),
  matchedVisitId: id().nullable().meta({ description: "the matched claim's visit" }),
  outcome: z.enum(['updated', 'stale', 'ignored', 'unmatched']).meta({ description: 'updated: the claim took a new version from it; ignored: CLP02 = 23 (not ours); unmatched: no claim' }),
  manualMatch: z.strictObject({ staffId: id(), staffName: z.string(), matchedAt: instant() }).nullable()
    .meta({ description: 'who matched it by hand, and when (null: matched when received, or unmatched)' }),
  appliedVersion: z.number().int().nullable().meta({ description: 'the claim version it produced' }),
  patientOwes: z.array(owedLine).meta({ description: 'its group PR adjustments in plain words, per reason code' }),
  prAdjustments: z.array(z.strictObject({ code: z.string(), amountCents: centsOut, lineNumber: z.number().int().optional().meta({ description: 'the service line (1-based), absent at claim level' }) })),
});

export const remittanceDetailSchema = z.strictObject({ file: remittanceFileSchema, claims: z.array(remittanceClaimSchema) });

export const remittanceMatchBodySchema = z.strictObject({
  claimId: id().meta({ description: "one of the practice's claims (GET /v1/patients/{id}/visits lists them)" }),
});

export const remittanceMatchSchema = z.strictObject({
  fileId: id(), remittanceClaimId: id(), claimId: id(), visitId: id(),
  outcome: z.enum(['updated', 'stale', 'ignored']).meta({ description: 'what the claim payment did to the claim, as at ingest (ignored: CLP02 = 23)' }),
  appliedVersion: z.number().int().nullable().meta({ description: 'the claim version it produced' }),
  matchedBy: z.strictObject({ staffId: id(), staffName: z.string() }),
  matchedAt: instant(),
  aliasRemembered: z.boolean().meta({ description: "false: this payer's CLP01 was already remembered as this claim" }),
});

const rawBody = {
  required: true,
  content: Object.fromEntries(REMITTANCE_MEDIA_TYPES.map((t) => [t, { schema: z.string().meta({ description: 'the X12 835 interchange (ISA … IEA), as the payer sent it' }) }])),
};

export const remittanceOperations: Operation[] = [
  {
    method: 'post', path: '/v1/remittances',
    summary: 'Receive a payer remittance as an X12 835 file (billing, admin; a clearinghouse connects with an API token)',
    description: `The body is the raw 835 (\`${REMITTANCE_MEDIA_TYPES.join('` or `')}\`, up to ${REMITTANCE_BODY_LIMIT}). Accepted or refused as a whole: `
      + 'a malformed or unbalanced file is 422 naming the segment and its position, and nothing is stored. Each CLP is matched by CLP01 to '
      + 'the practice\'s claim with that external id and moves it as a clearinghouse `claim.upserted` would (a new version; copay runs woken; a '
      + 'reversal reverses). Exactly once: the same bytes again answer 200 with the first answer and `duplicate: true`; the same payer and '
      + 'trace number in other bytes is 409.',
    request: { body: rawBody },
    responses: { 200: json('these bytes were received before: the first answer, `duplicate: true`', remittanceIngestSchema), 201: json('stored and applied', remittanceIngestSchema), ...apiErrors, 415: { $ref: '#/components/responses/Problem' } },
  },
  {
    method: 'get', path: '/v1/remittances', summary: "The practice's remittance files (billing, admin), newest first, with their totals",
    responses: { 200: json('{ remittances }', remittanceFileListSchema), ...apiErrors },
  },
  {
    method: 'get', path: '/v1/remittances/{fileId}',
    summary: 'One remittance file (billing, admin): its claim payments, the claims they matched, and what the patient owes in plain words',
    request: { params: pathIds('fileId') },
    responses: { 200: json('{ file, claims }', remittanceDetailSchema), ...apiErrors },
  },
];

// ── the staff pages (HTML, web/staff/pages/remittances.ts, remittance-file.ts) ──
const pages = { security: [], tags: ['staff pages (HTML)'] };
const session = 'Needs the staff session cookie pf_staff (from /staff/sign-in); billing and admin.';
const csrf = z.string().meta({ description: "the session's CSRF token (synchronizer token)" });

remittanceOperations.push(
  {
    method: 'post', path: '/v1/remittances/{fileId}/claims/{remittanceClaimId}/match',
    summary: "Match an unmatched claim payment to one of the practice's claims (billing, admin); exactly once, audited, remembered for the payer's later files",
    description: 'The claim takes the very change a matched CLP takes at ingest (a new version; copay runs woken; a reversal reverses). '
      + 'A claim payment that already has a claim is 409 naming it, who and when; an unknown claim (or another practice\'s) is 422 naming `claimId`; '
      + 'the same payer\'s CLP01 already remembered as another claim is 409. Later files whose CLP01 from this payer names no claim external id match this claim.',
    request: { params: pathIds('fileId', 'remittanceClaimId'), body: jsonBody(remittanceMatchBodySchema) },
    responses: { 200: json('matched and applied', remittanceMatchSchema), ...apiErrors },
  },
  {
    ...pages, method: 'get', path: '/staff/remittances',
    summary: `Remittance files, newest first (received, payer, trace, payment, claims matched / unmatched), refused uploads, and the upload form. ${session}`,
    responses: { 200: htmlPage('remittances'), 303: seeOther('not signed in'), 403: htmlPage('front desk') },
  },
  {
    ...pages, method: 'post', path: '/staff/remittances',
    summary: `Upload an X12 835 file (multipart/form-data: csrf, file; up to 5 MB): the same ingest as POST /v1/remittances. ${session}`,
    request: {
      body: {
        required: true,
        content: { 'multipart/form-data': { schema: z.object({ csrf, file: z.string().meta({ description: 'the 835 file', format: 'binary' }) }) } },
      },
    },
    responses: {
      303: seeOther("received (or these bytes were already): to the file's page"), 400: htmlPage('not a form this page sends'),
      403: htmlPage('CSRF token missing or wrong, another origin, or front desk'), 409: htmlPage('a payment of the file was already received in another file'),
      413: htmlPage('over 5 MB'), 415: htmlPage('not multipart/form-data'), 422: htmlPage('refused: the problem names the segment and its position'),
    },
  },
  {
    ...pages, method: 'get', path: '/staff/remittances/{fileId}',
    summary: `One remittance file: its claim payments (status in words, amounts, outcome, the claim and visit), why the patient owes, and matching by hand. ${session}`,
    request: {
      params: pathIds('fileId'),
      query: z.object({
        match: z.uuid().optional().meta({ description: 'the claim payment being matched: its search form is shown' }),
        q: z.string().optional().meta({ description: 'search: the start of a claim or visit external id' }),
        done: z.enum(['received', 'duplicate', 'matched']).optional(),
      }),
    },
    responses: { 200: htmlPage('the file'), 403: htmlPage('front desk'), 404: htmlPage("not found (or another practice's)") },
  },
  {
    ...pages, method: 'post', path: '/staff/remittances/{fileId}/claims/{remittanceClaimId}/match',
    summary: `Match a claim payment to the chosen claim (as POST /v1/remittances/{fileId}/claims/{remittanceClaimId}/match). ${session}`,
    request: { params: pathIds('fileId', 'remittanceClaimId'), body: formBody(z.object({ csrf, claimId: z.string().optional(), q: z.string().optional().meta({ description: 'the search, to show its claims again on a refusal' }) })) },
    responses: {
      303: seeOther("matched: to the file's page"), 403: htmlPage('CSRF, another origin, or front desk'), 404: htmlPage("not found (or another practice's)"),
      409: htmlPage('already matched (who, when), or the payer\'s claim number is remembered as another claim'), 422: htmlPage('no claim chosen, or not one of the practice\'s'),
    },
  },
);
