/** The staff pages (HTML, web/staff/): sign-in, the work queue, tasks, patients, superbills, collections, reports, settings. */
import { z } from 'zod';
import { csvFile, formBody, htmlPage, pathIds, script, seeOther, stylesheet, type Answer, type Operation } from './operation';

const pages = { security: [], tags: ['staff pages (HTML)'] };
const session = 'Needs the staff session cookie pf_staff (from /staff/sign-in); without one: 303 to /staff/sign-in.';
/** A form of a signed-in page: the session's CSRF token, and its fields (`required`: the ones it must have). */
const pageForm = (fields: Record<string, z.ZodType> = {}, required: string[] = []) => formBody(z.object({
  csrf: z.string().meta({ description: "the session's CSRF token (synchronizer token)" }),
  ...Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, required.includes(name) ? schema : schema.optional()])),
}));
const formAnswers: Record<number, Answer> = {
  303: seeOther('done: to the next page (POST/redirect/GET)'),
  403: htmlPage('CSRF token missing or wrong, another origin, or a role that may not do this'),
  404: htmlPage("not found (or another practice's)"),
};
const dollars = (description: string) => z.string().meta({ description });

export const staffPageOperations: Operation[] = [
  { ...pages, method: 'get', path: '/staff', summary: 'To the work queue (signed in) or the sign-in page', responses: { 303: seeOther('redirect') } },
  {
    ...pages, method: 'get', path: '/staff/sign-in',
    summary: "Staff sign-in page: with the practice's identity provider, and the token form where STAFF_TOKEN_SIGN_IN allows it",
    request: { query: z.object({ practice: z.string().optional().meta({ description: "the practice's external id: its identity provider's button" }), 'signed-out': z.literal('1').optional() }) },
    responses: { 200: htmlPage('sign-in page'), 303: seeOther('signed in already: to the work queue') },
  },
  {
    ...pages, method: 'post', path: '/staff/sign-in',
    summary: 'Sign in with a staff token (when STAFF_TOKEN_SIGN_IN allows it): sets the session cookie pf_staff (HttpOnly, SameSite=Strict, Path=/staff, Secure except on a local address, 8 hours, 30 minutes unused)',
    request: { body: formBody(z.object({ token: z.string() })) },
    responses: {
      303: seeOther('to the work queue'), 401: htmlPage('token not accepted'), 403: htmlPage('from another origin'), 404: htmlPage('token sign-in is off here'),
      429: htmlPage('too many tokens not accepted from here (Retry-After)'),
    },
  },
  {
    ...pages, method: 'get', path: '/staff/sign-in/oidc',
    summary: "Start signing in with the practice's identity provider (OpenID Connect, authorization code + PKCE): state, nonce and verifier kept 10 minutes, the state in the cookie pf_staff_signin (SameSite=Lax, Path=/staff/oidc)",
    request: { query: z.object({ practice: z.string().meta({ description: "the practice's external id" }) }) },
    responses: {
      303: seeOther("to the practice's identity provider"), 404: htmlPage('no such practice, or it has no identity provider'),
      503: htmlPage('the identity provider cannot be reached (Retry-After)'),
    },
  },
  {
    ...pages, method: 'get', path: '/staff/oidc/callback',
    summary: "The identity provider's redirect: checks state (this browser's, once), iss, the ID token (signature, aud, nonce) and matches a staff member of the practice by subject, else by verified email in the practice's domain; then the session cookie pf_staff",
    request: { query: z.object({ code: z.string().optional(), state: z.string().optional(), iss: z.string().optional(), error: z.string().optional() }) },
    responses: {
      200: htmlPage('signed in: on to the work queue (a same-site navigation, so the SameSite=Strict cookie goes with it)'),
      400: htmlPage('state unknown, used, expired or from another browser; or the provider refused'),
      403: htmlPage('not a staff member of the practice, deactivated, email outside the allowed domain or not verified: ask your practice admin'),
      404: htmlPage('the practice no longer has an identity provider'),
      503: htmlPage('the identity provider cannot be reached (Retry-After); existing sessions are unaffected'),
    },
  },
  { ...pages, method: 'post', path: '/staff/sign-out', summary: 'End the session', request: { body: pageForm() }, responses: { 303: seeOther('to the sign-in page'), 403: htmlPage('CSRF') } },
  { ...pages, method: 'get', path: '/staff/static/staff.css', summary: "The staff pages' stylesheet", responses: { 200: stylesheet('text/css') } },
  {
    ...pages, method: 'get', path: '/staff/static/staff.js', summary: "The staff pages' script (progressive enhancement: validation as you type)",
    responses: { 200: script('text/javascript') },
  },
  {
    ...pages, method: 'get', path: '/staff/queue',
    summary: `The work queue: counts by reason, filters, each credit's age against the 30-day refund deadline. ${session}`,
    request: {
      query: z.object({
        status: z.enum(['open', 'resolved', 'all']).optional(),
        reason: z.string().optional(),
        assignee: z.enum(['me', 'none']).optional(),
        age: z.enum(['7', '14', '30']).optional().meta({ description: 'waiting longer than this many days' }),
        cursor: z.string().optional(),
      }),
    },
    responses: { 200: htmlPage('queue'), 303: seeOther('not signed in'), 400: htmlPage('a link whose filters or cursor this list does not understand') },
  },
  {
    ...pages, method: 'get', path: '/staff/tasks/{taskId}', summary: `A task with its resolve form (billing) or read-only (front desk). ${session}`,
    request: { params: pathIds('taskId') }, responses: { 200: htmlPage('task'), 404: htmlPage('not found') },
  },
  {
    ...pages, method: 'post', path: '/staff/tasks/{taskId}/resolve',
    summary: `Resolve (billing): action, note, amount.<claimId> (dollars) or refundAmount. ${session}`,
    request: {
      params: pathIds('taskId'),
      body: pageForm({ action: z.enum(['apply', 'credit', 'refund', 'close']), note: z.string(), refundAmount: z.string() }, ['action', 'note']),
    },
    responses: { ...formAnswers, 409: htmlPage('someone else resolved it first: who and when'), 422: htmlPage('not allowed: the rule, next to the field') },
  },
  {
    ...pages, method: 'post', path: '/staff/tasks/{taskId}/assign', summary: `Assign to me (billing). ${session}`,
    request: { params: pathIds('taskId'), body: pageForm() }, responses: { ...formAnswers, 409: htmlPage('already resolved') },
  },
  {
    ...pages, method: 'post', path: '/staff/tasks/{taskId}/unassign', summary: `Unassign (billing). ${session}`,
    request: { params: pathIds('taskId'), body: pageForm() }, responses: { ...formAnswers, 409: htmlPage('already resolved') },
  },
  {
    ...pages, method: 'post', path: '/staff/tasks/{taskId}/refund-request', summary: `Send a pending refund request to the EHR again (billing). ${session}`,
    request: { params: pathIds('taskId'), body: pageForm() }, responses: formAnswers,
  },
  {
    ...pages, method: 'get', path: '/staff/patients',
    summary: `The practice's patients with their open balance (filter as you type, nothing in the URL). ${session}`, responses: { 200: htmlPage('patients') },
  },
  {
    ...pages, method: 'get', path: '/staff/patients/{patientId}',
    summary: `The patient billing page: Balance pane with Collect Now, credits, tasks, visits. ${session}`,
    request: { params: pathIds('patientId') }, responses: { 200: htmlPage('patient'), 404: htmlPage('not found') },
  },
  {
    ...pages, method: 'post', path: '/staff/patients/{patientId}/consent',
    summary: `Withdraw or restore the patient's email or text consent (the patient page's Contact and consent card): source staff, audited as the staff member. ${session}`,
    request: {
      params: pathIds('patientId'),
      body: pageForm({ channel: z.enum(['email', 'text']), allowed: z.enum(['yes', 'no']) }, ['channel', 'allowed']),
    },
    responses: { ...formAnswers, 422: htmlPage('channel or allowed refused (mail cannot be withdrawn)') },
  },
  {
    ...pages, method: 'post', path: '/staff/patients/{patientId}/preferred-channel',
    summary: `Set the patient's preferred channel (the Contact and consent card): one with a contact on file and consent given, or none; source staff, audited, kept over the EHR's next update. ${session}`,
    request: {
      params: pathIds('patientId'),
      body: pageForm({ preferredChannel: z.enum(['email', 'text', 'mail', 'none']) }, ['preferredChannel']),
    },
    responses: { ...formAnswers, 422: htmlPage('preferredChannel refused (not a channel, no contact on file, or consent withdrawn)') },
  },
  {
    ...pages, method: 'post', path: '/staff/patients/{patientId}/collect',
    summary: `Collect Now on the patient billing page: starts (or finds) the outstanding-balance collection; 303 to it (Process Payment opens the pre-filled EHR request). ${session}`,
    request: {
      params: pathIds('patientId'),
      body: pageForm({ amount: dollars('dollars; empty = the open balance'), claimId: z.array(z.uuid()) }),
    },
    responses: { ...formAnswers, 422: htmlPage('amount refused') },
  },
  {
    ...pages, method: 'get', path: '/staff/visits/{visitId}',
    summary: `A visit's superbill: the Copayment Collected panel with Collect Now, and the claim. ${session}`,
    request: { params: pathIds('visitId') }, responses: { 200: htmlPage('superbill'), 404: htmlPage('not found') },
  },
  {
    ...pages, method: 'post', path: '/staff/visits/{visitId}/collect',
    summary: `Collect Now on the superbill: starts (or finds) the visit's copay collection; 303 to it. ${session}`,
    request: { params: pathIds('visitId'), body: pageForm({ amount: dollars('dollars') }, ['amount']) },
    responses: { ...formAnswers, 422: htmlPage('amount refused') },
  },
  {
    ...pages, method: 'post', path: '/staff/visits/{visitId}/card-setup',
    summary: `Save a card on file at the superbill (front desk, billing; issue 18): starts a setup with the processor and answers a page that goes on by itself to the processor's card-entry page, whose return_url is /staff/patients/{patientId}/card-on-file/new?visitId=… (a page rather than a redirect: form-action 'self' applies to a form post's redirects). ${session}`,
    request: { params: pathIds('visitId'), body: pageForm() },
    responses: {
      200: htmlPage("on to the processor's card-entry page"), 403: htmlPage('CSRF, another origin, or a role that may not save cards'), 404: htmlPage('not found'),
      501: htmlPage('the processor has no hosted card-entry page (Stripe: Stripe.js through the API)'), 503: htmlPage('no processor configured, or it cannot be reached'),
    },
  },
  {
    ...pages, method: 'get', path: '/staff/patients/{patientId}/card-on-file/new',
    summary: `Where the processor's card-entry page sends the browser back: the saved card (brand, last 4, expiry, read from the processor) and the authorisation form (cap per visit, this visit or every visit for a year, notice channel, the patient's agreement) (front desk, billing). ${session}`,
    request: {
      params: pathIds('patientId'),
      query: z.object({
        setup_intent: z.string().meta({ description: "the processor's setup reference" }), visitId: z.uuid().optional().meta({ description: 'the visit the card is saved at' }),
        redirect_status: z.string().optional().meta({ description: "the processor's, ignored: the card is read from the processor" }),
      }),
    },
    responses: { 200: htmlPage('the card and the authorisation form'), 403: htmlPage('a role that may not save cards'), 404: htmlPage('not found'), 409: htmlPage('the processor has no completed card for this setup') },
  },
  {
    ...pages, method: 'post', path: '/staff/patients/{patientId}/card-on-file',
    summary: `Record the patient's authorisation for the saved card (front desk, billing; app/card-on-file.ts authoriseCard, once per setup, audited); 303 to the patient page. ${session}`,
    request: {
      params: pathIds('patientId'),
      body: pageForm({
        setupRef: z.string(), visitId: z.uuid(), cap: dollars('the cap per visit, dollars'), scope: z.enum(['visit', 'year']), noticeChannel: z.enum(['email', 'text', 'mail']),
        agreed: z.literal('yes').meta({ description: 'the patient agrees to be charged after a notice' }),
      }, ['setupRef', 'cap', 'scope', 'noticeChannel', 'agreed']),
    },
    responses: { ...formAnswers, 409: htmlPage('the card is not saved yet, or this setup was authorised for another patient'), 422: htmlPage('a field refused, next to it') },
  },
  {
    ...pages, method: 'post', path: '/staff/patients/{patientId}/card-authorisations/{authorisationId}/revoke',
    summary: `Revoke a card-on-file authorisation (any staff role): no charge under it from now on, even one already announced; audited. ${session}`,
    request: { params: pathIds('patientId', 'authorisationId'), body: pageForm() }, responses: formAnswers,
  },
  {
    ...pages, method: 'post', path: '/staff/patients/{patientId}/payment-plans',
    summary: `Set up a payment plan of the patient's open balance from the patient page (front desk, billing; app/payment-plans.ts createPaymentPlan, the JSON API's rules, audited); 303 to the patient page. ${session}`,
    request: {
      params: pathIds('patientId'),
      body: pageForm({
        authorisationId: z.uuid().meta({ description: "one of the patient's yearly card authorisations" }),
        installments: z.string().meta({ description: 'the number of installments (or give amount)' }),
        amount: dollars('each installment, dollars (or give installments)'),
        every: z.enum(['month', '2weeks', 'week']).meta({ description: 'how often; month when absent' }),
        firstDueDate: z.iso.date().meta({ description: "the first installment's date, on the practice's calendar" }),
      }, ['authorisationId', 'firstDueDate']),
    },
    responses: { ...formAnswers, 409: htmlPage('the patient already has a live plan'), 422: htmlPage('a field refused, next to it, with what was typed'), 503: htmlPage('Temporal cannot be reached') },
  },
  ...(['skip', 'pause', 'resume', 'cancel'] as const).map((action): Operation => ({
    ...pages, method: 'post', path: `/staff/payment-plans/{planId}/${action}`,
    summary: `${{
      skip: 'Skip the next installment of the payment plan (it moves to the end of the plan)',
      pause: 'Pause the payment plan (nothing is charged until it is resumed)',
      resume: 'Resume a paused payment plan (an installment that fell due meanwhile is charged at once)',
      cancel: 'Cancel the payment plan (nothing more is charged; what is left goes on the statements)',
    }[action]} from the patient page's Payment plan card (front desk, billing; through the plan's run, audited as the staff member); 303 to the patient page. ${session}`,
    request: { params: pathIds('planId'), body: pageForm() },
    responses: { ...formAnswers, 409: htmlPage("the plan's state does not allow it (already paused, ended, nothing left to skip)"), 503: htmlPage('Temporal cannot be reached') },
  })),
  {
    ...pages, method: 'get', path: '/staff/collections/{collectionId}',
    summary: `A collection: Process Payment (the EHR request, pre-filled), payment, tasks, workflow id. ${session}`,
    request: { params: pathIds('collectionId') }, responses: { 200: htmlPage('collection'), 404: htmlPage('not found') },
  },
  {
    ...pages, method: 'get', path: '/staff/statements/{statementId}',
    summary: `A statement (billing) and every message sent about it, with its delivery state, attempts, last error code, sent time and fallback. ${session}`,
    request: { params: pathIds('statementId') }, responses: { 200: htmlPage('statement and its messages'), 403: htmlPage('front desk'), 404: htmlPage('not found') },
  },
  {
    ...pages, method: 'get', path: '/staff/reports', summary: `Reports (billing): open credits with their age; manual tasks by reason and age. ${session}`,
    responses: { 200: htmlPage('reports'), 403: htmlPage('front desk') },
  },
  {
    ...pages, method: 'get', path: '/staff/reports/open-credits.csv', summary: `Open credits CSV (billing). ${session}`,
    responses: { 200: csvFile('open credits'), 403: htmlPage('front desk') },
  },
  {
    ...pages, method: 'get', path: '/staff/reports/manual-tasks.csv', summary: `Open manual tasks CSV (billing). ${session}`,
    responses: { 200: csvFile('open manual tasks'), 403: htmlPage('front desk') },
  },
  {
    ...pages, method: 'get', path: '/staff/team', summary: `The practice's staff, with invite, role and deactivate forms (admin). ${session}`,
    request: { query: z.object({ done: z.enum(['invited', 'role', 'deactivated']).optional().meta({ description: 'what the last form did (the page says it)' }) }) },
    responses: { 200: htmlPage('team'), 403: htmlPage('not admin') },
  },
  {
    ...pages, method: 'post', path: '/staff/team/invite', summary: `Invite a person by email with a role (admin); audited. ${session}`,
    request: { body: pageForm({ email: z.string(), displayName: z.string(), role: z.string() }, ['email', 'displayName', 'role']) },
    responses: { ...formAnswers, 409: htmlPage('already on the staff'), 422: htmlPage('a field refused') },
  },
  {
    ...pages, method: 'post', path: '/staff/team/{staffId}/role', summary: `Change a member's role (admin); audited. ${session}`,
    request: { params: pathIds('staffId'), body: pageForm({ role: z.string() }, ['role']) },
    responses: { ...formAnswers, 409: htmlPage('the last admin'), 422: htmlPage('not a role') },
  },
  {
    ...pages, method: 'post', path: '/staff/team/{staffId}/deactivate', summary: `Deactivate a member: sessions end, tokens stop (admin); audited. ${session}`,
    request: { params: pathIds('staffId'), body: pageForm() },
    responses: { ...formAnswers, 409: htmlPage('yourself, or the last admin') },
  },
  { ...pages, method: 'get', path: '/staff/settings', summary: `Practice settings (admin). ${session}`, responses: { 200: htmlPage('settings'), 403: htmlPage('not admin') } },
  {
    ...pages, method: 'post', path: '/staff/settings', summary: `Save practice settings (admin). ${session}`,
    request: { body: pageForm({ statementThreshold: dollars('dollars') }, ['statementThreshold']) },
    responses: { ...formAnswers, 422: htmlPage('amount refused') },
  },
];
