/** Drives a copay collection the way the billing system and the EHR do: our HTTP API and the stand-in's API. */
import request from 'supertest';
import { upsertClaim, type ClaimRecord } from '../../db/queries/reference-data';
import type { TestStack } from './harness';
import { eventually, type Scenario } from './fixtures';

export async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export async function startCopay(stack: TestStack, s: Scenario, amountCents: number) {
  const res = await request(stack.app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).send({ amountCents });
  expect(res.status).toBe(201);
  return res.body as { collectionId: string; workflowId: string; paymentRequest: { requestId: string; url: string } };
}

export async function capture(stack: TestStack, requestId: string, paidAt: string, extra: Record<string, unknown> = {}) {
  const res = await post(`${stack.standin.url}/api/payment-requests/${requestId}/capture`, { method: 'card', paidAt, ...extra });
  expect(res.status).toBe(200);
  return res.body as { eventId: string; externalPaymentId: string; delivery: { status: number; body: any } };
}

export async function remit(stack: TestStack, claim: unknown) {
  const res = await post(`${stack.standin.url}/api/remittances`, { claim });
  expect(res.status).toBe(200);
  expect(res.body.delivery.status).toBe(200);
  return res.body;
}

export async function collectionWhen(stack: TestStack, s: Scenario, collectionId: string, status: string, timeoutMs = 20_000) {
  return eventually(async () => {
    const res = await request(stack.app).get(`/v1/collections/${collectionId}`).set(s.auth('frontDesk'));
    return res.body.status === status ? res.body : undefined;
  }, timeoutMs, `collection ${status}`);
}


/**
 * A claim change stored exactly as the clearinghouse webhook stores it (upsertClaim), with no message to any run: the
 * webhook's signal (or the outbox's delivery) was lost. Returns the stored claim's id.
 */
export async function storeClaimUntold(stack: TestStack, claim: ClaimRecord): Promise<string> {
  const stored = await upsertClaim(stack.db, claim);
  expect(stored.outcome).toBe('updated');
  return stored.id;
}
