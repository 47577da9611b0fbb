/**
 * Demo work queue for the local stack (docs/work-queue.md): two copays from the superbill flow that the rules flag
 * for staff, made the way production makes them: Collect Now through our API, the capture at the EHR stand-in (a
 * signed webhook), the clearinghouse's remittance (an X12 835 file the stand-in POSTs to /v1/remittances).
 *   - Dev Patel's visit of 2026-11-27 (v-2005): $30.00 captured the next day, then the claim transfers to the patient
 *     with $30.00 patient responsibility → `date_mismatch`. This is the one the walk-through resolves.
 *   - Chloe Nguyen's visit of 2026-08-22 (v-2004), already paid in full by the payer: a $20.00 copay has nothing to
 *     go to → `credit_remaining`, months old: past the 30-day refund deadline.
 * Idempotent: a visit that already has a copay collection is left as it is.
 */
import type { Db } from '../db/connection';
import { DEMO_STAFF } from './demo-data';

const PRACTICE = 'demo-practice';

interface Answer {
  status: number;
  body: {
    status?: string; collectionId?: string; workflowId?: string; paymentRequest?: { requestId: string }; delivery?: { status: number | null };
    openTask?: { id: string } | null;
  } | null;
}

async function call(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  return { status: res.status, body: (await res.json().catch(() => null)) as Answer['body'] };
}

async function waitForStatus(apiUrl: string, token: string, collectionId: string, status: string): Promise<{ openTask: { id: string } | null }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await call(`${apiUrl}/v1/collections/${collectionId}`, { token });
    if (res.body?.status === status) return { openTask: res.body.openTask ?? null };
    if (Date.now() > deadline) throw new Error(`demo work queue: collection ${collectionId} did not reach ${status} (it is ${String(res.body?.status)})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function flagCopay(db: Db, urls: { api: string; standin: string }, o: {
  visitExternalId: string; amountCents: number; paidAt: string; remittance?: unknown;
}): Promise<{ taskId: string; workflowId: string; created: boolean }> {
  const frontDesk = DEMO_STAFF.find((s) => s.role === 'front_desk')!.token;
  const visit = await db('visits as v').join('practices as p', 'p.id', 'v.practice_id')
    .where({ 'p.external_id': PRACTICE, 'v.external_id': o.visitExternalId }).first<{ id: string } | undefined>('v.id');
  if (!visit) throw new Error(`demo work queue: visit ${o.visitExternalId} is missing`);
  const existing = await db('collections').where({ visit_id: visit.id, path: 'copay' }).orderBy('created_at').first<{ id: string; workflow_id: string } | undefined>('id', 'workflow_id');
  if (existing) {
    const task = await db('manual_tasks').where({ collection_id: existing.id }).first<{ id: string } | undefined>('id');
    return { taskId: task?.id ?? '', workflowId: existing.workflow_id, created: false };
  }
  const started = await call(`${urls.api}/v1/visits/${visit.id}/copay-collections`, { method: 'POST', token: frontDesk, body: { amountCents: o.amountCents } });
  const requestId = started.body?.paymentRequest?.requestId;
  const collectionId = started.body?.collectionId;
  if (started.status !== 201 || !requestId || !collectionId) throw new Error(`demo work queue: Collect Now answered ${started.status}`);
  const captured = await call(`${urls.standin}/api/payment-requests/${requestId}/capture`, { method: 'POST', body: { method: 'card', paidAt: o.paidAt } });
  if (captured.status !== 200 || captured.body?.delivery?.status !== 200) throw new Error(`demo work queue: the capture answered ${captured.status}`);
  if (o.remittance) {
    const remitted = await call(`${urls.standin}/api/remittances`, { method: 'POST', body: { claim: o.remittance } });
    // The stand-in's default is an 835 file (payflow answers 201 for a new file), or the JSON webhook (200).
    const delivered = remitted.body?.delivery?.status;
    if (remitted.status !== 200 || typeof delivered !== 'number' || delivered >= 300) throw new Error(`demo work queue: the remittance answered ${remitted.status}, delivery ${String(delivered)}`);
  }
  const flagged = await waitForStatus(urls.api, frontDesk, collectionId, 'needs_attention');
  return { taskId: flagged.openTask?.id ?? '', workflowId: started.body?.workflowId ?? '', created: true };
}

export async function loadDemoWorkQueue(db: Db, urls: { api: string; standin: string }): Promise<{ dateMismatch: { taskId: string; workflowId: string; created: boolean }; credit: { taskId: string; workflowId: string; created: boolean } }> {
  const dateMismatch = await flagCopay(db, urls, {
    visitExternalId: 'v-2005', amountCents: 3000, paidAt: '2026-11-28T09:15:00-08:00',
    remittance: {
      practiceExternalId: PRACTICE, visitExternalId: 'v-2005', externalId: 'c-3005', version: 2, responsibility: 'patient', payerName: 'Blue Harbor Health',
      payerStatus: 'adjudicated', patientResponsibilityCents: 3000,
      lines: [{ lineNumber: 1, procedureCode: '99213', description: 'Office visit, established patient', chargeCents: 18000, insurerPaidCents: 11000, adjustmentCents: 4000, patientResponsibilityCents: 3000 }],
    },
  });
  const credit = await flagCopay(db, urls, { visitExternalId: 'v-2004', amountCents: 2000, paidAt: '2026-08-22T10:40:00-07:00' });
  return { dateMismatch, credit };
}
