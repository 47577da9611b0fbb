/**
 * Card on file (issue 18; docs/card-on-file-and-plans.md), for the JSON API, the staff pages and the portal alike:
 * - start saving a card with the processor (the card is typed on the processor's form, never into payflow);
 * - record the patient's authorisation to charge it after the insurance has paid: cap per visit, one visit or a year,
 *   the notice channel; once per completed setup (`card-setup:<setupRef>`), audited;
 * - list a patient's authorisations; revoke one (staff, or the patient in the portal): no charge is made under it
 *   from then on, even one announced already (the charge activity re-reads it);
 * - the patient's objection from the notice's link: no charge for that claim, a statement instead; the waiting run is
 *   woken through the run-messages outbox in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { authoriseBodySchema } from '../contracts/card-on-file';
import type { Db } from '../db/connection';
import { inTransaction } from '../db/connection';
import {
  authorisationById, authorisationsOfPatient, isSetupOfPatient, isVisitOfPatient, recordCardSetup, lockAndFindCharge, processorCustomerOf, recordObjection, revokeAuthorisation,
  saveAuthorisation, type AuthorisationRow,
} from '../db/queries/card-on-file';
import { patientInPractice } from '../db/queries/patients';
import { enqueueRunMessage } from '../db/queries/run-messages';
import { authorisationValidUntil } from '../domain/card-on-file';
import { AppError, conflict, notFound, unavailable, validationFailed } from '../lib/errors';
import { parseBody, UUID } from '../lib/validate';
import { CardProcessorError, type CardProcessor } from '../processor/card-processor';
import { cardChargeWorkflowId } from '../workflows/card-on-file-charge';

export interface CardOnFileDeps { db: Db; processor?: CardProcessor }

/** Who is acting: staff at the front desk, or the patient in the portal. */
export interface CardActor { practiceId: string; actor: string; via: 'front_desk' | 'portal' }

const processorOf = (deps: CardOnFileDeps): CardProcessor => {
  if (!deps.processor) throw new AppError(503, 'processor-unavailable', 'Card processor unavailable', 'No card processor is configured.');
  return deps.processor;
};

/** The processor's outage answers 503 with Retry-After (the caller retries, the same setup); its refusal 502. */
export async function atProcessor<T>(call: () => Promise<T>, refusal?: (err: CardProcessorError) => AppError | undefined): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof CardProcessorError)) throw err;
    if (!err.retryable && refusal?.(err)) throw refusal(err)!;
    if (err.retryable) throw unavailable('The card processor did not answer. Please retry in a few seconds.', 5);
    throw new AppError(502, 'processor-refused', 'Card processor refused', 'The card processor refused the request.');
  }
}

const uuidOr404 = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(what);
  return value.toLowerCase();
};

export function authorisationView(a: AuthorisationRow & { charged_cents?: number }, now = new Date()) {
  return {
    authorisationId: a.id, patientId: a.patient_id,
    card: { brand: a.brand, last4: a.last4, expMonth: a.exp_month, expYear: a.exp_year },
    capCents: a.cap_cents, scope: a.scope, visitId: a.visit_id, validUntil: a.valid_until.toISOString(), noticeChannel: a.notice_channel,
    createdVia: a.created_via, createdAt: a.created_at.toISOString(),
    status: a.revoked_at ? 'revoked' as const : a.valid_until.getTime() <= now.getTime() ? 'expired' as const : 'active' as const,
    revokedAt: a.revoked_at ? a.revoked_at.toISOString() : null, chargedCents: a.charged_cents ?? 0,
  };
}
export type AuthorisationView = ReturnType<typeof authorisationView>;

async function patientOr404(db: Db, practiceId: string, patientId: unknown): Promise<string> {
  const id = uuidOr404(patientId, 'patient');
  if (!(await patientInPractice(db, id, practiceId))) throw notFound('patient');
  return id;
}

/** Starts saving a card: the processor's setup, to complete in the browser (its hosted page, or Stripe.js). */
export async function startCardSetup(deps: CardOnFileDeps, who: CardActor, patientId: unknown) {
  const id = await patientOr404(deps.db, who.practiceId, patientId);
  const processor = processorOf(deps);
  const customerRef = await processorCustomerOf(deps.db, id, processor.name);
  const setup = await atProcessor(() => processor.startCardSetup({
    ...(customerRef ? { customerRef } : {}), idempotencyKey: `card-setup:${id}:${randomUUID()}`, metadata: { patientId: id },
  }));
  await recordCardSetup(deps.db, { setupRef: setup.setupRef, practiceId: who.practiceId, patientId: id, processor: processor.name });
  return { processor: processor.name, setupRef: setup.setupRef, clientSecret: setup.clientSecret, entryUrl: setup.entryUrl ?? null };
}

