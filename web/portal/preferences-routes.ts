/**
 * The signed-in patient's contact preferences (issue 17):
 *   GET  /portal/preferences   the preferred channel (among those on file) and whether billing email and texts may go
 *   POST /portal/preferences   saves them at once: source `portal`, actor `patient:{id}`, each change audited
 *                              (app/channel-consents.ts changePreferences); the session's CSRF token; a channel that is
 *                              not on file, or a preference for a channel turned off, is refused (422) naming the field
 * Nothing about the contact details themselves is shown or logged: which channels are on file only.
 */
import express, { Router, type Request, type Response } from 'express';
import { changePreferences, checkPreferences, preferencesOf, PREFERRED_CHANNELS, type PreferencesChange } from '../../app/channel-consents';
import type { PortalPaymentDeps } from '../../app/portal-payments';
import { mayUseChannel } from '../../domain/channel-consent';
import type { FieldError } from './layout';
import { messagePage } from './pages';
import { preferencesPage, type PreferencesPageModel } from './pages/preferences';
import { seeOther, sendPage, sessionCsrfValid, type SignedIn, signedInOrRedirect } from './security';

const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });

const send = (res: Response, status: number, body: string) => sendPage(res, status, body);
const field = (body: unknown, name: string): string | undefined => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
};

/** The form's fields as a change; a value no form sends is a problem naming its field. */
export function preferencesFromForm(body: unknown): { change: PreferencesChange; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const change: PreferencesChange = {};
  const preferred = field(body, 'preferredChannel');
  if (preferred !== undefined) {
    if (preferred === '') change.preferredChannel = null;
    else if ((PREFERRED_CHANNELS as readonly string[]).includes(preferred)) change.preferredChannel = preferred as PreferencesChange['preferredChannel'];
    else errors.push({ field: 'preferredChannel', message: 'Choose email, text message, postal mail or no preference.' });
  }
  for (const name of ['email', 'text'] as const) {
    const v = field(body, name);
    if (v === undefined) continue;
    if (v === 'on' || v === 'off') change[name] = v === 'on';
    else errors.push({ field: name, message: 'Choose whether to send them or not.' });
  }
  return { change, errors };
}

export function preferencesRoutes(deps: PortalPaymentDeps): Router {
  const router = Router();

  const signedIn = (req: Request, res: Response) => signedInOrRedirect(deps, req, res);

  async function model(session: SignedIn, extra: Partial<PreferencesPageModel> = {}): Promise<PreferencesPageModel | undefined> {
    const p = await preferencesOf(deps.db, session.patientId);
    if (!p) return undefined;
    return {
      csrf: session.csrfToken, practiceName: p.practiceName, firstName: p.firstName, onFile: p.onFile,
      preferredChannel: p.preferredChannel, emailAllowed: mayUseChannel('email', p.consents.email).allowed, textAllowed: mayUseChannel('text', p.consents.text).allowed,
      ...extra,
    };
  }

  router.get('/portal/preferences', async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    const m = await model(session, { saved: req.query.saved === '1' });
    if (!m) return seeOther(res, '/portal');
    send(res, 200, preferencesPage(m));
  });

  router.post('/portal/preferences', form, async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    if (!sessionCsrfValid(req, session)) {
      return send(res, 403, messagePage('This form has expired', 'For your security, forms expire. Please open the page again and try again.', { href: '/portal/preferences', text: 'Open it again' }));
    }
    const current = await preferencesOf(deps.db, session.patientId);
    if (!current) return seeOther(res, '/portal');
    const { change, errors } = preferencesFromForm(req.body);
    const problems = errors.length > 0 ? errors : checkPreferences(current, change);
    if (problems.length > 0) {
      const m = (await model(session, { errors: problems }))!;
      // Show what the patient chose, with the problems.
      if (change.preferredChannel !== undefined) m.preferredChannel = change.preferredChannel;
      if (change.email !== undefined) m.emailAllowed = change.email;
      if (change.text !== undefined) m.textAllowed = change.text;
      return send(res, 422, preferencesPage(m));
    }
    await changePreferences(deps.db, session.patientId, change, { source: 'portal', actor: `patient:${session.patientId}`, requestId: typeof req.id === 'string' ? req.id : null });
    seeOther(res, '/portal/preferences?saved=1');
  });

  return router;
}
