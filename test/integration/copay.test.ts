/**
 * Superbill copay collection end to end, on a real Temporal server and real PostgreSQL, driven the way the
 * billing system and the EHR drive it: the HTTP API, and the EHR stand-in's signed webhooks.
 */
import { useTestStack } from '../support/harness';
import { seedScenario, transferToPatient } from '../support/fixtures';
import { capture, collectionWhen, remit, startCopay } from '../support/copay-driver';

describe('superbill copay collection', () => {
  const stack = useTestStack();

  it('applies a same-day copay when the claim transfers to the patient', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const started = await startCopay(stack, s, 2500);
    expect(started.workflowId).toBe(`copay-${s.visitId}`);
    expect(started.paymentRequest.url).toMatch(/\/pay\//);

    const page = await fetch(started.paymentRequest.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('$25.00');

    const captured = await capture(stack, started.paymentRequest.requestId, '2026-11-20T17:05:00Z');
    expect(captured.delivery).toMatchObject({ status: 200, body: { status: 'accepted' } });
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');

    await remit(stack, transferToPatient(s, 4500));
    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.payment).toMatchObject({ amountCents: 2500, paymentDate: '2026-11-20', method: 'card' });
    expect(done.applications).toEqual([expect.objectContaining({ amountCents: 2500, kind: 'auto', reversed: false })]);
    expect(done.openTask).toBeNull();
  });

  it('counts a card captured at 19:30 Los Angeles time as the date of service (next day in UTC): applied', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const started = await startCopay(stack, s, 3000);
    await capture(stack, started.paymentRequest.requestId, '2026-11-21T03:30:00Z'); // 19:30 PST on the 20th
    await remit(stack, transferToPatient(s, 4500));
    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.payment.paymentDate).toBe('2026-11-20');
    expect(done.appliedCents).toBe(3000);
  });

  it('flags date_mismatch for a copay captured at 00:30 the next day', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const started = await startCopay(stack, s, 3000);
    await capture(stack, started.paymentRequest.requestId, '2026-11-21T08:30:00Z'); // 00:30 PST on the 21st
    await remit(stack, transferToPatient(s, 4500));
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    expect(flagged.payment.paymentDate).toBe('2026-11-21');
    expect(flagged.applications).toEqual([]);
    expect(flagged.openTask).toMatchObject({ reason: 'date_mismatch', status: 'open' });
  });

  it('flags credit_remaining when the payer paid in full', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await remit(stack, transferToPatient(s, 0));
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    expect(flagged.applications).toEqual([]);
    expect(flagged.openTask).toMatchObject({ reason: 'credit_remaining' });
  });

  it('applies part of a copay larger than the patient responsibility and flags the rest', async () => {
    const s = await seedScenario(stack.db);
    const started = await startCopay(stack, s, 5000);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await remit(stack, transferToPatient(s, 3000));
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    expect(flagged.appliedCents).toBe(3000);
    expect(flagged.openTask).toMatchObject({ reason: 'credit_remaining' });
    const audit = await stack.db('audit_log').where({ entity_type: 'manual_task', entity_id: flagged.openTask.id }).first();
    expect(audit).toBeDefined();
  });

  it('honours a transfer that arrived before the capture', async () => {
    const s = await seedScenario(stack.db);
    await remit(stack, transferToPatient(s, 4500));
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.appliedCents).toBe(2500);
  });
});
