/** The patient portal (HTML, web/portal/): date of birth + account ID → statement → pay → receipt. */
import { z } from 'zod';
import { formBody, htmlPage, seeOther, stylesheet, type Operation } from './operation';

const portal = { security: [], tags: ['patient portal (HTML)'] };
const SIGN_IN_TOKEN = 'the form token of the sign-in page (signed double submit of the pf_csrf cookie)';
const SESSION_TOKEN = "the form token of the signed-in pages: the server-side session's own (a token of any other session is refused)";
const portalForm = (fields: Record<string, z.ZodType>, csrf = SESSION_TOKEN) => formBody(z.object({ csrf: z.string().meta({ description: csrf }), ...fields }));
const cookieNote = 'Session cookie pf_session (a random value; the session is kept on the server; HttpOnly, SameSite=Lax, Secure except on a local address), ends after PORTAL_SESSION_TTL or at sign-out. '
  + 'Each lookup is counted before it is compared: 10 per account and 100 per client address within PORTAL_LOCKOUT, then locked for PORTAL_LOCKOUT.';

export const portalOperations: Operation[] = [
  {
    ...portal, method: 'get', path: '/portal', summary: 'Patient portal: date of birth + account ID form (sets the pf_csrf cookie)',
    request: { query: z.object({ notice: z.enum(['expired', 'signed-out']).optional() }) },
    responses: { 200: htmlPage('lookup form') },
  },
  {
    ...portal, method: 'post', path: '/portal/lookup',
    summary: `Look up the statement. Success: 303 to /portal/statement with the session cookie. Any failure (unknown account, wrong date of birth, locked): 403 with identical bytes. ${cookieNote}`,
    request: { body: portalForm({ accountId: z.string(), dateOfBirth: z.string().meta({ description: 'YYYY-MM-DD or MM/DD/YYYY' }) }, SIGN_IN_TOKEN) },
    responses: {
      303: seeOther('found: to the statement'), 403: htmlPage('not found, or the form expired (CSRF)'), 413: htmlPage('form too large'),
      422: htmlPage('malformed input (friendly message; nothing looked up)'),
    },
  },
  {
    ...portal, method: 'get', path: '/portal/statement', summary: "The signed-in patient's statement: first name, lines, total due, pay form",
    responses: { 200: htmlPage('statement'), 303: seeOther('no or expired session: to /portal') },
  },
  {
    ...portal, method: 'post', path: '/portal/pay',
    summary: "Pay (all or part, never more than due): registers a statement payment with the statement's workflow and redirects (303) to the practice's payment page with a signed, expiring reference and no PHI. "
      + 'Pressed again with the same amount while that payment is open: the same payment request. At most 5 portal payments per statement in 24 hours (429 past that)',
    request: { body: portalForm({ amount: z.string().meta({ description: 'dollars, e.g. 45.00' }) }) },
    responses: {
      303: seeOther("to the practice's payment page (or /portal when the session expired)"), 403: htmlPage('form expired (CSRF)'), 409: htmlPage('statement closed'),
      422: htmlPage('amount refused (friendly message; nothing written)'), 429: htmlPage('too many payments started on this statement (Retry-After; nothing written)'),
      503: htmlPage('payment could not be started'),
    },
  },
  {
    ...portal, method: 'get', path: '/portal/receipt',
    summary: 'Where the payment page sends the patient back: the receipt once the capture is recorded; until then a page that refreshes itself',
    request: { query: z.object({ ref: z.string(), cancelled: z.enum(['1']).optional() }) },
    responses: { 200: htmlPage('receipt, pending or not completed'), 400: htmlPage('invalid reference') },
  },
  {
    ...portal, method: 'get', path: '/portal/statement/print', summary: "The signed-in patient's printable statement",
    responses: { 200: htmlPage('printable statement'), 303: seeOther('no session: to /portal'), 404: htmlPage('no statement') },
  },
  {
    ...portal, method: 'post', path: '/portal/sign-out', summary: 'Ends the session on the server (a copy of the cookie stops working too)',
    request: { body: portalForm({}) }, responses: { 303: seeOther('to /portal'), 403: htmlPage('form expired (CSRF)') },
  },
  {
    ...portal, method: 'get', path: '/portal/link/{token}',
    summary: "A statement email's pay link: the date-of-birth form (nothing about the patient or the statement before it; sets the pf_csrf cookie)",
    request: { params: z.object({ token: z.string().meta({ description: 'signed, expiring (PAY_LINK_TTL), at most PAY_LINK_MAX_USES sign-ins' }) }) },
    responses: { 200: htmlPage('date-of-birth form'), 404: htmlPage('tampered or unknown link'), 410: htmlPage('expired or used up') },
  },
  {
    ...portal, method: 'post', path: '/portal/link/{token}',
    summary: `Confirm the date of birth: the portal's lookup with the link's statement (the same counting and lock-out as /portal/lookup); success takes one use of the link. ${cookieNote}`,
    request: {
      params: z.object({ token: z.string() }),
      body: portalForm({ dateOfBirth: z.string().meta({ description: 'YYYY-MM-DD or MM/DD/YYYY' }) }, SIGN_IN_TOKEN),
    },
    responses: {
      303: seeOther('confirmed: to /portal/statement with the session cookie'), 403: htmlPage('not confirmed, or the form expired (CSRF)'),
      404: htmlPage('tampered or unknown link'), 410: htmlPage('expired or used up'), 413: htmlPage('form too large'), 422: htmlPage('malformed date'),
    },
  },
  {
    ...portal, method: 'get', path: '/portal/unsubscribe/{token}',
    summary: "A patient email's unsubscribe link (footer and List-Unsubscribe header): a page with one button; opening it changes nothing",
    request: { params: z.object({ token: z.string().meta({ description: 'signed (PAY_LINK_SECRET, purpose unsubscribe): the patient and the channel (email); does not expire' }) }) },
    responses: { 200: htmlPage('confirmation form'), 404: htmlPage('tampered or unknown link') },
  },
  {
    ...portal, method: 'post', path: '/portal/unsubscribe/{token}',
    summary: "Withdraws the patient's email consent at once, audited (also RFC 8058 one-click: body List-Unsubscribe=One-Click; no CSRF token, the signed address is the authority)",
    request: {
      params: z.object({ token: z.string() }),
      body: formBody(z.object({ 'List-Unsubscribe': z.literal('One-Click').optional().meta({ description: 'sent by mail clients (RFC 8058); the page posts nothing' }) })),
    },
    responses: { 200: htmlPage('unsubscribed (a second time: the same page)'), 404: htmlPage('tampered or unknown link'), 413: htmlPage('form too large') },
  },
  {
    ...portal, method: 'get', path: '/portal/preferences',
    summary: "The signed-in patient's contact preferences: a preferred channel among those on file, billing email and texts on or off (channels only, never the contact details)",
    request: { query: z.object({ saved: z.literal('1').optional() }) },
    responses: { 200: htmlPage('preferences form'), 303: seeOther('no or expired session: to /portal') },
  },
  {
    ...portal, method: 'post', path: '/portal/preferences',
    summary: 'Saves the preferences at once: consent and the preferred channel, source portal, each change audited',
    request: {
      body: portalForm({
        preferredChannel: z.enum(['', 'email', 'text', 'mail']).optional().meta({ description: 'empty: no preference; a channel must be on file' }),
        email: z.enum(['on', 'off']).optional(), text: z.enum(['on', 'off']).optional(),
      }),
    },
    responses: {
      303: seeOther('saved: to /portal/preferences?saved=1; no or expired session: to /portal'), 403: htmlPage('the form expired (CSRF)'),
      413: htmlPage('form too large'), 422: htmlPage('refused, the error tied to its field (a channel not on file, a preferred channel turned off)'),
    },
  },
  {
    ...portal, method: 'get', path: '/portal/card-on-file',
    summary: "The signed-in patient's cards on file (issue 18): each authorisation's card (brand, last 4), cap per visit, scope, notice channel, status and charged so far, with Revoke",
    request: { query: z.object({ revoked: z.literal('1').optional() }) },
    responses: { 200: htmlPage('cards on file'), 303: seeOther('no or expired session: to /portal') },
  },
  {
    ...portal, method: 'post', path: '/portal/card-on-file/{authorisationId}/revoke',
    summary: 'Revokes one of the patient\'s own authorisations (actor patient:<id>, via portal, audited): no charge under it from now on; another patient\'s: 404',
    request: { params: z.object({ authorisationId: z.uuid() }), body: portalForm({}) },
    responses: {
      303: seeOther('revoked: to /portal/card-on-file?revoked=1; no or expired session: to /portal'), 403: htmlPage('the form expired (CSRF)'),
      404: htmlPage('not one of the patient\'s authorisations'), 413: htmlPage('form too large'),
    },
  },
  {
    ...portal, method: 'get', path: '/portal/payment-plan',
    summary: "The signed-in patient's payment plan (issue 18): the live plan's installments (due date, amount, state) and next payment; or, with an open balance and a yearly card authorisation, the form to pay it monthly within the practice's limits",
    request: { query: z.object({ created: z.literal('1').optional() }) },
    responses: { 200: htmlPage('the plan, or the form to set one up'), 303: seeOther('no or expired session: to /portal') },
  },
  {
    ...portal, method: 'post', path: '/portal/payment-plan',
    summary: "Sets up the patient's own payment plan (created via portal, actor patient:<id>, audited): monthly, on one of their yearly card authorisations, the number of payments or the amount of each, within the practice's minimum payment and longest plan; its run is started",
    request: { body: portalForm({
      authorisationId: z.uuid().meta({ description: "one of the patient's live yearly card authorisations" }),
      installments: z.string().optional().meta({ description: 'the number of monthly payments (or give amount)' }),
      amount: z.string().optional().meta({ description: 'the amount of each payment in dollars, e.g. 50.00 (or give installments)' }),
      firstDueDate: z.iso.date().meta({ description: "the first payment's date on the practice's calendar, today or later" }),
    }) },
    responses: {
      303: seeOther('set up: to /portal/payment-plan?created=1; no or expired session: to /portal'), 403: htmlPage('the form expired (CSRF)'),
      409: htmlPage('the patient already has a live plan'), 413: htmlPage('form too large'), 422: htmlPage('a field refused (outside the limits), next to it'),
      503: htmlPage('Temporal cannot be reached'),
    },
  },
  { ...portal, method: 'get', path: '/portal/static/portal.css', summary: "The portal's stylesheet", responses: { 200: stylesheet('text/css') } },
  {
    ...portal, method: 'get', path: '/portal/static/statement.css', summary: "The printable statement's stylesheet (print media rules)",
    responses: { 200: stylesheet('text/css') },
  },
];
