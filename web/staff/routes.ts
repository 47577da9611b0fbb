/**
 * The staff pages, served by the API under /staff (see pages/ for what each shows, one page per file). Plain server-rendered HTML; one
 * static script adds validation as you type. Authentication: sign-in turns the staff token into a server-side session
 * cookie (session.ts); roles are enforced here exactly as on the JSON API: front desk views and starts collections,
 * billing also resolves, assigns and reads reports, admin also changes settings. Another practice's ids → 404.
 * Every POST needs the session's CSRF token and a same-origin browser. Pages are never cached (they show PHI), and no
 * PHI is put in a URL: ids, reasons and filters only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import multer from 'multer';
import express, { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/connection';
import type { Staff } from '../../db/queries/staff';
import { startBalanceCollection, startCopayCollection, type CollectionWindows } from '../../app/collections';
import { changePracticeSettings, practiceSettingsOf } from '../../app/practice-settings';
import { notificationsOf, statementFor } from '../../app/statements';
import { ingestRemittance, listRemittances, matchCandidates, matchRemittanceClaim, refusedRemittances, remittanceDetail } from '../../app/remittances';
import { resendRefundRequests } from '../../app/refunds';
import { manualTasksCsv, manualTasksReport, openCreditsCsv, openCreditsReport } from '../../app/reports';
import { collectionPageOf, patientPageOf, patientsWithBalancesOf, visitPageOf } from '../../app/billing-pages';
import { endStaffSignIn, startStaffSession } from '../../app/staff-sessions';
import { staffOfApiToken } from '../../app/api-tokens';
import { assignTask, getTaskView, listQueue, resolveBodySchema, resolveTask, taskListFilter, type ResolveBody } from '../../app/work-queue';
import { appErrorOf } from '../../app/errors';
import { changeRole, deactivate, invite, staffOfPractice } from '../../app/staff-directory';
import { inviteBodySchema, roleBodySchema } from '../../contracts/staff-directory';
import { creditAge } from '../../domain/manual-tasks';
import { MAX_PAYMENT_CENTS, parseDollars, type Cents } from '../../domain/money';
import { AppError, notFound } from '../../lib/errors';
import { outageOf, RETRY_AFTER_SECONDS, unavailableFor } from '../../lib/outage';
import { safeError, type Logger } from '../../lib/logger';
import { UUID } from '../../lib/validate';
import { createCredentialGuard, type CredentialGuard } from '../../http/credential-limits';
import { sendCsv } from '../../http/csv';
import { requestFaultOf } from '../../http/request-faults';
import { helmetOptions } from '../../http/security-headers';
import { formatInstant, type Notice, type PageContext } from './layout';
import { remittancesPage } from './pages/remittances';
import { remittanceFilePage, type MatchFormState } from './pages/remittance-file';
import {
  collectionPageHtml, messagePage, patientPage, patientsPage, queuePage, reportsPage, settingsPage, signInPage, statementMessagesPage, taskPage, teamPage, visitPage,
  type CollectFormState, type InviteFormState, type PatientPageExtra, type QueueFilterValues, type ResolveFormState,
} from './pages';
import { signInChoices } from '../../app/staff-sign-in';
import { oidcSignInRoutes, type SignInSettings } from './sign-in-routes';
import { changeConsentByStaff, changePreferredChannelByStaff, preferencesOf } from '../../app/channel-consents';
import { csrfValid, endSessionCookie, loadSession, requireSession, sameOrigin, sessionCookieOf, setSessionCookie, STAFF_SESSION_TTL_MS } from './session';
import type { CardProcessor } from '../../processor/card-processor';
import { authorisationsOf } from '../../app/card-on-file';
import { staffCardOnFileRoutes } from './card-on-file-routes';
import { paymentPlansOf, planSetupOf } from '../../app/payment-plans';
import { staffPaymentPlanRoutes } from './payment-plan-routes';

export interface StaffPageDeps {
  db: Db; temporal: Client; taskQueue: string; windows: CollectionWindows; log: Logger;
  /** The pepper API tokens are hashed with (app/api-tokens.ts). */
  apiTokenPepper?: string;
  /** Limits on refused tokens (http/credential-limits.ts), shared with the JSON API; its own when omitted. */
  credentials?: CredentialGuard;
  /** Sign-in with the practice's identity provider (sign-in-routes.ts); the token form only, to localhost:3000, when omitted. */
  signIn?: SignInSettings;
  /** Saves cards on file (issue 18, card-on-file-routes.ts); saving a card answers 503 without one. */
  processor?: CardProcessor;
}

const STATIC_DIR = join(__dirname, 'static');
const STAFF_CSS = readFileSync(join(STATIC_DIR, 'staff.css'), 'utf8');
const STAFF_JS = readFileSync(join(STATIC_DIR, 'staff.js'), 'utf8');

