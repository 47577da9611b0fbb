/**
 * Card on file on the staff pages (issue 18; docs/card-on-file-and-plans.md), mounted by routes.ts after the session
 * check (its error pages are routes.ts's):
 *   POST /staff/visits/:visitId/card-setup                          front desk, billing: starts a setup with the processor, then
 *                                                                   on to its card-entry page, which comes back to:
 *   GET  /staff/patients/:patientId/card-on-file/new?visitId&setup_intent   the saved card and the authorisation form
 *   POST /staff/patients/:patientId/card-on-file                    front desk, billing: records it (app/card-on-file.ts authoriseCard, via front_desk)
 *   POST /staff/patients/:patientId/card-authorisations/:id/revoke  any staff role: no charge under it from now on
 * Every POST: the session's CSRF token and a same-origin browser. Another practice's ids: 404. No PHI in a URL.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { authoriseCard, revokeCardAuthorisation, startCardSetup, type CardActor, type CardOnFileDeps } from '../../app/card-on-file';
import { setupCardOf } from '../../app/card-on-file-pages';
import { patientPageOf, visitPageOf } from '../../app/billing-pages';
import { appErrorOf } from '../../app/errors';
import type { Staff } from '../../db/queries/staff';
import { MAX_PAYMENT_CENTS, parseDollars } from '../../domain/money';
import { AppError, notFound } from '../../lib/errors';
import { UUID } from '../../lib/validate';
import type { Db } from '../../db/connection';
import type { Notice, PageContext } from './layout';
import { cardAuthorisePage, cardEntryHandoffPage, type AuthoriseFormState, type AuthorisePageModel } from './pages/card-on-file';

export interface StaffCardRouteHelpers {
  /** The staff form body parser, the CSRF + same-origin guard, and the role guard of routes.ts. */
  form: RequestHandler; formGuard: RequestHandler; pageRole: (roles: Staff['role'][], what: string) => RequestHandler;
}

const send = (res: Response, status: number, body: string) => {
  res.status(status).type('html').send(body);
};
const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
const ctxOf = (req: Request): PageContext => ({ staff: req.staffSession!.staff, csrf: req.staffSession!.csrfToken });
const staffOf = (req: Request): Staff => req.staffSession!.staff;
const idParam = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
  return value.toLowerCase();
};
const actorOf = (staff: Staff): CardActor => ({ practiceId: staff.practiceId, actor: `staff:${staff.id}`, via: 'front_desk' });
/** The API's field names as the form's. */
const FORM_FIELD: Record<string, string> = { capCents: 'cap', scope: 'scope', visitId: 'scope', noticeChannel: 'noticeChannel', agreed: 'agreed' };