/** Records the authorisation for a completed setup (once per setup: a retry answers the same one, `created: false`). */
export async function authoriseCard(deps: CardOnFileDeps, who: CardActor, patientId: unknown, rawBody: unknown): Promise<{ created: boolean; body: AuthorisationView }> {
  const id = await patientOr404(deps.db, who.practiceId, patientId);
  const body = parseBody(authoriseBodySchema, rawBody);
  if (body.visitId) {
    if (!(await isVisitOfPatient(deps.db, body.visitId, id))) throw validationFailed([{ field: 'visitId', reason: "is not one of this patient's visits" }]);
  }
  const processor = processorOf(deps);
  // A setup authorises a card only for the patient it was started for (setup references travel through browsers).
  if (!(await isSetupOfPatient(deps.db, { setupRef: body.setupRef, practiceId: who.practiceId, patientId: id }))) {
    throw validationFailed([{ field: 'setupRef', reason: 'is not a card setup started for this patient' }]);
  }
  const card = await atProcessor(() => processor.completedCard(body.setupRef), (err) =>
    (err.httpStatus === 404 || err.httpStatus === 400 ? validationFailed([{ field: 'setupRef', reason: "is not a card setup the processor knows" }]) : undefined));
  if (!card) throw conflict('The card is not saved yet: finish entering it on the processor\'s form, then authorise again.');
  const { authorisation, created } = await saveAuthorisation(deps.db, {
    practiceId: who.practiceId, patientId: id, card: { processor: processor.name, ...card }, capCents: body.capCents, scope: body.scope,
    visitId: body.visitId ?? null, validUntil: authorisationValidUntil(new Date()), noticeChannel: body.noticeChannel, createdVia: who.via,
    actor: who.actor, businessKey: `card-setup:${body.setupRef}`,
  });
  if (authorisation.patient_id !== id) throw conflict('This card setup was authorised for another patient.');
  return { created, body: authorisationView(authorisation) };
}

export async function authorisationsOf(deps: CardOnFileDeps, who: Pick<CardActor, 'practiceId'>, patientId: unknown) {
  const id = await patientOr404(deps.db, who.practiceId, patientId);
  return { patientId: id, authorisations: (await authorisationsOfPatient(deps.db, who.practiceId, id)).map((a) => authorisationView(a)) };
}

/** Revokes (staff: any of the practice's; the portal passes `patientId` so a patient revokes only their own). */
export async function revokeCardAuthorisation(deps: CardOnFileDeps, who: CardActor & { patientId?: string }, authorisationId: unknown) {
  const id = uuidOr404(authorisationId, 'card authorisation');
  const found = await authorisationById(deps.db, id);
  if (!found || found.practice_id !== who.practiceId || (who.patientId && found.patient_id !== who.patientId)) throw notFound('card authorisation');
  const { revoked } = await revokeAuthorisation(deps.db, { authorisationId: id, practiceId: who.practiceId, actor: who.actor });
  return { revoked, authorisation: authorisationView((await authorisationsOfPatient(deps.db, who.practiceId, found.patient_id)).find((a) => a.id === id)!) };
}

/**
 * "Pay another way": no charge for this claim under this authorisation. Recorded once; the waiting run is woken (the
 * signal goes through the outbox in the same transaction). Answers whether a charge was already made.
 */
export async function objectToCardCharge(deps: { db: Db }, ref: { authorisationId: string; claimId: string }, source: 'notice_link' | 'portal' | 'staff', actor: string) {
  const found = await authorisationById(deps.db, ref.authorisationId);
  if (!found) throw notFound('card authorisation');
  return inTransaction(deps.db, async (trx) => {
    // The charge activity reserves under the authorisation's lock too: either the objection is seen by the charge, or the charge by it.
    if (await lockAndFindCharge(trx, ref)) return { objected: false, alreadyCharged: true };
    const { created } = await recordObjection(trx, { ...ref, practiceId: found.practice_id, source, actor });
    if (created) {
      const workflowId = cardChargeWorkflowId(ref.authorisationId, ref.claimId);
      await enqueueRunMessage(trx, { key: `card-charge-stop:${ref.authorisationId}:${ref.claimId}`, workflowId, message: 'stopCardCharge', payload: {} });
    }
    return { objected: true, alreadyCharged: false };
  });
}
