/**
 * Drives a patient-page (outstanding-balance) collection the way the billing system and the EHR do: our HTTP API and
 * the stand-in's API. Claims are added through the same upserts the signed reference-data webhooks use.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import type { Db } from '../../db/connection';
import { upsertClaim, upsertPatient, upsertVisit } from '../../db/queries/reference-data';
import type { Scenario } from './fixtures';
import type { TestStack } from './harness';
import { showHistory } from './history';

export type BalanceStarted = {
  collectionId: string; workflowId: string; path: string; status: string; patientId: string; visitId: null;
  requestedAmountCents: number; namedClaimIds: string[]; paymentRequest: { requestId: string; url: string }; existing: boolean;
};

/** POST /v1/patients/{patientId}/balance-collections (Collect Now on the patient's billing page). */
export function collectBalance(app: Express, s: Scenario, body?: object, who: 'frontDesk' | 'billing' | 'admin' = 'frontDesk', patientId = s.patientId) {
  const req = request(app).post(`/v1/patients/${patientId}/balance-collections`).set(s.auth(who));
  return body === undefined ? req : req.send(body);
}

export async function startBalance(stack: TestStack, s: Scenario, body?: object): Promise<BalanceStarted> {
  const res = await collectBalance(stack.app, s, body);
  expect(res.status).toBe(201);
  return res.body as BalanceStarted;
}

/** Another patient of the scenario's practice. */
export async function addPatient(db: Db, s: Scenario): Promise<{ patientId: string; patientExternalId: string }> {
  const patientExternalId = `pt-${randomUUID().slice(0, 8)}`;
  const { id } = await upsertPatient(db, { practiceExternalId: s.practiceExternalId, externalId: patientExternalId, version: 1, firstName: 'Robin', lastName: 'Otherpatient', dateOfBirth: '1975-06-07' });
  return { patientId: id, patientExternalId };
}

/**
 * A new visit on `dateOfService` with its claim: by default already transferred to the patient with this patient
 * responsibility; `responsibility: 'payer'` keeps the balance with the payer. Returns the claim id.
 */
export async function addClaim(
  db: Db,
  s: Scenario,
  opts: { dateOfService: string; patientResponsibilityCents: number; responsibility?: 'payer' | 'patient'; patientExternalId?: string },
): Promise<string> {
  const tag = randomUUID().slice(0, 8);
  const visitExternalId = `v-${tag}`;
  await upsertVisit(db, { practiceExternalId: s.practiceExternalId, patientExternalId: opts.patientExternalId ?? s.patientExternalId, externalId: visitExternalId, version: 1, dateOfService: opts.dateOfService });
  const cents = opts.patientResponsibilityCents;
  const responsibility = opts.responsibility ?? 'patient';
  const { id } = await upsertClaim(db, {
    practiceExternalId: s.practiceExternalId, visitExternalId, externalId: `c-${tag}`, version: 2, responsibility, payerName: 'Test Payer',
    payerStatus: responsibility === 'patient' ? 'adjudicated' : 'submitted', patientResponsibilityCents: cents,
    lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 18000 - cents, adjustmentCents: 0, patientResponsibilityCents: cents }],
  });
  return id;
}

/** Standing applications per claim id (cents), straight from the ledger. */
export async function appliedByClaim(db: Db, claimIds: string[]): Promise<Record<string, number>> {
  const rows = await db('payment_applications as a')
    .leftJoin('application_reversals as r', 'r.application_id', 'a.id')
    .whereIn('a.claim_id', claimIds)
    .whereNull('r.id')
    .groupBy('a.claim_id')
    .select<{ claim_id: string; cents: number }[]>('a.claim_id', db.raw('sum(a.amount_cents)::int as cents'));
  return Object.fromEntries(claimIds.map((id) => [id, rows.find((r) => r.claim_id === id)?.cents ?? 0]));
}

/** The run's history as text, with every payload decoded (payload data is base64 in the exported JSON). */
export function historyText(workflowId: string): string {
  const json = showHistory(workflowId);
  const decoded: string[] = [];
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return `${json}\n${decoded.join('\n')}`;
}
