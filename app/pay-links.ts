/**
 * Pay links (issue 17), for web/portal/pay-link-routes.ts: whether a link from a statement email may be used, and the
 * sign-in through it. The token is mail/pay-link.ts's (signed, expiring, no PHI); the link's row (statement, expiry,
 * uses) is db/queries/pay-links.ts's. The sign-in IS the portal's lookup (app/portal-sessions.ts lookUp) with the
 * statement's account id: the same counting before comparing, the same lock-out, the same answer for every failure.
 * A use is taken only by a successful sign-in, atomically; a link used up meanwhile ends the session it just started.
 */
import type { Db } from '../db/connection';
import { accountIdOfStatement, consumePayLink, payLinkState } from '../db/queries/pay-links';
import { verifyPayLink } from '../mail/pay-link';
import { endPortalSessionOf, lookUp } from './portal-sessions';
import type { StatementsSettings } from './statements-settings';

export type PayLinkCheck = { ok: true; linkId: string; statementId: string } | { ok: false; reason: 'invalid' | 'expired' | 'used_up' };

export async function checkPayLink(deps: { db: Db; settings: StatementsSettings }, token: string | undefined): Promise<PayLinkCheck> {
  const verified = verifyPayLink(token, [deps.settings.payLinkSecret]);
  if (!verified.ok) return { ok: false, reason: verified.reason === 'expired' ? 'expired' : 'invalid' };
  const state = await payLinkState(deps.db, verified.linkId);
  switch (state.kind) {
    case 'usable': return { ok: true, linkId: verified.linkId, statementId: state.statementId };
    case 'unknown': return { ok: false, reason: 'invalid' };
    case 'expired': return { ok: false, reason: 'expired' };
    case 'used_up': return { ok: false, reason: 'used_up' };
  }
}

export type PayLinkSignIn = { ok: true; sessionCookie: string } | { ok: false; reason: 'lookup_failed' | 'used_up' | 'invalid' };

/** The portal's lookup with the link's statement's account id; on success one use of the link, then the session. */
export async function signInWithPayLink(
  deps: { db: Db; settings: StatementsSettings },
  input: { linkId: string; statementId: string; dateOfBirth: string; clientAddress: string; previousSession?: string },
): Promise<PayLinkSignIn> {
  const accountId = await accountIdOfStatement(deps.db, input.statementId);
  if (!accountId) return { ok: false, reason: 'invalid' };
  const result = await lookUp(deps.db, deps.settings, { accountId, dateOfBirth: input.dateOfBirth, clientAddress: input.clientAddress, previousSession: input.previousSession });
  if (!result.ok) return { ok: false, reason: 'lookup_failed' };
  if (!(await consumePayLink(deps.db, input.linkId))) {
    await endPortalSessionOf(deps, result.sessionCookie);
    return { ok: false, reason: 'used_up' };
  }
  return { ok: true, sessionCookie: result.sessionCookie };
}
