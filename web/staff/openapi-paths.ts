/** The work queue's JSON routes and the staff pages in the OpenAPI document (server/openapi.ts spreads them into its paths). */
import { MAX_APPLICATIONS, MAX_NOTE_LENGTH } from '../../domain/task-resolution';

const problem = { $ref: '#/components/responses/Problem' };
const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 422: problem };
const uuidParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const cents = { type: 'integer', minimum: 1, maximum: 10_000_000, description: 'integer cents' };
const note = { type: 'string', minLength: 1, maxLength: MAX_NOTE_LENGTH, description: 'required; stays with the task (never sent to the EHR)' };
const emptyJson = json({ type: 'object', additionalProperties: false, properties: {} });
const billing = '(billing or admin)';

const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const pages = { security: [], tags: ['staff pages (HTML)'] };
const session = 'Needs the staff session cookie pf_staff (from /staff/sign-in); without one: 303 to /staff/sign-in.';
const pageForm = (properties: Record<string, object>, required: string[] = []) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['csrf', ...required], properties: { csrf: { type: 'string', description: "the session's CSRF token (synchronizer token)" }, ...properties } } } },
});
const formAnswers = { 303: { description: 'done: to the next page (POST/redirect/GET)' }, 403: htmlPage('CSRF token missing or wrong, another origin, or a role that may not do this'), 404: htmlPage('not found (or another practice\'s)') };
const csvFile = (description: string) => ({ description, content: { 'text/csv': { schema: { type: 'string' } } } });

