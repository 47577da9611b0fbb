/** The statement and portal routes of the OpenAPI document (server/openapi.ts spreads them into its paths). */
const problem = { $ref: '#/components/responses/Problem' };
const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 422: problem };
const uuidParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const emptyJson = { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: {} } } } };
const SIGN_IN_TOKEN = 'the form token of the sign-in page (signed double submit of the pf_csrf cookie)';
const SESSION_TOKEN = "the form token of the signed-in pages: the server-side session's own (a token of any other session is refused)";
const portalForm = (properties: Record<string, object>, required: string[], csrf = SESSION_TOKEN) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['csrf', ...required], properties: { csrf: { type: 'string', description: csrf }, ...properties } } } },
});
const portal = { security: [], tags: ['patient portal (HTML)'] };
const cookieNote = 'Session cookie pf_session (a random value; the session is kept on the server; HttpOnly, SameSite=Lax, Secure except on a local address), ends after PORTAL_SESSION_TTL or at sign-out. '
  + 'Each lookup is counted before it is compared: 10 per account and 100 per client address within PORTAL_LOCKOUT, then locked for PORTAL_LOCKOUT.';

export const statementPaths = {
  '/v1/patients/{patientId}/statements': {
    post: {
      summary: "Generate the patient's statement for this cycle and start its workflow, which sends it (billing). 201 new; 200 the open statement; 409 this cycle already had one; 422 below the threshold",
      parameters: [uuidParam('patientId')], requestBody: emptyJson,
      responses: { 201: { description: 'statement generated' }, 200: { description: 'the open statement (existing: true)' }, ...errors },
    },
  },
  '/v1/statement-batches': {
    post: {
      summary: "Statement batch for the staff's practice (billing): a statement for every patient due one this cycle, and their workflows. Idempotent per cycle",
      requestBody: emptyJson, responses: { 200: { description: '{ cycle, workflowId, created, started }' }, 202: { description: '{ cycle, workflowId, running: true }: the batch goes on (a large practice)' }, ...errors },
    },
  },
  '/v1/statements': {
    get: {
      summary: "The practice's statements, newest first (with account ids: staff only)",
      parameters: [
        { name: 'status', in: 'query', schema: { enum: ['open', 'paid', 'unpaid'] } },
        { name: 'patientId', in: 'query', schema: { type: 'string', format: 'uuid' } },
      ],
      responses: { 200: { description: 'statements' }, ...errors },
    },
  },
  '/v1/statements/{statementId}': {
    get: { summary: 'A statement: lines, total, due, payments, workflow', parameters: [uuidParam('statementId')], responses: { 200: { description: 'statement' }, ...errors } },
  },
  '/v1/statements/{statementId}/print': {
    get: { summary: 'The printable statement (HTML with a print stylesheet; PHI: staff only)', parameters: [uuidParam('statementId')], responses: { 200: htmlPage('printable statement'), ...errors } },
  },
  '/v1/notifications': {
    get: {
      summary: 'The notification outbox of the local notifier: every statement and reminder sent, per channel (billing; PHI)',
      parameters: [
        { name: 'statementId', in: 'query', schema: { type: 'string', format: 'uuid' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
      ],
      responses: { 200: { description: 'notifications' }, ...errors },
    },
  },
  '/portal': {
    get: { ...portal, summary: 'Patient portal: date of birth + account ID form (sets the pf_csrf cookie)', parameters: [{ name: 'notice', in: 'query', schema: { enum: ['expired', 'signed-out'] } }], responses: { 200: htmlPage('lookup form') } },
  },
  '/portal/lookup': {
    post: {
      ...portal, summary: `Look up the statement. Success: 303 to /portal/statement with the session cookie. Any failure (unknown account, wrong date of birth, locked): 403 with identical bytes. ${cookieNote}`,
      requestBody: portalForm({ accountId: { type: 'string' }, dateOfBirth: { type: 'string', description: 'YYYY-MM-DD or MM/DD/YYYY' } }, ['accountId', 'dateOfBirth'], SIGN_IN_TOKEN),
      responses: { 303: { description: 'found: to the statement' }, 403: htmlPage('not found, or the form expired (CSRF)'), 413: htmlPage('form too large'), 422: htmlPage('malformed input (friendly message; nothing looked up)') },
    },
  },
  '/portal/statement': {
    get: { ...portal, summary: 'The signed-in patient\'s statement: first name, lines, total due, pay form', responses: { 200: htmlPage('statement'), 303: { description: 'no or expired session: to /portal' } } },
  },
  '/portal/pay': {
    post: {
      ...portal, summary: "Pay (all or part, never more than due): registers a statement payment with the statement's workflow and redirects (303) to the practice's payment page with a signed, expiring reference and no PHI. "
        + 'Pressed again with the same amount while that payment is open: the same payment request. At most 5 portal payments per statement in 24 hours (429 past that)',
      requestBody: portalForm({ amount: { type: 'string', description: 'dollars, e.g. 45.00' } }, ['amount']),
      responses: { 303: { description: "to the practice's payment page (or /portal when the session expired)" }, 403: htmlPage('form expired (CSRF)'), 409: htmlPage('statement closed'), 422: htmlPage('amount refused (friendly message; nothing written)'), 429: htmlPage('too many payments started on this statement (Retry-After; nothing written)'), 503: htmlPage('payment could not be started') },
    },
  },
  '/portal/receipt': {
    get: {
      ...portal, summary: 'Where the payment page sends the patient back: the receipt once the capture is recorded; until then a page that refreshes itself',
      parameters: [{ name: 'ref', in: 'query', required: true, schema: { type: 'string' } }, { name: 'cancelled', in: 'query', schema: { enum: ['1'] } }],
      responses: { 200: htmlPage('receipt, pending or not completed'), 400: htmlPage('invalid reference') },
    },
  },
  '/portal/statement/print': {
    get: { ...portal, summary: 'The signed-in patient\'s printable statement', responses: { 200: htmlPage('printable statement'), 303: { description: 'no session: to /portal' }, 404: htmlPage('no statement') } },
  },
  '/portal/sign-out': {
    post: { ...portal, summary: 'Ends the session on the server (a copy of the cookie stops working too)', requestBody: portalForm({}, []), responses: { 303: { description: 'to /portal' }, 403: htmlPage('form expired (CSRF)') } },
  },
  '/portal/static/portal.css': { get: { ...portal, summary: "The portal's stylesheet", responses: { 200: { description: 'text/css' } } } },
  '/portal/static/statement.css': { get: { ...portal, summary: 'The printable statement\'s stylesheet (print media rules)', responses: { 200: { description: 'text/css' } } } },
};
