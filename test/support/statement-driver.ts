/**
 * Drives the statement path the way its users do: billing staff through the JSON API, the patient through the portal
 * (plain HTTP with a cookie jar, or a real browser), the processor through the stand-in's hosted payment page.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import type { Db } from '../../db/connection';
import { upsertClaim, upsertPatient, upsertPractice, upsertVisit, type ClaimLineRecord } from '../../db/queries/reference-data';
import { upsertStaff } from '../../db/queries/staff';
import type { StatementsSettings } from '../../app/statements-settings';
import { eventually } from './fixtures';
import type { TestStack } from './harness';

export interface StatementClaimSeed { dateOfService: string; lines: Omit<ClaimLineRecord, 'lineNumber'>[]; responsibility?: 'payer' | 'patient' }

export interface StatementScenario {
  practiceId: string;
  practiceExternalId: string;
  patientId: string;
  accountId: string;
  dateOfBirth: string;
  claimIds: string[];
  tokens: { frontDesk: string; billing: string; admin: string };
  auth: (who: 'frontDesk' | 'billing' | 'admin') => { Authorization: string };
}

const line = (procedureCode: string, description: string, chargeCents: number, insurerPaidCents: number, adjustmentCents: number, patientResponsibilityCents: number) =>
  ({ procedureCode, description, chargeCents, insurerPaidCents, adjustmentCents, patientResponsibilityCents });

/** Two patient-owned claims: Sep 14 ($45.00, one line) and Oct 5 ($125.50, two lines): $170.50 due. */
export const DEFAULT_CLAIMS: StatementClaimSeed[] = [
  { dateOfService: '2026-09-14', lines: [line('99213', 'Office visit, established patient', 18000, 9500, 4000, 4500)] },
  { dateOfService: '2026-10-05', lines: [line('99214', 'Office visit, moderate complexity', 25000, 11000, 6000, 8000), line('85025', 'Complete blood count', 6500, 1200, 750, 4550)] },
];

export async function seedStatementScenario(
  db: Db,
  opts: { paymentPageUrl: string; timeZone?: string; claims?: StatementClaimSeed[]; email?: string | null; phone?: string | null; dateOfBirth?: string; firstName?: string },
): Promise<StatementScenario> {
  const tag = randomUUID().slice(0, 8);
  const practiceExternalId = `practice-${tag}`;
  const practiceId = await upsertPractice(db, { externalId: practiceExternalId, name: 'Harbor Family Clinic', timeZone: opts.timeZone ?? 'America/Los_Angeles', paymentPageUrl: opts.paymentPageUrl });
  const dateOfBirth = opts.dateOfBirth ?? '1984-03-12';
  const patient = await upsertPatient(db, {
    practiceExternalId, externalId: `pt-${tag}`, version: 1, firstName: opts.firstName ?? 'Ada', lastName: 'Testington', dateOfBirth,
    email: opts.email === undefined ? null : opts.email, phone: opts.phone === undefined ? null : opts.phone,
  });
  const claimIds: string[] = [];
  for (const [i, c] of (opts.claims ?? DEFAULT_CLAIMS).entries()) {
    await upsertVisit(db, { practiceExternalId, patientExternalId: `pt-${tag}`, externalId: `v-${tag}-${i}`, version: 1, dateOfService: c.dateOfService });
    const claim = await upsertClaim(db, {
      practiceExternalId, visitExternalId: `v-${tag}-${i}`, externalId: `c-${tag}-${i}`, version: 1, responsibility: c.responsibility ?? 'patient',
      payerName: 'Test Payer', payerStatus: 'adjudicated', patientResponsibilityCents: c.lines.reduce((s, l) => s + l.patientResponsibilityCents, 0),
      lines: c.lines.map((l, n) => ({ ...l, lineNumber: n + 1 })),
    });
    claimIds.push(claim.id);
  }
  const tokens = { frontDesk: `fd-${tag}-${randomUUID()}`, billing: `bl-${tag}-${randomUUID()}`, admin: `ad-${tag}-${randomUUID()}` };
  await upsertStaff(db, { practiceId, displayName: 'Front Desk', role: 'front_desk', token: tokens.frontDesk });
  await upsertStaff(db, { practiceId, displayName: 'Billing', role: 'billing', token: tokens.billing });
  await upsertStaff(db, { practiceId, displayName: 'Admin', role: 'admin', token: tokens.admin });
  const { account_id: accountId } = await db('patients').where({ id: patient.id }).first<{ account_id: string }>('account_id');
  return {
    practiceId, practiceExternalId, patientId: patient.id, accountId, dateOfBirth, claimIds, tokens,
    auth: (who) => ({ Authorization: `Bearer ${tokens[who]}` }),
  };
}

