/**
 * Paying a statement in the patient portal (shared/domain.md, path 3), for web/portal/routes.ts: the statement the
 * signed-in patient sees, a press of Pay (`startPortalPayment`: a statement payment registered with the statement's
 * run, which then waits for its capture and applies it: workflows/statement.ts, activity `applyStatementPayment`), and
 * the receipt the practice's payment page sends the patient back to.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { setCollectionStatus } from '../db/queries/collections';
import { portalPaymentFor } from '../db/queries/portal';
import { portalStatementOf, statementCollection, statementCurrentBalances, statementDocument, statementDue, type StatementRow } from '../db/queries/statements';
import type { Cents } from '../domain/money';
import { AppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { signPaymentLink, verifyPaymentLink, withPaymentLink } from '../lib/payment-link';
import { registerPaymentUpdate } from '../workflows/statement-messages';
import { ensureStatementRun, planNoteFor, portalLines, statementReasons } from './statements';
import type { StatementsSettings } from './statements-settings';
import { updateFailureToAppError } from './temporal-errors';

export interface PortalPaymentDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  settings: StatementsSettings;
  captureWindowMs: number;
}

/** How long after its link expired a receipt may still be shown from the link alone. */
const RECEIPT_GRACE_SECONDS = 7 * 86_400;

/** The signed-in patient's current statement (open, or the last one closed), if any. */
export async function portalStatementOfPatient(deps: Pick<PortalPaymentDeps, 'db'>, patientId: string): Promise<StatementRow | undefined> {
  return portalStatementOf(deps.db, patientId);
}

/** What the patient sees of a statement: lines as printed with what each owes today and why, the total, paid and due. */
export async function portalStatementView(deps: Pick<PortalPaymentDeps, 'db'>, statement: StatementRow) {
  const doc = await statementDocument(deps.db, statement.id);
  if (!doc) return undefined;
  return {
    firstName: doc.patient.firstName, practiceName: doc.practice.name, statementDate: doc.statement.statement_date, status: doc.statement.status,
    lines: portalLines(doc, await statementCurrentBalances(deps.db, doc.statement), await statementReasons(deps.db, doc)), totalCents: doc.due.totalCents, paidCents: doc.due.paidCents,
    dueCents: doc.due.dueCents, paymentPageUrl: doc.practice.paymentPageUrl, planNote: await planNoteFor(deps.db, doc.statement),
  };
}

export type PortalPaymentOutcome =
  /** To the practice's payment page, with a signed, expiring reference (no PHI). */
  | { kind: 'redirect'; url: string }
  /** The statement has started as many portal payments as it may recently. */
  | { kind: 'capped'; retryAfterSeconds: number }
  /** The statement's run refused it (closed meanwhile, or more than the statement can still take). */
  | { kind: 'refused'; message: string }
  /** Temporal could not be reached: nothing was charged. */
  | { kind: 'unavailable' };

/**
 * A press of Pay for `amountCents` (already checked against the balance due). Pressed again with the same amount: the
 * same open payment request. Otherwise a new one, within the cap, registered with the statement's run (started first
 * when it is not there). Nothing is charged unless the patient then pays on the payment page.
 */
export async function startPortalPayment(deps: PortalPaymentDeps, input: { patientId: string; statement: StatementRow; amountCents: Cents }): Promise<PortalPaymentOutcome> {
  const { db, settings: s } = deps;
  const { patientId, statement, amountCents } = input;
  const claim = await portalPaymentFor(db, {
    statement, amountCents, patientId, reuseWithinMs: deps.captureWindowMs - s.paymentLinkTtlMs,
    limit: { max: s.maxPortalPaymentsPerStatement, windowMs: s.portalPaymentWindowMs },
  });
  if (claim.kind === 'capped') return { kind: 'capped', retryAfterSeconds: claim.retryAfterSeconds };
  const { collection } = claim;
  if (collection.status === 'starting') {
    try {
      const register = () => deps.temporal.workflow.getHandle(statement.workflow_id)
        .executeUpdate(registerPaymentUpdate, { updateId: `register:${collection.id}`, args: [{ collectionId: collection.id, amountCents }] });
      await register().catch(async (err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // The statement's run is not there (never started): start it, then register.
        await ensureStatementRun(deps, statement);
        return register();
      });
    } catch (err) {
      deps.log.warn({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, collectionId: collection.id }, 'statement payment not registered');
      // Only this press's own collection: a reused one may be registering from another press right now.
      if (claim.kind === 'created') await setCollectionStatus(db, { collectionId: collection.id, status: 'cancelled', actor: 'system:portal' });
      // The run refused it (closed meanwhile, or more than the statement can still take): say so, it is not an outage.
      const refused = updateFailureToAppError(err, 'statement');
      if (refused instanceof AppError && refused.status < 500) return { kind: 'refused', message: refused.message };
      return { kind: 'unavailable' };
    }
    await setCollectionStatus(db, { collectionId: collection.id, status: 'awaiting_capture', actor: `patient:${patientId}` });
  }

  const doc = (await statementDocument(db, statement.id))!;
  const token = signPaymentLink({
    c: collection.id, a: amountCents, p: doc.practice.externalId, n: doc.practice.name, r: `${s.publicBaseUrl}/portal/receipt`,
    exp: Math.floor((Date.now() + s.paymentLinkTtlMs) / 1000),
  }, s.paymentLinkSecret);
  return { kind: 'redirect', url: withPaymentLink(doc.practice.paymentPageUrl, token) };
}

/** The statement payment a receipt link names (signed by us, not expired beyond its grace), or undefined. */
export async function receiptPaymentOf(deps: Pick<PortalPaymentDeps, 'db' | 'settings'>, ref: string | undefined) {
  const link = verifyPaymentLink(ref, [deps.settings.paymentLinkSecret], Math.floor(Date.now() / 1000), RECEIPT_GRACE_SECONDS);
  return link.ok ? statementCollection(deps.db, link.payload.c) : undefined;
}

/** What a statement still owes (for the receipt of its own patient). */
export async function statementDueCents(deps: Pick<PortalPaymentDeps, 'db'>, statementId: string): Promise<Cents> {
  return (await statementDue(deps.db, statementId)).dueCents;
}
