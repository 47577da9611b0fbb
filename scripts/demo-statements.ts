/**
 * Demo statements for the local stack: runs this cycle's statement batch for the demo practice through the API (as
 * billing staff would), so every demo patient with a patient-owned balance over the threshold gets a statement, and
 * answers what a person needs to try the portal: the account ids and dates of birth of the fictional demo patients.
 * Idempotent per cycle: on a second start it finds the statements of the first.
 */
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor, payloadCodecFromEnv } from '../lib/codec';
import { DEMO_STAFF, demoPatients } from './demo-data';
import { ensureStatementSchedule, STATEMENT_SCHEDULE_ID } from './statement-schedule';

export interface DemoStatement { firstName: string; accountId: string; dateOfBirth: string; dueCents: number; statementId: string; status: string }

async function call(url: string, init: RequestInit = {}): Promise<unknown> {
  const billing = DEMO_STAFF.find((s) => s.role === 'billing')!;
  const res = await fetch(url, { ...init, headers: { Authorization: `Bearer ${billing.token}`, 'Content-Type': 'application/json', ...init.headers } });
  if (!res.ok) throw new Error(`demo statements: ${init.method ?? 'GET'} ${new URL(url).pathname} answered ${res.status}`);
  return res.json();
}

export async function sendDemoStatements(apiUrl: string): Promise<DemoStatement[]> {
  await call(`${apiUrl}/v1/statement-batches`, { method: 'POST', body: '{}' });
  const { statements } = (await call(`${apiUrl}/v1/statements`)) as { statements: { statementId: string; patientExternalId: string; accountId: string; status: string }[] };
  const out: DemoStatement[] = [];
  for (const s of statements) {
    const patient = demoPatients.find((p) => p.externalId === s.patientExternalId);
    if (!patient || out.some((o) => o.accountId === s.accountId)) continue; // newest statement per patient
    const detail = (await call(`${apiUrl}/v1/statements/${s.statementId}`)) as { dueCents: number };
    out.push({ firstName: patient.firstName, accountId: s.accountId, dateOfBirth: patient.dateOfBirth, dueCents: detail.dueCents, statementId: s.statementId, status: s.status });
  }
  return out;
}

/** "1984-03-12" → "03/12/1984", as a patient types it. */
export const usDate = (iso: string) => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;

/**
 * For the local stack: the daily statement schedule (scripts/statement-schedule.ts), then this cycle's demo
 * statements. The schedule is a convenience here: a failure to create it is reported, not fatal.
 */
export async function setUpDemoStatements(o: { apiUrl: string; temporalAddress: string; taskQueue: string; publicBaseUrl: string; captureWindowMs: number }): Promise<{ statements: DemoStatement[]; schedule: string }> {
  let schedule: string;
  const connection = await Connection.connect({ address: o.temporalAddress });
  try {
    const client = new Client({ connection, dataConverter: dataConverterFor(payloadCodecFromEnv()) });
    const outcome = await ensureStatementSchedule(client, {
      taskQueue: o.taskQueue, settings: { publicBaseUrl: o.publicBaseUrl, reminderIntervalMs: 14 * 86_400_000, reminderLimit: 3, captureWindowMs: o.captureWindowMs },
    });
    schedule = `${STATEMENT_SCHEDULE_ID} ${outcome} (daily, 17:00 UTC)`;
  } catch (err) {
    schedule = `not created: ${(err as Error).message}`;
  } finally {
    await connection.close();
  }
  return { statements: await sendDemoStatements(o.apiUrl), schedule };
}