export function staffCardOnFileRoutes(deps: CardOnFileDeps & { db: Db }, h: StaffCardRouteHelpers): Router {
  const router = Router();
  const saving = h.pageRole(['front_desk', 'billing'], 'Saving a card on file is for front desk and billing staff.');

  /** The patient and (when given, and theirs) the visit the card is saved at. */
  async function whoAndWhere(staff: Staff, patientId: string, visitIdText: string): Promise<Pick<AuthorisePageModel, 'patient' | 'visit'>> {
    const visitId = UUID.test(visitIdText) ? visitIdText.toLowerCase() : undefined;
    if (visitId) {
      const { panel } = await visitPageOf(deps, staff, visitId);
      if (panel.patient.patientId === patientId) {
        return { patient: panel.patient, visit: { visitId: panel.visit.visitId, dateOfService: panel.visit.dateOfService } };
      }
    }
    const { patient } = await patientPageOf(deps, staff, patientId);
    return { patient };
  }

  async function renderAuthorise(req: Request, res: Response, status: number, patientId: string, setupRef: string, visitIdText: string, extra: { form?: AuthoriseFormState; notice?: Notice } = {}) {
    const staff = staffOf(req);
    const where = await whoAndWhere(staff, patientId, visitIdText);
    const card = await setupCardOf(deps, staff, patientId, setupRef);
    send(res, card ? status : 409, cardAuthorisePage(ctxOf(req), { ...where, setupRef, ...(card ? { card } : {}), ...extra }));
  }

  router.post('/staff/visits/:visitId/card-setup', h.form, h.formGuard, saving, async (req, res) => {
    const staff = staffOf(req);
    const { panel } = await visitPageOf(deps, staff, idParam(req.params.visitId, 'visit'));
    const setup = await startCardSetup(deps, actorOf(staff), panel.patient.patientId);
    if (!setup.entryUrl) {
      throw new AppError(501, 'no-hosted-page', 'No hosted card page', "This processor has no hosted card-entry page: save the card with the processor's own element (Stripe.js) through the API.");
    }
    // Back to this site (the address the browser used), to the authorisation form; ids only.
    const back = new URL(`/staff/patients/${panel.patient.patientId}/card-on-file/new`, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
    back.searchParams.set('visitId', panel.visit.visitId);
    const entry = new URL(setup.entryUrl);
    entry.searchParams.set('return_url', back.toString());
    send(res, 200, cardEntryHandoffPage(entry.toString()));
  });

  router.get('/staff/patients/:patientId/card-on-file/new', saving, async (req, res) => {
    const patientId = idParam(req.params.patientId, 'patient');
    const setupRef = str(req.query.setup_intent);
    const visitId = str(req.query.visitId);
    if (!setupRef) throw notFound('card setup');
    await renderAuthorise(req, res, 200, patientId, setupRef, visitId);
  });

  router.post('/staff/patients/:patientId/card-on-file', h.form, h.formGuard, saving, async (req, res) => {
    const patientId = idParam(req.params.patientId, 'patient');
    const raw = req.body as Record<string, unknown>;
    const setupRef = str(raw.setupRef);
    const visitId = str(raw.visitId);
    if (!setupRef) throw notFound('card setup');
    const state: AuthoriseFormState = { cap: str(raw.cap), scope: str(raw.scope), noticeChannel: str(raw.noticeChannel), agreed: str(raw.agreed) === 'yes' };
    const errors: { field: string; message: string }[] = [];
    const capCents = state.cap!.trim() ? parseDollars(state.cap!) : undefined;
    if (capCents === undefined || capCents <= 0 || capCents > MAX_PAYMENT_CENTS) errors.push({ field: 'cap', message: 'Enter the cap in dollars and cents, e.g. 100.00 (at least $0.01).' });
    if (state.scope !== 'visit' && state.scope !== 'year') errors.push({ field: 'scope', message: 'Choose this visit or every visit for a year.' });
    if (state.scope === 'visit' && !UUID.test(visitId)) errors.push({ field: 'scope', message: 'No visit here: choose every visit for a year.' });
    if (!['email', 'text', 'mail'].includes(state.noticeChannel!)) errors.push({ field: 'noticeChannel', message: 'Choose how the patient gets the notice: email, text message or postal mail.' });
    if (!state.agreed) errors.push({ field: 'agreed', message: 'The patient must agree to the authorisation: tick the box once they have.' });
    if (errors.length > 0) return renderAuthorise(req, res, 422, patientId, setupRef, visitId, { form: { ...state, errors } });
    try {
      await authoriseCard(deps, actorOf(staffOf(req)), patientId, {
        setupRef, capCents, scope: state.scope, ...(state.scope === 'visit' ? { visitId } : {}), noticeChannel: state.noticeChannel, agreed: true,
      });
    } catch (caught) {
      const err = appErrorOf(caught);
      if (err instanceof AppError && err.status === 422) {
        const fields = (err.fields ?? []).map((f) => ({ field: FORM_FIELD[f.field] ?? 'cap', message: `This ${f.field} ${f.reason}.` }));
        return renderAuthorise(req, res, 422, patientId, setupRef, visitId, { form: { ...state, errors: fields.length > 0 ? fields : [{ field: 'cap', message: err.message }] } });
      }
      if (err instanceof AppError && err.status === 409) {
        return renderAuthorise(req, res, 409, patientId, setupRef, visitId, { form: state, notice: { kind: 'bad', title: 'Not authorised', text: err.message, focus: true } });
      }
      throw err;
    }
    res.redirect(303, `/staff/patients/${patientId}?done=card-authorised`);
  });

  router.post('/staff/patients/:patientId/card-authorisations/:authorisationId/revoke', h.form, h.formGuard, async (req, res) => {
    const patientId = idParam(req.params.patientId, 'patient');
    await revokeCardAuthorisation(deps, { ...actorOf(staffOf(req)), patientId }, req.params.authorisationId);
    res.redirect(303, `/staff/patients/${patientId}?done=card-revoked`);
  });

  return router;
}
