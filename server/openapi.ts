/**
 * The description (OpenAPI 3.1) of everything this server mounts (server/app.ts): the JSON API (api/), the staff pages
 * and the portal (web/), served at GET /openapi.json (api/routes/openapi.ts). A test checks every route is in it.
 */
import { statementPaths } from '../web/portal/openapi-paths';
import { staffPagePaths, workQueuePaths } from '../web/staff/openapi-paths';
import { observabilityPaths, observabilitySecuritySchemes } from '../api/observability-openapi-paths';

const problem = { $ref: '#/components/responses/Problem' };
/** 503: a dependency (Temporal, PostgreSQL, a restarting worker) is unreachable; `Retry-After` says when to retry. */
const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 413: problem, 422: problem, 503: problem };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const uuidParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
const cents = { type: 'integer', minimum: 1, maximum: 10_000_000, description: 'integer cents' };
const signed = {
  parameters: [{ name: 'Payflow-Signature', in: 'header', required: true, schema: { type: 'string' }, description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody">' }],
  security: [],
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'payflow API', version: '0.1.0', description: 'Patient-payment collection orchestrated by Temporal. Money is integer cents; errors are application/problem+json.' },
  components: {
    securitySchemes: { staffToken: { type: 'http', scheme: 'bearer', description: 'Staff token tied to a practice and a role (front_desk, billing, admin).' }, ...observabilitySecuritySchemes },
    responses: { Problem: { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { type: 'object', required: ['type', 'title', 'status', 'detail'] } } } } },
  },
  security: [{ staffToken: [] }],
  paths: {
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'process up' } } } },
    '/readyz': { get: { summary: 'Readiness: PostgreSQL and Temporal reachable', security: [], responses: { 200: { description: 'ready' }, 503: problem } } },
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI document' } } } },
    '/webhooks/ehr': { post: { summary: 'EHR events: payment.captured, practice/patient/visit.upserted', ...signed, responses: { 200: { description: 'accepted, upserted, stale or duplicate' }, ...errors } } },
    '/webhooks/clearinghouse': { post: { summary: 'Clearinghouse events: claim.upserted (remittances: transfer to patient, reversal)', ...signed, responses: { 200: { description: 'upserted, stale or duplicate' }, ...errors } } },
    '/v1/visits/{visitId}/copay-collections': {
      post: {
        summary: 'Collect Now on a superbill: start (or find) the copay collection and open the EHR payment request',
        parameters: [uuidParam('visitId'), { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
        requestBody: { required: true, ...json({ type: 'object', additionalProperties: false, required: ['amountCents'], properties: { amountCents: cents } }) },
        responses: { 201: { description: 'started' }, 200: { description: 'the existing collection' }, 202: { description: 'started; the EHR has not opened the payment request yet (PAYMENT_LINK_WAIT): poll the Location, the link follows' }, ...errors },
      },
    },
    '/v1/patients/{patientId}/balance-collections': {
      post: {
        summary: "Collect Now on a patient's billing page: start (or find) the outstanding-balance collection and open the EHR payment request",
        description: 'amountCents defaults to the open balance of the patient-owned claims (422 when that is 0). The claims named in claimIds are applied to first, then oldest date of service first; money left over becomes a credit_remaining task. At most one collection per patient waits for a capture: a second press answers 200 with it (existing: true).',
        parameters: [uuidParam('patientId'), { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
        requestBody: { required: false, ...json({ type: 'object', additionalProperties: false, properties: { amountCents: cents, claimIds: { type: 'array', maxItems: 50, uniqueItems: true, items: { type: 'string', format: 'uuid' }, description: "claims of this patient the payment names" } } }) },
        responses: { 201: { description: 'started' }, 200: { description: 'the existing collection' }, 202: { description: 'started; the EHR has not opened the payment request yet (PAYMENT_LINK_WAIT): poll the Location, the link follows' }, ...errors },
      },
    },
    '/v1/visits/{visitId}/collections': {
      get: {
        summary: "A visit's collections (its copays), newest first: at most one live, then the expired or cancelled ones before it",
        parameters: [uuidParam('visitId')], responses: { 200: { description: '{ visitId, collections: [collection] } (each as GET /v1/collections/{collectionId} without its ledger)' }, ...errors },
      },
    },
    '/v1/collections/{collectionId}': { get: { summary: 'A collection: status, payment, applications, tasks', parameters: [uuidParam('collectionId')], responses: { 200: { description: 'collection' }, ...errors } } },
    '/v1/collections/{collectionId}/cancel': {
      post: { summary: 'Cancel before the capture', description: 'The run asks the EHR to cancel its payment request. If the EHR refuses because the patient had just paid, the collection takes that payment as usual; a cancel while it waits for that capture gets 409.', parameters: [uuidParam('collectionId')], requestBody: json({ type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } }), responses: { 200: { description: 'cancellation asked for' }, ...errors } },
    },
    '/v1/patients': {
      get: {
        summary: "The practice's patients, or the one with an EHR external id",
        parameters: [{ name: 'externalId', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 200 }, description: "the EHR's patient id (exact): how an integrator finds our patientId; no match → an empty list" }],
        responses: { 200: { description: '{ patients: [{ patientId, externalId, firstName, lastName }] }' }, ...errors },
      },
    },
    '/v1/patients/{patientId}/visits': { get: { summary: "A patient's visits with their claim's state", parameters: [uuidParam('patientId')], responses: { 200: { description: 'visits' }, ...errors } } },
    '/v1/patients/{patientId}/payments': { get: { summary: "A patient's payments and applications", parameters: [uuidParam('patientId')], responses: { 200: { description: 'ledger' }, ...errors } } },
    '/v1/diagnostics/wiring-checks': { post: { summary: 'Run the wiring-check workflow (admin)', responses: { 201: { description: 'workflow result' }, ...errors } } },
    ...statementPaths,
    // The work queue's JSON API and the staff pages (web/staff/openapi-paths.ts).
    ...workQueuePaths,
    ...staffPagePaths,
    // Metrics and the codec endpoint for engineers (api/observability-openapi-paths.ts).
    ...observabilityPaths,
  },
} as const;