/** The app of this test file, listening on its own port, with portal settings that know its public URL. */
export async function startPortalApp(stack: TestStack, settings: Partial<StatementsSettings> = {}): Promise<{ url: string; app: Express; close(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = stack.makeApp({ statements: { publicBaseUrl: url, ...settings } });
  server.on('request', app);
  return {
    url, app,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}

/**
 * For a describe block: its own portal app (behind one proxy hop, as tests send X-Forwarded-For) and a seeder of
 * statement scenarios whose payment page is the stand-in's.
 */
export function usePortalApp(stack: TestStack, settings: Partial<StatementsSettings> = { trustedProxyHops: 1 }) {
  let app: Awaited<ReturnType<typeof startPortalApp>> | undefined;
  beforeAll(async () => {
    app = await startPortalApp(stack, settings);
  });
  afterAll(() => app?.close());
  return {
    get portal() {
      return app!;
    },
    seed: (opts: Partial<Parameters<typeof seedStatementScenario>[1]> = {}) => seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay`, ...opts }),
  };
}

export async function generateStatement(app: Express, s: StatementScenario): Promise<any> {
  const res = await request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).send({});
  expect(res.status).toBe(201);
  return res.body;
}

export async function statementWhen(app: Express, s: StatementScenario, statementId: string, check: (body: any) => boolean, what = 'statement state', timeoutMs = 30_000): Promise<any> {
  return eventually(async () => {
    const res = await request(app).get(`/v1/statements/${statementId}`).set(s.auth('billing'));
    return res.status === 200 && check(res.body) ? res.body : undefined;
  }, timeoutMs, what);
}

export async function outbox(app: Express, s: StatementScenario, statementId: string): Promise<any[]> {
  const res = await request(app).get(`/v1/notifications?statementId=${statementId}`).set(s.auth('billing')).expect(200);
  return res.body.notifications;
}

// ── the portal over plain HTTP ──
export interface HttpAnswer { status: number; body: string; headers: Headers }

/** A browser-like client: keeps cookies, reads the form token from the pages, does not follow redirects. */
export class PortalClient {
  readonly cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly baseUrl: string, readonly headers: Record<string, string> = {}) {}

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  private async answer(res: Response): Promise<HttpAnswer> {
    this.remember(res);
    const body = await res.text();
    const token = /name="csrf" value="([0-9a-f]{64})"/.exec(body)?.[1];
    if (token) this.csrf = token;
    return { status: res.status, body, headers: res.headers };
  }

  async get(path: string, baseUrl = this.baseUrl): Promise<HttpAnswer> {
    return this.answer(await fetch(`${baseUrl}${path}`, { redirect: 'manual', headers: { ...this.headers, Cookie: this.cookieHeader() } }));
  }

  async post(path: string, form: Record<string, string>, opts: { baseUrl?: string; csrf?: string | null } = {}): Promise<HttpAnswer> {
    const fields = opts.csrf === null ? form : { csrf: opts.csrf ?? this.csrf, ...form };
    return this.answer(await fetch(`${opts.baseUrl ?? this.baseUrl}${path}`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams(fields).toString(),
      headers: { ...this.headers, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: this.cookieHeader() },
    }));
  }

  /** GET /portal (for the CSRF cookie and token), then the lookup. */
  async signIn(accountId: string, dateOfBirth: string): Promise<HttpAnswer> {
    if (!this.csrf) await this.get('/portal');
    return this.post('/portal/lookup', { accountId, dateOfBirth });
  }
}

/** Signs in, pays `amount` (dollars text) and follows the redirect through the hosted page back to the receipt URL. */
export async function payThroughPortal(portalUrl: string, s: StatementScenario, amount: string): Promise<{ receiptUrl: string; paymentPageUrl: string }> {
  const client = new PortalClient(portalUrl);
  const signedIn = await client.signIn(s.accountId, s.dateOfBirth);
  expect(signedIn.status).toBe(303);
  await client.get('/portal/statement');
  const pay = await client.post('/portal/pay', { amount });
  expect(pay.status).toBe(303);
  const paymentPageUrl = pay.headers.get('location')!;
  const receiptUrl = await payOnHostedPage(paymentPageUrl);
  return { receiptUrl, paymentPageUrl };
}

/** The processor's page: opens it, posts the card form, answers where it sends the patient back. */
export async function payOnHostedPage(paymentPageUrl: string): Promise<string> {
  const page = await fetch(paymentPageUrl);
  expect(page.status).toBe(200);
  const ref = new URL(paymentPageUrl).searchParams.get('ref')!;
  const res = await fetch(new URL('/hosted-pay', paymentPageUrl), {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ ref, cardNumber: '4242 4242 4242 4242' }).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  expect(res.status).toBe(303);
  return res.headers.get('location')!;
}