/**
 * The portal's headers (helmet), plus our one script file, and Referrer-Policy same-origin: with no-referrer a browser
 * sends `Origin: null` on form posts, and the origin check of our forms needs the real one. Links to other sites (the
 * EHR's payment page) still get no referrer.
 */
const pageHeaders = helmet({
  ...helmetOptions,
  referrerPolicy: { policy: 'same-origin' },
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"],
      baseUri: ["'none'"], connectSrc: ["'self'"],
    },
  },
});

const send = (res: Response, status: number, body: string) => {
  res.status(status).type('html').send(body);
};
const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
/** A staff form's dollars field (domain/money.ts reads it): blank is none (0); more than one payment can be is not an amount. */
const dollarsField = (text: string | undefined): Cents | undefined => {
  if (!text?.trim()) return 0;
  const cents = parseDollars(text);
  return cents !== undefined && cents > MAX_PAYMENT_CENTS ? undefined : cents;
};
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

const ctxOf = (req: Request): PageContext => ({ staff: req.staffSession!.staff, csrf: req.staffSession!.csrfToken });
const staffOf = (req: Request): Staff => req.staffSession!.staff;
const idParam = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
  return value.toLowerCase();
};

/** A page only some roles may use (admin may use every page). */
function pageRole(roles: Staff['role'][], what: string): RequestHandler {
  return (req, res, next) => {
    const staff = staffOf(req);
    if (staff.role === 'admin' || roles.includes(staff.role)) return next();
    send(res, 403, messagePage({ title: 'Not available for your role', text: `${what} Ask a colleague with the ${roles.join(' or ')} role.`, ctx: ctxOf(req) }));
  };
}

/** Every state-changing form: same-origin browser, and the session's CSRF token. */
function formGuard(req: Request, res: Response, next: NextFunction): void {
  if (sameOrigin(req) && csrfValid(req)) return next();
  send(res, 403, messagePage({ title: 'This form has expired', text: 'For your security, forms only work from the page that showed them. Go back, reload the page and try again.', ctx: req.staffSession ? ctxOf(req) : undefined }));
}

const DONE_NOTICES: Record<string, Notice> = {
  resolved: { kind: 'ok', title: 'Task resolved', text: 'The resolution is recorded; the waiting workflow (if any) completes now.', focus: true },
  assigned: { kind: 'ok', title: 'The task is assigned to you' },
  unassigned: { kind: 'ok', title: 'You are no longer assigned to this task' },
  'refund-sent': { kind: 'ok', title: 'The refund request is on its way to the EHR' },
};

/** What the patient page says after a change made on it (`?done=`). */
const PATIENT_DONE_NOTICES: Record<string, Notice> = {
  consent: { kind: 'ok', title: 'Consent changed', text: 'The change is recorded and audited; the next message follows it.' },
  preferred: { kind: 'ok', title: 'Preferred channel changed', text: 'The change is recorded and audited; the EHR\'s next update does not override it.' },
  'card-authorised': { kind: 'ok', title: 'Card on file authorised', text: 'After the insurance has paid, what the patient owes is charged to it, up to the cap, after a notice.', focus: true },
  'card-revoked': { kind: 'ok', title: 'Card authorisation revoked', text: 'No charge is made under it from now on, even one already announced.', focus: true },
  'plan-created': { kind: 'ok', title: 'Payment plan set up', text: 'Each installment is charged to the card on its date; a receipt follows each.', focus: true },
  'plan-skip': { kind: 'ok', title: 'Installment skipped', text: 'The next installment moves to the end of the plan.', focus: true },
  'plan-pause': { kind: 'ok', title: 'Payment plan paused', text: 'Nothing is charged until it is resumed.', focus: true },
  'plan-resume': { kind: 'ok', title: 'Payment plan resumed', text: 'An installment that fell due meanwhile is charged now.', focus: true },
  'plan-cancel': { kind: 'ok', title: 'Payment plan cancelled', text: 'What is left goes on the statements.', focus: true },
};