export const workQueuePaths = {
  '/v1/manual-tasks': {
    get: {
      summary: 'The work queue: manual tasks, oldest first, one page at a time, with the open tasks per reason (any staff role)',
      parameters: [
        { name: 'status', in: 'query', schema: { enum: ['open', 'resolved', 'all'], default: 'open' } },
        { name: 'reason', in: 'query', schema: { type: 'string' }, description: 'one or more reasons, comma-separated or repeated' },
        { name: 'assignee', in: 'query', schema: { type: 'string' }, description: 'me, none, any, or a staff user id' },
        { name: 'minAgeDays', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'days since the task was opened (practice calendar)' },
        { name: 'maxAgeDays', in: 'query', schema: { type: 'integer', minimum: 0 } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
        { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page; anything else → 422 naming cursor' },
        { name: 'patientId', in: 'query', schema: { type: 'string', format: 'uuid' }, description: "this patient's tasks" },
        { name: 'claimId', in: 'query', schema: { type: 'string', format: 'uuid' }, description: 'the tasks naming this claim, or opened for its visit' },
        { name: 'collectionId', in: 'query', schema: { type: 'string', format: 'uuid' }, description: "this collection's tasks" },
      ],
      responses: { 200: { description: '{ tasks, nextCursor, countsByReason, openTotal }; each task with its credit age against the 30-day refund deadline' }, ...errors },
    },
  },
  '/v1/manual-tasks/{taskId}': {
    get: {
      summary: "A task: the payment, the visit, and only the patient's claims the patient owns with an open balance; its outcome and audit history; what the caller may do (any staff role)",
      parameters: [uuidParam('taskId')], responses: { 200: { description: 'task' }, ...errors },
    },
  },
  '/v1/manual-tasks/{taskId}/assign': { post: { summary: `Assign the task to me ${billing}; audited`, parameters: [uuidParam('taskId')], requestBody: emptyJson, responses: { 200: { description: '{ taskId, assignee, changed }' }, ...errors } } },
  '/v1/manual-tasks/{taskId}/unassign': { post: { summary: `Unassign the task ${billing}; audited`, parameters: [uuidParam('taskId')], requestBody: emptyJson, responses: { 200: { description: '{ taskId, assignee: null, changed }' }, ...errors } } },
  '/v1/manual-tasks/{taskId}/resolve': {
    post: {
      summary: `Resolve a task ${billing}: apply to the patient's open patient-owned claims, keep as credit, refund (through the EHR), or close a task with no money left; always with a note`,
      description: 'A task its collection run waits for goes to the run as the `resolve` update, whose validator refuses an amount above a claim\'s open balance, a total above the unapplied amount, and a claim of another patient or still with a payer (422). A task no run waits for (e.g. an unpaid statement, or a run that ended) is resolved directly by the same rules. Exactly once: a second resolution gets 409 saying who resolved it and when.',
      parameters: [uuidParam('taskId')],
      requestBody: { required: true, ...json({ oneOf: [
        { type: 'object', additionalProperties: false, required: ['action', 'applications', 'note'], properties: { action: { const: 'apply' }, applications: { type: 'array', minItems: 1, maxItems: MAX_APPLICATIONS, items: { type: 'object', additionalProperties: false, required: ['claimId', 'amountCents'], properties: { claimId: { type: 'string', format: 'uuid' }, amountCents: cents } } }, note } },
        { type: 'object', additionalProperties: false, required: ['action', 'note'], properties: { action: { const: 'credit' }, note } },
        { type: 'object', additionalProperties: false, required: ['action', 'refundCents', 'note'], properties: { action: { const: 'refund' }, refundCents: cents, note } },
        { type: 'object', additionalProperties: false, required: ['action', 'note'], properties: { action: { const: 'close' }, note } },
      ] }) },
      responses: { 200: { description: '{ resolved: true, taskId } (refunds: and the EHR request started)' }, ...errors },
    },
  },
  '/v1/manual-tasks/{taskId}/refund-request': {
    post: { summary: `Send the task's pending refund request(s) to the EHR again ${billing}`, parameters: [uuidParam('taskId')], responses: { 200: { description: '{ taskId, pending, started }' }, ...errors } },
  },
  '/v1/reports/open-credits': { get: { summary: `Open credits (payments with money unapplied) with their age against the 30-day refund deadline, and totals ${billing}`, responses: { 200: { description: 'report' }, ...errors } } },
  '/v1/reports/open-credits.csv': { get: { summary: `The open credits as CSV ${billing}: header row, RFC 4180 quoting, dollars with 2 places and a cents column`, responses: { 200: csvFile('open credits'), ...errors } } },
  '/v1/reports/manual-tasks': { get: { summary: `Open manual tasks by reason and age (0-7, 8-14, 15-30, over 30 days), with each task ${billing}`, responses: { 200: { description: 'report' }, ...errors } } },
  '/v1/reports/manual-tasks.csv': { get: { summary: `The open manual tasks as CSV ${billing}`, responses: { 200: csvFile('open manual tasks'), ...errors } } },
  '/v1/practice/settings': {
    get: { summary: 'Practice settings (admin): statement threshold', responses: { 200: { description: '{ practiceId, name, timeZone, statementThresholdCents }' }, ...errors } },
    put: {
      summary: 'Change practice settings (admin); audited',
      requestBody: { required: true, ...json({ type: 'object', additionalProperties: false, required: ['statementThresholdCents'], properties: { statementThresholdCents: cents } }) },
      responses: { 200: { description: 'the settings' }, ...errors },
    },
  },
};

export const staffPagePaths = {
  '/staff': { get: { ...pages, summary: 'To the work queue (signed in) or the sign-in page', responses: { 303: { description: 'redirect' } } } },
  '/staff/sign-in': {
    get: { ...pages, summary: 'Staff sign-in page', responses: { 200: htmlPage('sign-in form') } },
    post: {
      ...pages, summary: 'Sign in with a staff token: sets the session cookie pf_staff (HttpOnly, SameSite=Strict, Path=/staff, Secure except on a local address, 8 hours)',
      requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } } } },
      responses: { 303: { description: 'to the work queue' }, 401: htmlPage('token not accepted'), 403: htmlPage('from another origin') },
    },
  },
  '/staff/sign-out': { post: { ...pages, summary: 'End the session', requestBody: pageForm({}), responses: { 303: { description: 'to the sign-in page' }, 403: htmlPage('CSRF') } } },
  '/staff/static/staff.css': { get: { ...pages, summary: "The staff pages' stylesheet", responses: { 200: { description: 'text/css' } } } },
  '/staff/static/staff.js': { get: { ...pages, summary: "The staff pages' script (progressive enhancement: validation as you type)", responses: { 200: { description: 'text/javascript' } } } },
  '/staff/queue': {
    get: {
      ...pages, summary: `The work queue: counts by reason, filters, each credit's age against the 30-day refund deadline. ${session}`,
      parameters: [
        { name: 'status', in: 'query', schema: { enum: ['open', 'resolved', 'all'] } }, { name: 'reason', in: 'query', schema: { type: 'string' } },
        { name: 'assignee', in: 'query', schema: { enum: ['me', 'none'] } }, { name: 'age', in: 'query', schema: { enum: ['7', '14', '30'] }, description: 'waiting longer than this many days' },
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
      ],
      responses: { 200: htmlPage('queue'), 303: { description: 'not signed in' } },
    },
  },
  '/staff/tasks/{taskId}': { get: { ...pages, summary: `A task with its resolve form (billing) or read-only (front desk). ${session}`, parameters: [uuidParam('taskId')], responses: { 200: htmlPage('task'), 404: htmlPage('not found') } } },
  '/staff/tasks/{taskId}/resolve': {
    post: {
      ...pages, summary: `Resolve (billing): action, note, amount.<claimId> (dollars) or refundAmount. ${session}`, parameters: [uuidParam('taskId')],
      requestBody: pageForm({ action: { enum: ['apply', 'credit', 'refund', 'close'] }, note: { type: 'string' }, refundAmount: { type: 'string' } }, ['action', 'note']),
      responses: { ...formAnswers, 409: htmlPage('someone else resolved it first: who and when'), 422: htmlPage('not allowed: the rule, next to the field') },
    },
  },
  '/staff/tasks/{taskId}/assign': { post: { ...pages, summary: `Assign to me (billing). ${session}`, parameters: [uuidParam('taskId')], requestBody: pageForm({}), responses: { ...formAnswers, 409: htmlPage('already resolved') } } },
  '/staff/tasks/{taskId}/unassign': { post: { ...pages, summary: `Unassign (billing). ${session}`, parameters: [uuidParam('taskId')], requestBody: pageForm({}), responses: { ...formAnswers, 409: htmlPage('already resolved') } } },
  '/staff/tasks/{taskId}/refund-request': { post: { ...pages, summary: `Send a pending refund request to the EHR again (billing). ${session}`, parameters: [uuidParam('taskId')], requestBody: pageForm({}), responses: formAnswers } },
  '/staff/patients': { get: { ...pages, summary: `The practice's patients with their open balance (filter as you type, nothing in the URL). ${session}`, responses: { 200: htmlPage('patients') } } },
  '/staff/patients/{patientId}': { get: { ...pages, summary: `The patient billing page: Balance pane with Collect Now, credits, tasks, visits. ${session}`, parameters: [uuidParam('patientId')], responses: { 200: htmlPage('patient'), 404: htmlPage('not found') } } },
  '/staff/patients/{patientId}/collect': {
    post: {
      ...pages, summary: `Collect Now on the patient billing page: starts (or finds) the outstanding-balance collection; 303 to it (Process Payment opens the pre-filled EHR request). ${session}`,
      parameters: [uuidParam('patientId')], requestBody: pageForm({ amount: { type: 'string', description: 'dollars; empty = the open balance' }, claimId: { type: 'array', items: { type: 'string', format: 'uuid' } } }),
      responses: { ...formAnswers, 422: htmlPage('amount refused') },
    },
  },
  '/staff/visits/{visitId}': { get: { ...pages, summary: `A visit's superbill: the Copayment Collected panel with Collect Now, and the claim. ${session}`, parameters: [uuidParam('visitId')], responses: { 200: htmlPage('superbill'), 404: htmlPage('not found') } } },
  '/staff/visits/{visitId}/collect': {
    post: {
      ...pages, summary: `Collect Now on the superbill: starts (or finds) the visit's copay collection; 303 to it. ${session}`,
      parameters: [uuidParam('visitId')], requestBody: pageForm({ amount: { type: 'string', description: 'dollars' } }, ['amount']),
      responses: { ...formAnswers, 422: htmlPage('amount refused') },
    },
  },
  '/staff/collections/{collectionId}': { get: { ...pages, summary: `A collection: Process Payment (the EHR request, pre-filled), payment, tasks, workflow id. ${session}`, parameters: [uuidParam('collectionId')], responses: { 200: htmlPage('collection'), 404: htmlPage('not found') } } },
  '/staff/reports': { get: { ...pages, summary: `Reports (billing): open credits with their age; manual tasks by reason and age. ${session}`, responses: { 200: htmlPage('reports'), 403: htmlPage('front desk') } } },
  '/staff/reports/open-credits.csv': { get: { ...pages, summary: `Open credits CSV (billing). ${session}`, responses: { 200: csvFile('open credits'), 403: htmlPage('front desk') } } },
  '/staff/reports/manual-tasks.csv': { get: { ...pages, summary: `Open manual tasks CSV (billing). ${session}`, responses: { 200: csvFile('open manual tasks'), 403: htmlPage('front desk') } } },
  '/staff/settings': {
    get: { ...pages, summary: `Practice settings (admin). ${session}`, responses: { 200: htmlPage('settings'), 403: htmlPage('not admin') } },
    post: { ...pages, summary: `Save practice settings (admin). ${session}`, requestBody: pageForm({ statementThreshold: { type: 'string', description: 'dollars' } }, ['statementThreshold']), responses: { ...formAnswers, 422: htmlPage('amount refused') } },
  },
};
