/** The API description (OpenAPI 3.1), served at GET /openapi.json. A test checks every route is in it. */
const problem = { $ref: '#/components/responses/Problem' };
const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 413: problem, 422: problem };
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
    securitySchemes: { staffToken: { type: 'http', scheme: 'bearer', description: 'Staff token tied to a practice and a role (front_desk, billing, admin).' } },
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
        responses: { 201: { description: 'started' }, 200: { description: 'the existing collection' }, ...errors },
      },
    },
    '/v1/collections/{collectionId}': { get: { summary: 'A collection: status, payment, applications, tasks', parameters: [uuidParam('collectionId')], responses: { 200: { description: 'collection' }, ...errors } } },
    '/v1/collections/{collectionId}/cancel': {
      post: { summary: 'Cancel before the capture', parameters: [uuidParam('collectionId')], requestBody: json({ type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } }), responses: { 200: { description: 'cancelled' }, ...errors } },
    },
    '/v1/patients': { get: { summary: "The practice's patients", responses: { 200: { description: 'patients' }, ...errors } } },
    '/v1/patients/{patientId}/visits': { get: { summary: "A patient's visits with their claim's state", parameters: [uuidParam('patientId')], responses: { 200: { description: 'visits' }, ...errors } } },
    '/v1/patients/{patientId}/payments': { get: { summary: "A patient's payments and applications", parameters: [uuidParam('patientId')], responses: { 200: { description: 'ledger' }, ...errors } } },
    '/v1/manual-tasks/{taskId}/resolve': {
      post: {
        summary: 'Resolve a flagged collection: apply to claims, keep as credit, or refund (billing role)',
        parameters: [uuidParam('taskId')],
        requestBody: { required: true, ...json({ oneOf: [
          { type: 'object', required: ['action', 'applications', 'note'], properties: { action: { const: 'apply' }, applications: { type: 'array', items: { type: 'object', required: ['claimId', 'amountCents'], properties: { claimId: { type: 'string', format: 'uuid' }, amountCents: cents } } }, note: { type: 'string' } } },
          { type: 'object', required: ['action', 'note'], properties: { action: { const: 'credit' }, note: { type: 'string' } } },
          { type: 'object', required: ['action', 'refundCents', 'note'], properties: { action: { const: 'refund' }, refundCents: cents, note: { type: 'string' } } },
        ] }) },
        responses: { 200: { description: 'resolved' }, ...errors },
      },
    },
    '/v1/diagnostics/wiring-checks': { post: { summary: 'Run the wiring-check workflow (admin)', responses: { 201: { description: 'workflow result' }, ...errors } } },
  },
} as const;