export function staffPages(deps: StaffPageDeps): Router {
  const router = Router();
  // A form post with no body, or with one that is not a form (multipart, text), leaves req.body undefined: read as an
  // empty form, so it gets the form's own answer (sign-in failed, form expired), never a TypeError's 500.
  const urlencoded = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 200 });
  const form: RequestHandler = (req, res, next) => urlencoded(req, res, (err?: unknown) => {
    if (err) return next(err);
    req.body ??= {};
    next();
  });
  const credentials = deps.credentials ?? createCredentialGuard();

  router.use('/staff', pageHeaders, (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.get('/staff/static/staff.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(STAFF_CSS);
  });
  router.get('/staff/static/staff.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=300').send(STAFF_JS);
  });
  router.use('/staff', loadSession(deps.db));
  const signIn: SignInSettings = deps.signIn ?? { tokenSignIn: true, redirectUri: 'http://localhost:3000/staff/oidc/callback' };
  router.use(oidcSignInRoutes({ db: deps.db, log: deps.log, signIn }));
  const signInPageOf = async (req: Request, o: { failed?: boolean; signedOut?: boolean }) => {
    const practices = await signInChoices(deps);
    const asked = str(req.query.practice);
    const chosen = practices.find((p) => p.externalId === asked);
    return signInPage({ ...o, choices: { practices, tokenForm: signIn.tokenSignIn, ...(chosen ? { chosen } : {}) } });
  };

  // ── public: sign-in / sign-out ──
  router.get('/staff', (req, res) => {
    res.redirect(303, req.staffSession ? '/staff/queue' : '/staff/sign-in');
  });
  router.get('/staff/sign-in', async (req, res) => {
    if (req.staffSession) return res.redirect(303, '/staff/queue');
    send(res, 200, await signInPageOf(req, { signedOut: req.query['signed-out'] === '1' }));
  });
  router.post('/staff/sign-in', form, async (req, res) => {
    if (!signIn.tokenSignIn) return send(res, 404, messagePage({ title: 'Sign in with your identity provider', text: "Tokens do not sign in to these pages here: use your practice's identity provider on the sign-in page." }));
    if (!sameOrigin(req)) return send(res, 403, messagePage({ title: 'This form has expired', text: 'Sign in from the sign-in page of this site.' }));
    const token = str((req.body as Record<string, unknown>).token).trim();
    // Counted before the comparison, given back when accepted: parallel guesses cannot pass the limit.
    const wait = token === '' ? undefined : await credentials.attempt(req, token);
    if (wait !== undefined) {
      res.set('Retry-After', String(wait));
      return send(res, 429, messagePage({ title: 'Too many sign-in attempts', text: `Too many tokens were not accepted from here. Try again in ${Math.ceil(wait / 60)} minute(s), or ask an admin for your token.` }));
    }
    const staff = await staffOfApiToken(deps, token);
    if (!staff) return send(res, 401, await signInPageOf(req, { failed: true }));
    await credentials.accepted(req, token);
    const session = await startStaffSession(deps, staff, STAFF_SESSION_TTL_MS);
    setSessionCookie(req, res, session.cookieValue, Math.floor(STAFF_SESSION_TTL_MS / 1000));
    res.redirect(303, '/staff/queue');
  });
  router.post('/staff/sign-out', form, async (req, res) => {
    const value = sessionCookieOf(req);
    if (req.staffSession && !(sameOrigin(req) && csrfValid(req))) return formGuard(req, res, () => undefined);
    if (value) await endStaffSignIn(deps, value, req.staffSession?.staff);
    endSessionCookie(req, res);
    res.redirect(303, '/staff/sign-in?signed-out=1');
  });

  // ── everything else needs a session ──
  router.use('/staff', requireSession);

  // ── the queue and tasks ──
  router.get('/staff/queue', async (req, res) => {
    const staff = staffOf(req);
    const f: QueueFilterValues = { status: str(req.query.status) || 'open', reason: str(req.query.reason), assignee: str(req.query.assignee), age: str(req.query.age) };
    const cursor = str(req.query.cursor);
    let filter;
    try {
      filter = taskListFilter({ status: f.status, limit: '25', ...(f.reason ? { reason: f.reason } : {}), ...(f.assignee ? { assignee: f.assignee } : {}), ...(f.age ? { minAgeDays: String(Number(f.age) + 1) } : {}), ...(cursor ? { cursor } : {}) }, staff.id);
    } catch (err) {
      // A hand-edited or stale link (a cursor naming no instant, an unknown reason): say which part, never a 500.
      if (!(err instanceof AppError) || err.status !== 422) throw err;
      const field = err.fields?.[0]?.field ?? 'a filter';
      return send(res, 400, messagePage({ title: 'This link to the work queue is not valid', text: `Its ${field} is not one this list understands. Open the work queue again from the menu to start from the first page.`, ctx: ctxOf(req), section: 'queue' }));
    }
    const { timeZone } = await practiceSettingsOf(deps, staff);
    send(res, 200, queuePage(ctxOf(req), await listQueue(deps, staff, filter), f, cursor !== '', timeZone));
  });

  router.get('/staff/tasks/:taskId', async (req, res) => {
    const view = await getTaskView(deps, staffOf(req), idParam(req.params.taskId, 'task'));
    send(res, 200, taskPage(ctxOf(req), view, { notice: DONE_NOTICES[str(req.query.done)] }));
  });

  const billingOnly = pageRole(['billing'], 'Only billing staff can resolve or assign tasks.');

  router.post('/staff/tasks/:taskId/assign', form, formGuard, billingOnly, async (req, res) => {
    const taskId = idParam(req.params.taskId, 'task');
    await assignTask(deps, staffOf(req), taskId, 'me');
    res.redirect(303, `/staff/tasks/${taskId}?done=assigned`);
  });
  router.post('/staff/tasks/:taskId/unassign', form, formGuard, billingOnly, async (req, res) => {
    const taskId = idParam(req.params.taskId, 'task');
    await assignTask(deps, staffOf(req), taskId, null);
    res.redirect(303, `/staff/tasks/${taskId}?done=unassigned`);
  });
  router.post('/staff/tasks/:taskId/refund-request', form, formGuard, billingOnly, async (req, res) => {
    const taskId = idParam(req.params.taskId, 'task');
    await resendRefundRequests(deps, staffOf(req), taskId);
    res.redirect(303, `/staff/tasks/${taskId}?done=refund-sent`);
  });

  router.post('/staff/tasks/:taskId/resolve', form, formGuard, billingOnly, async (req, res) => {
    const staff = staffOf(req);
    const taskId = idParam(req.params.taskId, 'task');
    const raw = req.body as Record<string, unknown>;
    const state: ResolveFormState = { action: str(raw.action), note: str(raw.note), refundAmount: str(raw.refundAmount), amounts: {} };
    const applications: { claimId: string; amountCents: number }[] = [];
    let formError: ResolveFormState['error'];
    for (const [key, value] of Object.entries(raw)) {
      if (!key.startsWith('amount.')) continue;
      const claimId = key.slice('amount.'.length).toLowerCase();
      state.amounts![claimId] = str(value);
      const cents = dollarsField(str(value));
      if (cents === undefined) formError ??= { field: 'applications', message: 'Enter dollars and cents, e.g. 25.00.', claimId };
      else if (cents > 0) applications.push({ claimId, amountCents: cents });
    }
    const refundCents = dollarsField(state.refundAmount);
    const candidate = {
      action: state.action, note: state.note ?? '',
      ...(state.action === 'apply' ? { applications } : {}),
      ...(state.action === 'refund' ? { refundCents: refundCents === undefined || refundCents === 0 ? -1 : refundCents } : {}),
    };
    const parsed = resolveBodySchema.safeParse(candidate);
    if (!formError && !parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0] ?? 'action');
      formError = field === 'note' ? { field: 'note', message: 'A note is required.' }
        : field === 'refundCents' ? { field: 'refundCents', message: 'Enter the amount to refund in dollars and cents, e.g. 25.00.' }
        : field === 'applications' ? { field: 'applications', message: 'Enter an amount for at least one claim.' }
        : { field: 'action', message: 'Choose what should happen to the money.' };
    }
    const rerender = async (status: number, extra: { error?: ResolveFormState['error']; notice?: Notice }) => {
      const view = await getTaskView(deps, staff, taskId);
      send(res, status, taskPage(ctxOf(req), view, { form: { ...state, error: extra.error }, notice: extra.notice }));
    };
    if (formError || !parsed.success) return rerender(422, { error: formError });
    const body = parsed.data as ResolveBody;
    try {
      await resolveTask(deps, staff, taskId, body);
    } catch (caught) {
      const err = appErrorOf(caught);
      if (err instanceof AppError && err.status === 409) {
        return rerender(409, { notice: { kind: 'bad', title: 'Someone else got there first', text: err.message, focus: true } });
      }
      if (err instanceof AppError && err.status === 422) {
        const field = err.fields?.[0]?.field ?? 'action';
        const index = /^applications\.(\d+)$/.exec(field);
        const claimId = index && body.action === 'apply' ? body.applications?.[Number(index[1])]?.claimId : undefined;
        return rerender(422, { error: { field, message: err.message, ...(claimId ? { claimId } : {}) } });
      }
      throw err;
    }
    res.redirect(303, `/staff/tasks/${taskId}?done=resolved`);
  });

  // ── patients, superbills, collections ──
  router.get('/staff/patients', async (req, res) => {
    send(res, 200, patientsPage(ctxOf(req), await patientsWithBalancesOf(deps, staffOf(req))));
  });

  async function renderPatient(req: Request, res: Response, status: number, patientId: string, extra: PatientPageExtra = {}) {
    const page = await patientPageOf(deps, staffOf(req), patientId);
    const contact = await preferencesOf(deps.db, page.patient.patientId);
    const { authorisations: cards } = await authorisationsOf(deps, staffOf(req), page.patient.patientId);
    const { plans } = await paymentPlansOf(deps, staffOf(req), page.patient.patientId);
    const planSetup = plans.some((p) => p.status === 'active' || p.status === 'paused') ? undefined : await planSetupOf(deps, page.patient.patientId);
    send(res, status, patientPage(ctxOf(req), {
      ...page, creditAge: (c) => creditAge(c.paymentDate, c.ageDays), ...(contact ? { contact } : {}), cards, plans, ...(planSetup ? { planSetup } : {}), ...extra,
    }));
  }

  router.get('/staff/patients/:patientId', async (req, res) => {
    const notice = PATIENT_DONE_NOTICES[str(req.query.done) ?? ''];
    const done = notice ? { notice } : {};
    await renderPatient(req, res, 200, idParam(req.params.patientId, 'patient'), done);
  });

  router.post('/staff/patients/:patientId/collect', form, formGuard, async (req, res) => {
    const patientId = idParam(req.params.patientId, 'patient');
    const raw = req.body as Record<string, unknown>;
    const state: CollectFormState = { amount: str(raw.amount), claimIds: list(raw.claimId) };
    const cents = dollarsField(state.amount);
    if (cents === undefined) return renderPatient(req, res, 422, patientId, { form: { ...state, error: 'Enter the amount in dollars and cents, e.g. 45.00.' } });
    try {
      const started = await startBalanceCollection(deps, staffOf(req), patientId, { ...(cents > 0 ? { amountCents: cents } : {}), ...(state.claimIds!.length > 0 ? { claimIds: state.claimIds } : {}) });
      res.redirect(303, `/staff/collections/${started.body.collectionId}?started=${started.created ? 'new' : 'existing'}`);
    } catch (caught) {
      const err = appErrorOf(caught);
      if (err instanceof AppError && err.status === 422) return renderPatient(req, res, 422, patientId, { form: { ...state, error: err.message } });
      throw err;
    }
  });

  // Contact consent (issue 17): staff withdraw or restore a patient's email or text consent (source `staff`, audited).
  router.post('/staff/patients/:patientId/consent', form, formGuard, async (req, res) => {
    const patientId = idParam(req.params.patientId, 'patient');
    const raw = req.body as Record<string, unknown>;
    const outcome = await changeConsentByStaff(deps.db, staffOf(req), patientId, { channel: str(raw.channel), allowed: str(raw.allowed) }, typeof req.id === 'string' ? req.id : null);
    if (!outcome.ok) return renderPatient(req, res, 422, patientId, { notice: { kind: 'bad', title: 'Consent not changed', text: outcome.message, focus: true } });
    res.redirect(303, `/staff/patients/${patientId}?done=consent`);
  });
  router.post('/staff/patients/:patientId/preferred-channel', form, formGuard, async (req, res) => {
    const patientId = idParam(req.params.patientId, 'patient');
    const raw = req.body as Record<string, unknown>;
    const outcome = await changePreferredChannelByStaff(deps.db, staffOf(req), patientId, { preferredChannel: str(raw.preferredChannel) }, typeof req.id === 'string' ? req.id : null);
    if (!outcome.ok) return renderPatient(req, res, 422, patientId, { notice: { kind: 'bad', title: 'Preferred channel not changed', text: outcome.message, focus: true } });
    res.redirect(303, `/staff/patients/${patientId}?done=preferred`);
  });

  async function renderVisit(req: Request, res: Response, status: number, visitId: string, extra: { form?: CollectFormState; notice?: Notice } = {}) {
    send(res, status, visitPage(ctxOf(req), { ...(await visitPageOf(deps, staffOf(req), visitId)), ...extra }));
  }

  router.get('/staff/visits/:visitId', async (req, res) => {
    await renderVisit(req, res, 200, idParam(req.params.visitId, 'visit'));
  });

  router.post('/staff/visits/:visitId/collect', form, formGuard, async (req, res) => {
    const visitId = idParam(req.params.visitId, 'visit');
    const state: CollectFormState = { amount: str((req.body as Record<string, unknown>).amount) };
    const cents = dollarsField(state.amount);
    if (!cents) return renderVisit(req, res, 422, visitId, { form: { ...state, error: 'Enter the copay in dollars and cents, e.g. 25.00.' } });
    try {
      const started = await startCopayCollection(deps, staffOf(req), visitId, { amountCents: cents });
      res.redirect(303, `/staff/collections/${started.body.collectionId}?started=${started.created ? 'new' : 'existing'}`);
    } catch (caught) {
      const err = appErrorOf(caught);
      if (err instanceof AppError && err.status === 422) return renderVisit(req, res, 422, visitId, { form: { ...state, error: err.message } });
      throw err;
    }
  });

  // Card on file (issue 18): save a card at the superbill, authorise it, revoke it (card-on-file-routes.ts).
  router.use(staffCardOnFileRoutes(deps, { form, formGuard, pageRole }));
  // Payment plans (issue 18): skip / pause / resume / cancel from the patient page's Payment plan card (payment-plan-routes.ts).
  router.use(staffPaymentPlanRoutes(deps, { form, formGuard, pageRole, renderPatient }));

  router.get('/staff/collections/:collectionId', async (req, res) => {
    const { c, ledger } = await collectionPageOf(deps, staffOf(req), idParam(req.params.collectionId, 'collection'));
    const started = str(req.query.started);
    const n: Notice | undefined = started === 'new' ? { kind: 'ok', title: 'Collection started', text: 'Now Process Payment in the EHR.', focus: true }
      : started === 'existing' ? { kind: 'warn', title: 'This collection was already open', text: 'Pressing Collect Now again opens the same EHR payment request.', focus: true } : undefined;
    send(res, 200, collectionPageHtml(ctxOf(req), {
      c,
      ledger: {
        payment: ledger.payment && { amountCents: ledger.payment.amountCents, method: ledger.payment.method, paymentDate: ledger.payment.paymentDate, externalPaymentId: ledger.payment.externalPaymentId },
        applications: ledger.applications, tasks: ledger.tasks,
      },
      notice: n,
    }));
  });

  // ── a statement and its messages with their delivery state (billing: recipients are PHI) ──
  router.get('/staff/statements/:statementId', pageRole(['billing'], 'Statements and their messages are for billing staff.'), async (req, res) => {
    const staff = staffOf(req);
    const statementId = idParam(req.params.statementId, 'statement');
    const [statement, sent, settings] = await Promise.all([
      statementFor(deps, staff, statementId), notificationsOf(deps, staff, { statementId }), practiceSettingsOf(deps, staff),
    ]);
    send(res, 200, statementMessagesPage(ctxOf(req), { statement, timeZone: settings.timeZone, messages: sent.notifications }));
  });

  // ── reports (billing) ──
  const reportsOnly = pageRole(['billing'], 'Reports are for billing staff.');
  router.get('/staff/reports', reportsOnly, async (req, res) => {
    const staff = staffOf(req);
    const [credits, tasks] = await Promise.all([openCreditsReport(deps.db, staff), manualTasksReport(deps.db, staff)]);
    send(res, 200, reportsPage(ctxOf(req), credits, tasks));
  });
  router.get('/staff/reports/open-credits.csv', reportsOnly, async (req, res) => {
    const report = await openCreditsReport(deps.db, staffOf(req));
    sendCsv(res, 'open-credits', report.asOf, openCreditsCsv(report));
  });
  router.get('/staff/reports/manual-tasks.csv', reportsOnly, async (req, res) => {
    const report = await manualTasksReport(deps.db, staffOf(req));
    sendCsv(res, 'manual-tasks', report.asOf, manualTasksCsv(report));
  });

  // ── remittances (billing): 835 files, the upload, matching a claim payment by hand (app/remittances.ts) ──
  const remittancesOnly = pageRole(['billing'], 'Remittance files are for billing staff.');
  const remittanceDeps = { db: deps.db, reversalWatchMs: deps.windows.reversalWatchMs };
  // The upload form (multipart/form-data) read by multer, a maintained parser (busboy underneath), in memory: one file
  // of at most the API's 5 MB and a few text fields (the CSRF token); read after the role check, before the CSRF check
  // (the token is one of the form's fields).
  const MAX_FILE_BYTES = 5 * 1024 * 1024;
  const readUpload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 10, parts: 11 } }).single('file');
  const multipartForm: RequestHandler = (req, res, next) => {
    if (!req.is('multipart/form-data')) return send(res, 415, messagePage({ title: 'Upload the file with the form', text: 'Choose the 835 file in the upload form of the Remittances page.', ctx: ctxOf(req), section: 'remittances' }));
    readUpload(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') {
        req.body = {}; // the form's fields may be cut off: the page is shown again with the refusal
        return void renderRemittances(req, res, 413, { kind: 'bad', title: 'This file is larger than 5 MB', text: 'Nothing was stored.', focus: true }).catch(next);
      }
      if (err) return send(res, 400, messagePage({ title: 'The upload did not arrive whole', text: 'Go back to the Remittances page and upload the file again.', ctx: ctxOf(req), section: 'remittances' }));
      next();
    });
  };
  async function renderRemittances(req: Request, res: Response, status: number, n?: Notice) {
    const staff = staffOf(req);
    const [files, refusals, { timeZone }] = await Promise.all([listRemittances(deps, staff), refusedRemittances(deps, staff), practiceSettingsOf(deps, staff)]);
    send(res, status, remittancesPage(ctxOf(req), { files, refusals, timeZone, notice: n }));
  }
  async function renderRemittanceFile(req: Request, res: Response, status: number, fileId: string, extra: { match?: Omit<MatchFormState, 'candidates'>; notice?: Notice } = {}) {
    const staff = staffOf(req);
    const [detail, { timeZone }] = await Promise.all([remittanceDetail(deps, staff, fileId), practiceSettingsOf(deps, staff)]);
    const asked = extra.match ?? (UUID.test(str(req.query.match)) ? { remittanceClaimId: str(req.query.match).toLowerCase(), q: str(req.query.q) } : undefined);
    const match = asked && { ...asked, candidates: await matchCandidates(deps, staff, asked.q) };
    const done = str(req.query.done);
    const n: Notice | undefined = extra.notice
      ?? (done === 'received' ? { kind: 'ok', title: 'File received', text: 'Its matched claim payments have moved their claims.', focus: true }
        : done === 'duplicate' ? { kind: 'warn', title: 'This file was already received', text: `It arrived on ${formatInstant(new Date(detail.file.receivedAt), timeZone)}; nothing changed.`, focus: true }
          : done === 'matched' ? { kind: 'ok', title: 'Claim payment matched', text: "The claim took this payment; later files from this payer with the same claim number match it by themselves.", focus: true }
            : undefined);
    send(res, status, remittanceFilePage(ctxOf(req), { detail, timeZone, ...(match ? { match } : {}), notice: n }));
  }
  router.get('/staff/remittances', remittancesOnly, async (req, res) => {
    await renderRemittances(req, res, 200);
  });
  router.post('/staff/remittances', remittancesOnly, multipartForm, formGuard, async (req, res) => {
    const file = req.file;
    if (!file || (file.originalname === '' && file.size === 0)) {
      return renderRemittances(req, res, 422, { kind: 'bad', title: 'Choose a file to upload', focus: true });
    }
    try {
      const { answer } = await ingestRemittance(remittanceDeps, staffOf(req), file.buffer);
      res.redirect(303, `/staff/remittances/${String(answer.fileId)}?done=${answer.duplicate ? 'duplicate' : 'received'}`);
    } catch (caught) {
      const err = appErrorOf(caught);
      if (err instanceof AppError && err.status === 422) return renderRemittances(req, res, 422, { kind: 'bad', title: 'The file was refused; nothing of it was stored', text: err.message, focus: true });
      if (err instanceof AppError && err.status === 409) return renderRemittances(req, res, 409, { kind: 'bad', title: 'A payment in this file was already received', text: err.message, focus: true });
      throw err;
    }
  });
  router.get('/staff/remittances/:fileId', remittancesOnly, async (req, res) => {
    await renderRemittanceFile(req, res, 200, idParam(req.params.fileId, 'remittance file'));
  });
  router.post('/staff/remittances/:fileId/claims/:remittanceClaimId/match', form, formGuard, remittancesOnly, async (req, res) => {
    const fileId = idParam(req.params.fileId, 'remittance file');
    const remittanceClaimId = idParam(req.params.remittanceClaimId, 'remittance claim');
    const raw = req.body as Record<string, unknown>;
    const claimId = str(raw.claimId).trim();
    const match = { remittanceClaimId, q: str(raw.q) };
    if (!UUID.test(claimId)) return renderRemittanceFile(req, res, 422, fileId, { match: { ...match, error: 'Choose one of the claims found.' } });
    try {
      await matchRemittanceClaim(remittanceDeps, staffOf(req), fileId, remittanceClaimId, claimId.toLowerCase());
    } catch (caught) {
      const err = appErrorOf(caught);
      if (err instanceof AppError && err.status === 409) {
        return renderRemittanceFile(req, res, 409, fileId, { match, notice: { kind: 'bad', title: 'Not matched', text: err.message, focus: true } });
      }
      if (err instanceof AppError && err.status === 422) {
        return renderRemittanceFile(req, res, 422, fileId, { match: { ...match, error: err.fields?.[0]?.reason ?? err.message } });
      }
      throw err;
    }
    res.redirect(303, `/staff/remittances/${fileId}?done=matched#claim-${remittanceClaimId}`);
  });

  // ── settings (admin) ──
  const adminOnly = pageRole([], 'Practice settings are for admins.');
  router.get('/staff/settings', adminOnly, async (req, res) => {
    send(res, 200, settingsPage(ctxOf(req), await practiceSettingsOf(deps, staffOf(req)), { saved: req.query.saved === '1' }));
  });
  router.post('/staff/settings', form, formGuard, adminOnly, async (req, res) => {
    const staff = staffOf(req);
    const value = str((req.body as Record<string, unknown>).statementThreshold);
    const cents = dollarsField(value);
    if (!cents) {
      return send(res, 422, settingsPage(ctxOf(req), await practiceSettingsOf(deps, staff), { value, error: 'Enter an amount of at least $0.01, e.g. 10.00.' }));
    }
    await changePracticeSettings(deps, staff, { statementThresholdCents: cents });
    res.redirect(303, '/staff/settings?saved=1');
  });

  // ── the team (admin): invite, change a role, deactivate (app/staff-directory.ts) ──
  const teamAdmin = pageRole([], 'The team is managed by admins.');
  const TEAM_DONE: Record<string, Notice> = {
    invited: { kind: 'ok', title: 'Invited', text: "They can sign in with your practice's identity provider now.", focus: true },
    role: { kind: 'ok', title: 'Role changed', focus: true },
    deactivated: { kind: 'ok', title: 'Deactivated', text: 'Their sessions have ended and their API tokens no longer work.', focus: true },
  };
  async function renderTeam(req: Request, res: Response, status: number, extra: { form?: InviteFormState; notice?: Notice } = {}) {
    const done = typeof req.query.done === 'string' ? TEAM_DONE[req.query.done] : undefined;
    send(res, status, teamPage(ctxOf(req), await staffOfPractice(deps, staffOf(req)), { notice: extra.notice ?? done, form: extra.form }));
  }
  /** A refusal the admin can act on (422 a field, 409 the last admin / yourself / already invited): the page says it. */
  const teamRefusal = (caught: unknown): AppError | undefined => {
    const err = appErrorOf(caught);
    return err instanceof AppError && (err.status === 409 || err.status === 422) ? err : undefined;
  };
  router.get('/staff/team', teamAdmin, async (req, res) => {
    await renderTeam(req, res, 200);
  });
  router.post('/staff/team/invite', form, formGuard, teamAdmin, async (req, res) => {
    const raw = req.body as Record<string, unknown>;
    const state: InviteFormState = { email: str(raw.email), displayName: str(raw.displayName), role: str(raw.role) };
    const parsed = inviteBodySchema.safeParse({ email: state.email, displayName: state.displayName, role: state.role });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return renderTeam(req, res, 422, { form: { ...state, error: { field: String(issue.path[0] ?? 'form'), message: `${issue.message}.` } } });
    }
    try {
      await invite(deps, staffOf(req), parsed.data);
    } catch (caught) {
      const err = teamRefusal(caught);
      if (!err) throw caught;
      return renderTeam(req, res, err.status, { form: { ...state, error: { field: err.fields?.[0]?.field ?? 'form', message: err.fields?.[0]?.reason ?? err.message } } });
    }
    res.redirect(303, '/staff/team?done=invited');
  });
  router.post('/staff/team/:staffId/role', form, formGuard, teamAdmin, async (req, res) => {
    const staffId = idParam(req.params.staffId, 'staff member');
    const parsed = roleBodySchema.safeParse({ role: str((req.body as Record<string, unknown>).role) });
    if (!parsed.success) return renderTeam(req, res, 422, { notice: { kind: 'bad', title: 'Choose front desk, billing or admin', focus: true } });
    try {
      await changeRole(deps, staffOf(req), staffId, parsed.data.role);
    } catch (caught) {
      const err = teamRefusal(caught);
      if (!err) throw caught;
      return renderTeam(req, res, err.status, { notice: { kind: 'bad', title: 'The role was not changed', text: err.message, focus: true } });
    }
    res.redirect(303, '/staff/team?done=role');
  });
  router.post('/staff/team/:staffId/deactivate', form, formGuard, teamAdmin, async (req, res) => {
    const staffId = idParam(req.params.staffId, 'staff member');
    try {
      await deactivate(deps, staffOf(req), staffId);
    } catch (caught) {
      const err = teamRefusal(caught);
      if (!err) throw caught;
      return renderTeam(req, res, err.status, { notice: { kind: 'bad', title: 'Not deactivated', text: err.message, focus: true } });
    }
    res.redirect(303, '/staff/team?done=deactivated');
  });

  // ── errors: an HTML page, never a stack trace ──
  const pageErrors: ErrorRequestHandler = (caught: unknown, req, res, next) => {
    if (res.headersSent) return next(caught);
    const err = appErrorOf(caught);
    const ctx = req.staffSession ? ctxOf(req) : undefined;
    if (err instanceof AppError) {
      const title = err.status === 404 ? 'Not found' : err.status === 403 ? 'Not available for your role' : err.title;
      const text = err.status === 404 ? 'There is nothing here, or it belongs to another practice.' : err.message;
      return send(res, err.status, messagePage({ title, text, ctx }));
    }
    // A form or an address the body parser or the router refused (too many fields, a bad Content-Encoding, %FF%FE).
    const fault = requestFaultOf(err);
    if (fault) return send(res, fault.error.status, messagePage({ ...fault.page, ctx }));
    const outage = outageOf(err);
    if (outage) {
      deps.log.warn({ outage, reqId: req.id }, 'staff page: dependency unavailable');
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS[outage]));
      return send(res, 503, messagePage({ title: 'Temporarily unavailable', text: `${unavailableFor(outage).message} Nothing was changed.`, ctx }));
    }
    deps.log.error({ err: safeError(err), reqId: req.id }, 'staff page error');
    send(res, 500, messagePage({ title: 'Something went wrong', text: 'It has been logged. Try again in a moment.', ctx }));
  };
  router.use('/staff', pageErrors);

  return router;
}

