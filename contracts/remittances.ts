/**
 * Remittances (issue 16, ingest): a payer's X12 835 file in (raw text, not JSON), its totals and claim payments out.
 * billing and admin only. What happens to each claim: app/remittances.ts; the format: docs/remittances.md.
 */
import { z } from 'zod';
import { centsOut } from './cents';
import { id, instant } from './common';
import { apiErrors, json, pathIds, type Operation } from './operation';

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
  matchedClaimId: id().nullable().meta({ description: 'null: unmatched (no claim of ours has this CLP01)' }),
  outcome: z.enum(['updated', 'stale', 'ignored', 'unmatched']).meta({ description: 'updated: the claim took a new version from it; ignored: CLP02 = 23 (not ours); unmatched: no claim' }),
  appliedVersion: z.number().int().nullable().meta({ description: 'the claim version it produced' }),
  patientOwes: z.array(owedLine).meta({ description: 'its group PR adjustments in plain words, per reason code' }),
  prAdjustments: z.array(z.strictObject({ code: z.string(), amountCents: centsOut, lineNumber: z.number().int().optional().meta({ description: 'the service line (1-based), absent at claim level' }) })),
});

export const remittanceDetailSchema = z.strictObject({ file: remittanceFileSchema, claims: z.array(remittanceClaimSchema) });

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
