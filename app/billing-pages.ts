/**
 * What the staff's billing pages show (web/staff/): the patients with their balances, a patient's billing page, a
 * superbill (visit) with its copays, and a collection with its ledger. Reads only, scoped to the staff's practice;
 * another practice's ids are not found. Collect Now from these pages is app/collections.ts.
 */
import type { Db } from '../db/connection';
import {
  collectionPage, collectionsOf, patientClaims, patientOpenTasks, patientProfile, patientsWithBalances, patientVisits, visitPanel,
} from '../db/queries/billing-pages';
import { currentClaimReasons } from '../db/queries/claim-reasons';
import { collectionLedger } from '../db/queries/collection-ledger';
import { patientCredits } from '../db/queries/reports';
import type { Staff } from '../db/queries/staff';
import { owedLinesOfStored } from '../domain/remittance-reasons';
import { notFound } from '../lib/errors';

export async function patientsWithBalancesOf(deps: { db: Db }, staff: Staff) {
  return patientsWithBalances(deps.db, staff.practiceId);
}

export async function patientPageOf(deps: { db: Db }, staff: Staff, patientId: string) {
  const patient = await patientProfile(deps.db, staff.practiceId, patientId);
  if (!patient) throw notFound('patient');
  const [claims, visits, copays, balances, credits, tasks] = await Promise.all([
    patientClaims(deps.db, patient.patientId), patientVisits(deps.db, patient.patientId),
    collectionsOf(deps.db, { patientId: patient.patientId, path: 'copay' }), collectionsOf(deps.db, { patientId: patient.patientId, path: 'balance' }),
    patientCredits(deps.db, staff.practiceId, patient.patientId), patientOpenTasks(deps.db, patient.patientId),
  ]);
  return { patient, claims, visits, copays, balances, credits, tasks };
}

export async function visitPageOf(deps: { db: Db }, staff: Staff, visitId: string) {
  const panel = await visitPanel(deps.db, staff.practiceId, visitId);
  if (!panel) throw notFound('visit');
  const [copays, reasons] = await Promise.all([
    collectionsOf(deps.db, { patientId: panel.patient.patientId, path: 'copay', visitId: panel.visit.visitId }),
    currentClaimReasons(deps.db, staff.practiceId, panel.claim ? [panel.claim.claimId] : []),
  ]);
  // Why the patient owes the visit's claim, in the payer's words (db/queries/claim-reasons.ts): the claim view shows it.
  const stored = panel.claim && reasons.get(panel.claim.claimId);
  return { panel, copays, whyYouOwe: stored ? owedLinesOfStored(stored) : [] };
}

export async function collectionPageOf(deps: { db: Db }, staff: Staff, collectionId: string) {
  const c = await collectionPage(deps.db, staff.practiceId, collectionId);
  if (!c) throw notFound('collection');
  return { c, ledger: await collectionLedger(deps.db, c.collectionId) };
}
