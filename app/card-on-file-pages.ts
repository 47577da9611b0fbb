/**
 * Card on file for the pages (issue 18; docs/card-on-file-and-plans.md), on top of app/card-on-file.ts:
 * - the staff page that records an authorisation shows the card the patient just typed on the processor's page: read
 *   from the processor by the setup's reference (brand, last 4, expiry; never more);
 * - the portal lists the signed-in patient's own authorisations and revokes one of them (actor `patient:<id>`, via
 *   portal): another patient's authorisation is not found (404), whoever asks.
 */
import type { Db } from '../db/connection';
import { isSetupOfPatient, practiceOfPatient } from '../db/queries/card-on-file';
import { patientInPractice } from '../db/queries/patients';
import { AppError, notFound } from '../lib/errors';
import { CardProcessorError } from '../processor/card-processor';
import { atProcessor, authorisationsOf, revokeCardAuthorisation, type CardActor, type CardOnFileDeps } from './card-on-file';

export interface SetupCard { brand: string; last4: string; expMonth: number; expYear: number }

const BRANDS: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover', diners: 'Diners Club', jcb: 'JCB', unionpay: 'UnionPay' };
/** "Visa ending 4242": the processor's brand code in words. */
export const cardName = (c: { brand: string; last4: string }): string => `${BRANDS[c.brand.toLowerCase()] ?? c.brand} ending ${c.last4}`;

/**
 * The card saved under a setup, once the patient completed it on the processor's page; undefined until then (or for
 * a reference the processor does not know). The patient must be the practice's.
 */
export async function setupCardOf(deps: CardOnFileDeps, who: Pick<CardActor, 'practiceId'>, patientId: string, setupRef: string): Promise<SetupCard | undefined> {
  if (!(await patientInPractice(deps.db, patientId, who.practiceId))) throw notFound('patient');
  if (!deps.processor) throw new AppError(503, 'processor-unavailable', 'Card processor unavailable', 'No card processor is configured.');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(setupRef)) return undefined;
  // Only a setup started for this patient shows (and authorises) a card: references travel through browsers.
  if (!(await isSetupOfPatient(deps.db, { setupRef, practiceId: who.practiceId, patientId }))) return undefined;
  const processor = deps.processor;
  // An unknown reference is the processor's refusal (not retryable): no card. An outage: 503 with Retry-After.
  const card = await atProcessor(() => processor.completedCard(setupRef).catch((err: unknown) => {
    if (err instanceof CardProcessorError && !err.retryable) return undefined;
    throw err;
  }));
  return card && { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear };
}

const patientActor = (practiceId: string, patientId: string): CardActor & { patientId: string } => ({ practiceId, actor: `patient:${patientId}`, via: 'portal', patientId });

/** The signed-in patient's authorisations, newest first. */
export async function portalAuthorisationsOf(deps: { db: Db }, patientId: string) {
  const { practiceId, timeZone } = await practiceOfPatient(deps.db, patientId);
  return { timeZone, authorisations: (await authorisationsOf(deps, { practiceId }, patientId)).authorisations };
}

/** The patient revokes one of their own authorisations (audited as `patient:<id>`); anyone else's: 404. */
export async function revokeByPatient(deps: { db: Db }, patientId: string, authorisationId: unknown) {
  const { practiceId } = await practiceOfPatient(deps.db, patientId);
  return revokeCardAuthorisation(deps, patientActor(practiceId, patientId), authorisationId);
}
