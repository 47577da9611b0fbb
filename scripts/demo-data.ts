/**
 * Demo data for the local stack: one practice in Los Angeles, a few (fictional) patients, visits and claims in
 * the states the product cares about. It takes the same path as real data: the EHR stand-in pushes it to the API
 * as signed webhooks (nothing reaches the database by a side door). Idempotent: fixed external ids and versions.
 * Staff users are ours, not the EHR's: they are written directly, with well-known development tokens.
 */
import type { Db } from '../db/connection';
import { practiceId, type ClaimRecord, type PatientRecord, type PracticeRecord, type VisitRecord } from '../db/queries/reference-data';
import { upsertStaff, type StaffRole } from '../db/queries/staff';
import { setPracticeIdentityProvider } from '../app/identity-providers';
import type { IdpConfig } from '../idp/provider';

const PRACTICE = 'demo-practice';

/** The practice's payment page is the processor's hosted page: locally, the stand-in's (GET /hosted-pay?ref=…). */
export const demoPractice = (standinPublicUrl: string): PracticeRecord => ({
  externalId: PRACTICE,
  name: 'Sunset Family Medicine',
  timeZone: 'America/Los_Angeles',
  paymentPageUrl: `${standinPublicUrl.replace(/\/+$/, '')}/hosted-pay`,
});

/** Each demo patient has a (made-up) mailing address of record: statements by post, the postal fallback of a failed message. */
const patient = (externalId: string, firstName: string, lastName: string, dateOfBirth: string, line1: string): PatientRecord => ({
  practiceExternalId: PRACTICE, externalId, version: 1, firstName, lastName, dateOfBirth,
  email: `${firstName.toLowerCase()}@example.com`, phone: '+15555550100',
  mailingAddress: { line1, line2: null, city: 'Los Angeles', state: 'CA', postalCode: '90026' },
});

export const demoPatients: PatientRecord[] = [
  patient('pt-1001', 'Ada', 'Reyes', '1984-03-12', '1200 Sunset Blvd'),
  patient('pt-1002', 'Ben', 'Okafor', '1990-07-30', '455 Echo Park Ave'),
  patient('pt-1003', 'Chloe', 'Nguyen', '1975-11-02', '88 Alvarado St'),
  patient('pt-1004', 'Dev', 'Patel', '2001-01-19', '2310 Glendale Blvd'),
];

const visit = (externalId: string, patientExternalId: string, dateOfService: string): VisitRecord => ({
  practiceExternalId: PRACTICE, patientExternalId, externalId, version: 1, dateOfService, providerName: 'Dr. Mina Soto',
});

export const demoVisits: VisitRecord[] = [
  visit('v-2001', 'pt-1001', '2026-11-20'),
  visit('v-2002', 'pt-1001', '2026-09-14'),
  visit('v-2003', 'pt-1002', '2026-10-05'),
  visit('v-2004', 'pt-1003', '2026-08-22'),
  visit('v-2005', 'pt-1004', '2026-11-27'),
];

const officeVisit = (chargeCents: number, insurerPaidCents: number, adjustmentCents: number, patientResponsibilityCents: number) => [
  { lineNumber: 1, procedureCode: '99213', description: 'Office visit, established patient', chargeCents, insurerPaidCents, adjustmentCents, patientResponsibilityCents },
];

export const demoClaims: ClaimRecord[] = [
  // Still with the payer: a copay collected now waits for the transfer.
  { practiceExternalId: PRACTICE, visitExternalId: 'v-2001', externalId: 'c-3001', version: 1, responsibility: 'payer', payerName: 'Blue Harbor Health', payerStatus: 'submitted', patientResponsibilityCents: 0, lines: officeVisit(18000, 0, 0, 0) },
  // Transferred to the patient: $45.00 patient responsibility open.
  { practiceExternalId: PRACTICE, visitExternalId: 'v-2002', externalId: 'c-3002', version: 1, responsibility: 'patient', payerName: 'Blue Harbor Health', payerStatus: 'adjudicated', patientResponsibilityCents: 4500, lines: officeVisit(18000, 9500, 4000, 4500) },
  { practiceExternalId: PRACTICE, visitExternalId: 'v-2003', externalId: 'c-3003', version: 1, responsibility: 'patient', payerName: 'Pacific Mutual', payerStatus: 'adjudicated', patientResponsibilityCents: 12550, lines: [
    { lineNumber: 1, procedureCode: '99214', description: 'Office visit, moderate complexity', chargeCents: 25000, insurerPaidCents: 11000, adjustmentCents: 6000, patientResponsibilityCents: 8000 },
    { lineNumber: 2, procedureCode: '85025', description: 'Complete blood count', chargeCents: 6500, insurerPaidCents: 1200, adjustmentCents: 750, patientResponsibilityCents: 4550 },
  ] },
  // Paid in full by the payer: nothing left for the patient.
  { practiceExternalId: PRACTICE, visitExternalId: 'v-2004', externalId: 'c-3004', version: 1, responsibility: 'patient', payerName: 'Pacific Mutual', payerStatus: 'paid_in_full', patientResponsibilityCents: 0, lines: officeVisit(18000, 14000, 4000, 0) },
  { practiceExternalId: PRACTICE, visitExternalId: 'v-2005', externalId: 'c-3005', version: 1, responsibility: 'payer', payerName: 'Blue Harbor Health', payerStatus: 'submitted', patientResponsibilityCents: 0, lines: officeVisit(18000, 0, 0, 0) },
];

