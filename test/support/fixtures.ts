/** Test data through the same upserts the signed reference-data webhooks use. Unique external ids per call. */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connection';
import { upsertClaim, upsertPatient, upsertPractice, upsertVisit, type ClaimRecord } from '../../db/queries/reference-data';
import { upsertStaff } from '../../db/queries/staff';

export interface Scenario {
  practiceId: string;
  practiceExternalId: string;
  patientId: string;
  patientExternalId: string;
  visitId: string;
  visitExternalId: string;
  claimExternalId: string;
  /** The claim as the clearinghouse last sent it; bump `version` for the next remittance. */
  claim: ClaimRecord;
  tokens: { frontDesk: string; billing: string; admin: string };
  auth: (who: 'frontDesk' | 'billing' | 'admin') => { Authorization: string };
}

export async function seedScenario(db: Db, opts: { dateOfService?: string; timeZone?: string } = {}): Promise<Scenario> {
  const tag = randomUUID().slice(0, 8);
  const practiceExternalId = `practice-${tag}`;
  const practiceId = await upsertPractice(db, { externalId: practiceExternalId, name: 'Test Practice', timeZone: opts.timeZone ?? 'America/Los_Angeles', paymentPageUrl: 'http://127.0.0.1:9/pay' });
  const patientExternalId = `pt-${tag}`;
  const patient = await upsertPatient(db, { practiceExternalId, externalId: patientExternalId, version: 1, firstName: 'Casey', lastName: 'Testpatient', dateOfBirth: '1980-02-03' });
  const visitExternalId = `v-${tag}`;
  const visit = await upsertVisit(db, { practiceExternalId, patientExternalId, externalId: visitExternalId, version: 1, dateOfService: opts.dateOfService ?? '2026-11-20' });
  const claim: ClaimRecord = {
    practiceExternalId, visitExternalId, externalId: `c-${tag}`, version: 1, responsibility: 'payer', payerName: 'Test Payer',
    payerStatus: 'submitted', patientResponsibilityCents: 0,
    lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 }],
  };
  await upsertClaim(db, claim);
  const tokens = { frontDesk: `fd-${tag}-${randomUUID()}`, billing: `bl-${tag}-${randomUUID()}`, admin: `ad-${tag}-${randomUUID()}` };
  await upsertStaff(db, { practiceId, displayName: 'Front Desk', role: 'front_desk', token: tokens.frontDesk });
  await upsertStaff(db, { practiceId, displayName: 'Billing', role: 'billing', token: tokens.billing });
  await upsertStaff(db, { practiceId, displayName: 'Admin', role: 'admin', token: tokens.admin });
  return {
    practiceId, practiceExternalId, patientId: patient.id, patientExternalId, visitId: visit.id, visitExternalId,
    claimExternalId: claim.externalId, claim, tokens,
    auth: (who) => ({ Authorization: `Bearer ${tokens[who]}` }),
  };
}

/** The remittance that moves the claim to the patient with this patient responsibility (a new version). */
export function transferToPatient(s: Scenario, patientResponsibilityCents: number, version = s.claim.version + 1): ClaimRecord {
  s.claim = {
    ...s.claim, version, responsibility: 'patient', payerStatus: patientResponsibilityCents === 0 ? 'paid_in_full' : 'adjudicated',
    patientResponsibilityCents,
    lines: s.claim.lines.map((l) => ({ ...l, insurerPaidCents: 18000 - patientResponsibilityCents, patientResponsibilityCents })),
  };
  return s.claim;
}

/** CLP02 = 22: the payer reprocesses; responsibility goes back to the payer. */
export function reverseToPayer(s: Scenario, version = s.claim.version + 1): ClaimRecord {
  s.claim = { ...s.claim, version, responsibility: 'payer', payerStatus: 'reprocessing' };
  return s.claim;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