/** Development-only tokens (the local stack prints them). Production tokens are issued per person. */
export const DEMO_STAFF: { role: StaffRole; displayName: string; token: string; email: string }[] = [
  { role: 'front_desk', displayName: 'Fran (front desk)', token: 'demo-front-desk-token', email: 'fran@demo-clinic.example' },
  { role: 'billing', displayName: 'Bill (billing)', token: 'demo-billing-token', email: 'bill@demo-clinic.example' },
  { role: 'admin', displayName: 'Ada (admin)', token: 'demo-admin-token', email: 'ada@demo-clinic.example' },
];

/**
 * The clearinghouse's API token (a system member of role billing, as `POST /v1/api-tokens` makes one): the EHR
 * stand-in posts its 835 remittance files with it (ehr/standin/config.ts PAYFLOW_API_TOKEN). Development only.
 */
export const DEMO_CLEARINGHOUSE = { role: 'billing' as StaffRole, displayName: 'Clearinghouse (stand-in)', token: 'demo-clearinghouse-token' };

/**
 * The demo practice's identity provider: the local OpenID provider (idp/), with one confidential client for the
 * practice and the demo staff as its users, who sign in there with DEMO_IDP.password (the stack prints it). Public
 * development values: production refuses the client secret (lib/secret-policy.ts).
 */
export const DEMO_IDP = {
  clientId: 'payflow-demo-practice',
  clientSecret: 'dev-idp-demo-client-secret',
  allowedEmailDomain: 'demo-clinic.example',
  password: 'demo-idp-password',
};

/** The local provider's configuration for the demo practice, whose callback is `redirectUri`. */
export const demoIdpConfig = (redirectUri: string, extraUsers: IdpConfig['users'] = []): IdpConfig => ({
  clients: [{ clientId: DEMO_IDP.clientId, clientSecret: DEMO_IDP.clientSecret, redirectUris: [redirectUri] }],
  users: [...DEMO_STAFF.map((s) => ({ email: s.email, name: s.displayName.replace(/ \(.*\)$/, '') })), ...extraUsers],
  password: DEMO_IDP.password,
});

/** Points the demo practice at the local provider at `issuer` (its client secret sealed with `idpSecretKey`). */
export async function setDemoIdentityProvider(db: Db, issuer: string, idpSecretKey?: string): Promise<void> {
  const practice = await practiceId(db, PRACTICE);
  await setPracticeIdentityProvider({ db, ...(idpSecretKey ? { idpSecretKey } : {}) }, practice, {
    issuer, clientId: DEMO_IDP.clientId, clientSecret: DEMO_IDP.clientSecret, allowedEmailDomain: DEMO_IDP.allowedEmailDomain,
  }, 'seed');
}

async function push(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as { delivery?: { status: number | null } };
  const delivered = answer.delivery?.status;
  if (!res.ok || delivered === null || delivered === undefined || delivered >= 300) {
    throw new Error(`demo data: ${url} answered ${res.status}, delivery ${String(delivered)}`);
  }
}

/** Pushes the demo records through the stand-in (signed webhooks to the API), then seeds the demo staff. */
export async function loadDemoData(db: Db, standinUrl: string, standinPublicUrl = standinUrl): Promise<{ patients: number; visits: number; claims: number }> {
  const api = standinUrl.replace(/\/+$/, '');
  await push(`${api}/api/reference-data`, { type: 'practice', record: demoPractice(standinPublicUrl) });
  for (const record of demoPatients) await push(`${api}/api/reference-data`, { type: 'patient', record });
  for (const record of demoVisits) await push(`${api}/api/reference-data`, { type: 'visit', record });
  // The claims as the practice billed them (still with the payer, or already settled): the practice's claim records,
  // not a payer's remittance, so the JSON event (an 835 only ever carries an adjudication).
  for (const claim of demoClaims) await push(`${api}/api/remittances`, { claim, format: 'json' });
  const practice = await practiceId(db, PRACTICE);
  // Card on file (issue 18; docs/card-on-file-and-plans.md), shortened by configuration for the demo: the charge follows
  // its notice after a minute (default 3 days), and a declined card is tried again after 1 and 2 minutes (default 0, 3, 7 days).
  await db.raw(`update practices set card_notice_wait = interval '1 minute', card_retry_schedule = '{0, 1 minute, 2 minutes}'::interval[] where id = ?`, [practice]);
  for (const s of DEMO_STAFF) await upsertStaff(db, { practiceId: practice, ...s });
  await upsertStaff(db, { practiceId: practice, ...DEMO_CLEARINGHOUSE });
  // A system, not a person: it signs in nowhere (staff pages list it as a system).
  await db('staff_users').whereIn('id', db('api_tokens').where({ prefix: DEMO_CLEARINGHOUSE.token.slice(0, 8), practice_id: practice }).select('staff_user_id'))
    .where({ display_name: DEMO_CLEARINGHOUSE.displayName }).update({ kind: 'system' });
  return { patients: demoPatients.length, visits: demoVisits.length, claims: demoClaims.length };
}
