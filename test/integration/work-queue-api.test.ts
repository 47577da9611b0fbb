/**
 * The staff work queue's API on a real Temporal server and real PostgreSQL: list (filters, keyset pages, counts),
 * detail (only the patient's open patient-owned claims), assignment, resolution by the waiting workflow's validator
 * (every rule), exactly once under concurrency, workflow-less tasks, refunds through the EHR adapter, roles, and 404s
 * for another practice's ids.
 */
import request from 'supertest';
import { useTestStack } from '../support/harness';
import { eventually, seedScenario } from '../support/fixtures';
import { addClaim, addPatient, appliedByClaim } from '../support/balance-driver';
import { recordHistory } from '../support/history';
import { collectionWhen } from '../support/copay-driver';
import { localDateOf } from '../../domain/dates';
import { resolveUpdate } from '../../workflows/collection-messages';
import { ehrRefundWorkflowId } from '../../workflows/ehr-refund';
import {
  flaggedCopay, loosePayment, PROBLEM, resolveVia, runResult, staffIdOf, taskRow, workflowlessTask,
} from './work-queue-support';

describe('work queue API', () => {
  const stack = useTestStack();

  describe('the validator of the waiting workflow refuses what the rules forbid (422), and nothing moves', () => {
    it('an amount above the claim\'s open balance', async () => {
      const f = await flaggedCopay(stack, { copayCents: 2500, responsibilityCents: 1000 });
      const res = await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 1500 }], note: 'apply it' })
        .expect(422).expect('Content-Type', PROBLEM);
      expect(res.body.detail).toBe("$15.00 is more than the claim's open balance of $10.00.");
      expect(res.body.errors).toEqual([{ field: 'applications.0', reason: res.body.detail }]);
      expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open' });
      expect(await appliedByClaim(stack.db, [f.claimId])).toEqual({ [f.claimId]: 0 });
    });

    it('a total above the unapplied amount', async () => {
      const f = await flaggedCopay(stack);
      const other = await addClaim(stack.db, f.s, { dateOfService: '2026-10-01', patientResponsibilityCents: 5000 });
      const res = await resolveVia(stack, f.s, f.taskId, {
        action: 'apply', applications: [{ claimId: f.claimId, amountCents: 2000 }, { claimId: other, amountCents: 501 }], note: 'split',
      }).expect(422);
      expect(res.body.detail).toBe('The total exceeds the $25.00 left to place.');
      expect(await appliedByClaim(stack.db, [f.claimId, other])).toEqual({ [f.claimId]: 0, [other]: 0 });
    });

    it("another patient's claim, and another practice's claim", async () => {
      const f = await flaggedCopay(stack);
      const otherPatient = await addPatient(stack.db, f.s);
      const theirs = await addClaim(stack.db, f.s, { dateOfService: '2026-10-01', patientResponsibilityCents: 5000, patientExternalId: otherPatient.patientExternalId });
      const res = await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: theirs, amountCents: 100 }], note: 'wrong patient' }).expect(422);
      expect(res.body.detail).toBe("That claim is not one of this patient's claims.");

      const elsewhere = await seedScenario(stack.db);
      const foreignClaim = await addClaim(stack.db, elsewhere, { dateOfService: '2026-10-01', patientResponsibilityCents: 5000 });
      const res2 = await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: foreignClaim, amountCents: 100 }], note: 'wrong practice' }).expect(422);
      expect(res2.body.detail).toBe("That claim is not one of this patient's claims.");
      expect(await appliedByClaim(stack.db, [theirs, foreignClaim])).toEqual({ [theirs]: 0, [foreignClaim]: 0 });
    });

    it('a claim still with the payer', async () => {
      const f = await flaggedCopay(stack);
      const payerHeld = await addClaim(stack.db, f.s, { dateOfService: '2026-10-01', patientResponsibilityCents: 5000, responsibility: 'payer' });
      const res = await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: payerHeld, amountCents: 100 }], note: 'too early' }).expect(422);
      expect(res.body.detail).toBe('That claim is still with the payer: patient money cannot be applied to it yet.');
    });

    it('the same claim twice, a refund above the unapplied amount, closing a task with money left, and no note', async () => {
      const f = await flaggedCopay(stack);
      const twice = await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 100 }, { claimId: f.claimId, amountCents: 100 }], note: 'x' }).expect(422);
      expect(twice.body.detail).toBe('Each claim may appear only once.');
      const refund = await resolveVia(stack, f.s, f.taskId, { action: 'refund', refundCents: 2501, note: 'refund' }).expect(422);
      expect(refund.body.detail).toBe('The refund must be between $0.01 and $25.00.');
      const close = await resolveVia(stack, f.s, f.taskId, { action: 'close', note: 'nothing to do' }).expect(422);
      expect(close.body.detail).toBe('This payment still has $25.00 unapplied: apply it, keep it as credit, or refund it.');
      const noNote = await resolveVia(stack, f.s, f.taskId, { action: 'credit', note: '  ' }).expect(422);
      expect(noNote.body.errors).toEqual([expect.objectContaining({ field: 'note' })]);
      expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open' });
    });

    it('the validator itself refuses an update without claim states, and one naming a claim of another patient, before any history is written', async () => {
      const f = await flaggedCopay(stack);
      const handle = stack.client.workflow.getHandle(f.workflowId);
      const base = { taskId: f.taskId, action: 'apply' as const, note: 'direct', actor: 'staff:test', applications: [{ claimId: f.claimId, amountCents: 100 }] };
      await expect(handle.executeUpdate(resolveUpdate, { args: [base] })).rejects.toMatchObject({ cause: { type: 'Invalid', message: "That claim is not one of this patient's claims." } });
      await expect(handle.executeUpdate(resolveUpdate, { args: [{ ...base, claims: [{ claimId: f.claimId, ofTaskPatient: true, heldBy: 'payer', openCents: 4500 }] }] }))
        .rejects.toMatchObject({ cause: { type: 'Invalid' } });
      await expect(handle.executeUpdate(resolveUpdate, { args: [{ ...base, applications: [{ claimId: f.claimId, amountCents: 200 }], claims: [{ claimId: f.claimId, ofTaskPatient: true, heldBy: 'patient', openCents: 100 }] }] }))
        .rejects.toMatchObject({ cause: { type: 'Invalid', message: "$2.00 is more than the claim's open balance of $1.00." } });
      // Rejected updates leave no trace in the run's history: no resolve update was ever accepted.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'resolve')).toHaveLength(0);
    });

    it('the ledger re-checks under row locks: claim states that lie get past the validator, not past the ledger', async () => {
      const f = await flaggedCopay(stack, { copayCents: 2500, responsibilityCents: 1000 });
      const handle = stack.client.workflow.getHandle(f.workflowId);
      const lie = { taskId: f.taskId, action: 'apply' as const, note: 'lying caller', actor: 'staff:test', applications: [{ claimId: f.claimId, amountCents: 2000 }], claims: [{ claimId: f.claimId, ofTaskPatient: true, heldBy: 'patient' as const, openCents: 99_999 }] };
      await expect(handle.executeUpdate(resolveUpdate, { args: [lie] })).rejects.toMatchObject({ cause: { cause: { type: 'LedgerRuleError' } } });
      expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open' });
      expect(await appliedByClaim(stack.db, [f.claimId])).toEqual({ [f.claimId]: 0 });
      // And the task can still be resolved properly afterwards.
      await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 1000 }], note: 'the open $10.00' }).expect(200);
      expect(await runResult(stack, f.workflowId)).toMatchObject({ status: 'resolved', appliedCents: 1000 });
    });
  });

  describe('exactly once', () => {
    it('two billing users resolve the same task at the same moment: one 200, one 409 that says who did it', async () => {
      const f = await flaggedCopay(stack);
      await request(stack.app).post(`/v1/manual-tasks/${f.taskId}/assign`).set(f.s.auth('admin')).send({}).expect(200);
      const [a, b] = await Promise.all([
        resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 2500 }], note: 'billing applies' }, 'billing'),
        resolveVia(stack, f.s, f.taskId, { action: 'credit', note: 'admin keeps it as credit' }, 'admin'),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const loser = a.status === 409 ? a : b;
      expect(loser.headers['content-type']).toMatch(PROBLEM);
      expect(loser.body.detail).toMatch(/^(Billing|Admin) already resolved this task \((applied to claims|kept as credit)\) at .+\. Your resolution was not applied; nothing was changed\.$|^Someone else is resolving this task right now\./);
      const row = await taskRow(stack, f.taskId);
      expect(row.status).toBe('resolved');
      const applied = (await appliedByClaim(stack.db, [f.claimId]))[f.claimId];
      expect(applied).toBe(row.resolution === 'applied' ? 2500 : 0);
      expect(await runResult(stack, f.workflowId)).toMatchObject({ status: 'resolved' });
      // A resolution after the fact: 409 naming who resolved it.
      const late = await resolveVia(stack, f.s, f.taskId, { action: 'credit', note: 'late' }).expect(409);
      expect(late.body.detail).toMatch(/already resolved this task/);
    });

    it('the same person sending the same resolution twice (double submit) gets 200 twice and one effect', async () => {
      const f = await flaggedCopay(stack);
      const body = { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 2500 }], note: 'double click' };
      const [a, b] = await Promise.all([resolveVia(stack, f.s, f.taskId, body), resolveVia(stack, f.s, f.taskId, body)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      await resolveVia(stack, f.s, f.taskId, body).expect(200);
      expect(await appliedByClaim(stack.db, [f.claimId])).toEqual({ [f.claimId]: 2500 });
    });

    it('a resolution retried with its Idempotency-Key gets the first answer replayed, and one effect', async () => {
      const f = await flaggedCopay(stack);
      const body = { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 2500 }], note: 'answer lost' };
      const send = () => resolveVia(stack, f.s, f.taskId, body).set('Idempotency-Key', 'resolve-retry-0001');
      const first = await send().expect(200);
      const again = await send().expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await appliedByClaim(stack.db, [f.claimId])).toEqual({ [f.claimId]: 2500 });
    });

    it('a task no workflow waits for: two resolutions at once, one wins', async () => {
      const s = await seedScenario(stack.db);
      const paymentId = await loosePayment(stack, s, 3000);
      const taskId = await workflowlessTask(stack, s, { reason: 'claim_reversed', paymentId, amountCents: 3000 });
      const [a, b] = await Promise.all([
        resolveVia(stack, s, taskId, { action: 'credit', note: 'one' }, 'billing'),
        resolveVia(stack, s, taskId, { action: 'refund', refundCents: 3000, note: 'two' }, 'admin'),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const row = await taskRow(stack, taskId);
      const refunds = await stack.db('refunds').where({ payment_id: paymentId });
      expect(refunds).toHaveLength(row.resolution === 'refund' ? 1 : 0);
    });
  });

  describe('tasks no workflow waits for are resolved directly, by the same rules', () => {
    it("an unpaid statement's follow-up: only 'close' (no money), with a note", async () => {
      const s = await seedScenario(stack.db);
      const taskId = await workflowlessTask(stack, s, { reason: 'statement_unpaid', amountCents: 4500 });
      const view = await request(stack.app).get(`/v1/manual-tasks/${taskId}`).set(s.auth('billing')).expect(200);
      expect(view.body).toMatchObject({ resolvesThrough: 'direct', allowedActions: ['close'], payment: null });
      const credit = await resolveVia(stack, s, taskId, { action: 'credit', note: 'x' }).expect(422);
      expect(credit.body.detail).toBe('There is no money left on this payment to keep as credit; close the task instead.');
      await resolveVia(stack, s, taskId, { action: 'close', note: 'called the patient; payment plan agreed' }).expect(200);
      expect(await taskRow(stack, taskId)).toMatchObject({ status: 'resolved', resolution: 'closed', resolution_note: 'called the patient; payment plan agreed' });
      const audit = await stack.db('audit_log').where({ entity_type: 'manual_task', entity_id: taskId }).orderBy('id').pluck('action');
      expect(audit).toEqual(['task.opened', 'task.resolved', 'task.resolved_without_workflow']);
    });

    it('a task whose run was terminated: resolved directly; the collection shows it', async () => {
      const f = await flaggedCopay(stack);
      await stack.client.workflow.getHandle(f.workflowId).terminate('engineer closed the run');
      const view = await request(stack.app).get(`/v1/manual-tasks/${f.taskId}`).set(f.s.auth('billing')).expect(200);
      expect(view.body.resolvesThrough).toBe('direct');
      await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 2500 }], note: 'after the run ended' }).expect(200);
      expect(await appliedByClaim(stack.db, [f.claimId])).toEqual({ [f.claimId]: 2500 });
      expect(await collectionWhen(stack, f.s, f.collectionId, 'resolved')).toMatchObject({ applications: [expect.objectContaining({ kind: 'manual', amountCents: 2500 })] });
      const directAudit = await stack.db('audit_log').where({ entity_id: f.taskId, action: 'task.resolved_without_workflow' }).first();
      expect(directAudit.after).toMatchObject({ why: 'run_ended' });
    });
  });

  describe('refund through the EHR adapter', () => {
    it('records the refund, and the EHR (stand-in) receives one request for it, exactly once', async () => {
      const f = await flaggedCopay(stack);
      const res = await resolveVia(stack, f.s, f.taskId, { action: 'refund', refundCents: 2000, note: 'patient asked for a refund' }).expect(200);
      expect(res.body).toMatchObject({ resolved: true, taskId: f.taskId, refund: { ehrRequest: 'started', refundIds: [expect.any(String)] } });
      const refundId: string = res.body.refund.refundIds[0];
      const sent = await eventually(async () => {
        const row = await stack.db('ehr_refund_requests').where({ refund_id: refundId }).first();
        return row?.status === 'sent' ? row : undefined;
      }, 20_000, 'refund request sent');
      const recorded = stack.standin.refundRequests().filter((r) => r.input.refundId === refundId);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({ refundRequestId: sent.ehr_refund_request_id, input: { amountCents: 2000, patientExternalId: f.s.patientExternalId } });
      // Sending again is harmless: still one request at the EHR.
      await request(stack.app).post(`/v1/manual-tasks/${f.taskId}/refund-request`).set(f.s.auth('billing')).expect(200);
      expect(stack.standin.refundRequests().filter((r) => r.input.refundId === refundId)).toHaveLength(1);
      expect(await runResult(stack, f.workflowId)).toMatchObject({ status: 'resolved', appliedCents: 0 });
      expect(await runResult(stack, ehrRefundWorkflowId(refundId))).toEqual({ ehrRefundRequestId: sent.ehr_refund_request_id });
      recordHistory(ehrRefundWorkflowId(refundId), 'ehr-refund-request');
      const ledger = await request(stack.app).get(`/v1/patients/${f.s.patientId}/payments`).set(f.s.auth('billing')).expect(200);
      expect(ledger.body.payments[0]).toMatchObject({ amountCents: 2500, refundedCents: 2000, unappliedCents: 500 });
      const view = await request(stack.app).get(`/v1/manual-tasks/${f.taskId}`).set(f.s.auth('billing')).expect(200);
      expect(view.body.outcome.refunds).toEqual([expect.objectContaining({ amountCents: 2000, ehrRequest: expect.objectContaining({ status: 'sent' }) })]);
    });
  });

  describe('list and detail', () => {
    it('oldest first, keyset pages, filters by reason, status, age and assignee, counts by reason', async () => {
      const s = await seedScenario(stack.db);
      const p1 = await loosePayment(stack, s, 1000);
      const t1 = await workflowlessTask(stack, s, { reason: 'credit_remaining', paymentId: p1, amountCents: 1000 });
      const t2 = await workflowlessTask(stack, s, { reason: 'statement_unpaid', amountCents: 4500 });
      const p3 = await loosePayment(stack, s, 3000);
      const t3 = await workflowlessTask(stack, s, { reason: 'claim_reversed', paymentId: p3, amountCents: 3000 });
      // The first task has waited 40 days.
      await stack.db('manual_tasks').where({ id: t1 }).update({
        created_at: stack.db.raw("(((now() at time zone 'America/Los_Angeles')::date - 40) + time '12:00') at time zone 'America/Los_Angeles'"),
      });
      const list = (q: string, who: 'frontDesk' | 'billing' = 'billing') => request(stack.app).get(`/v1/manual-tasks${q}`).set(s.auth(who)).expect(200).then((r) => r.body);

      const all = await list('', 'frontDesk');
      expect(all.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t1, t2, t3]);
      expect(all.countsByReason).toMatchObject({ credit_remaining: 1, statement_unpaid: 1, claim_reversed: 1, date_mismatch: 0 });
      expect(all.openTotal).toBe(3);
      expect(all.tasks[0]).toMatchObject({ reason: 'credit_remaining', amountCents: 1000, ageDays: 40, patient: { firstName: 'Casey', lastName: 'Testpatient' } });
      expect(all.tasks[1]).toMatchObject({ amountCents: 4500, credit: null });
      const today = localDateOf(new Date(), 'America/Los_Angeles');
      const age = Math.round((Date.parse(today) - Date.parse('2026-11-20')) / 86_400_000);
      expect(all.tasks[0].credit).toEqual({ paymentDate: '2026-11-20', ageDays: age, deadline: '2026-12-20', daysLeft: 30 - age, overdue: age > 30 });

      // Pages of one, oldest first, then the end.
      const first = await list('?limit=1');
      const second = await list(`?limit=1&cursor=${first.nextCursor}`);
      const third = await list(`?limit=1&cursor=${second.nextCursor}`);
      expect([first, second, third].map((p) => p.tasks[0].taskId)).toEqual([t1, t2, t3]);
      expect(third.nextCursor).toBeNull();
      await request(stack.app).get('/v1/manual-tasks?cursor=bogus').set(s.auth('billing')).expect(422);

      expect((await list('?reason=claim_reversed,statement_unpaid')).tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t2, t3]);
      expect((await list('?minAgeDays=30')).tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t1]);
      expect((await list('?maxAgeDays=1')).tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t2, t3]);
      await request(stack.app).get('/v1/manual-tasks?reason=nonsense').set(s.auth('billing')).expect(422);

      // Assign to me / unassign, audited; the assignee filter.
      const assigned = await request(stack.app).post(`/v1/manual-tasks/${t2}/assign`).set(s.auth('billing')).send({}).expect(200);
      const billingId = await staffIdOf(stack, s, 'billing');
      expect(assigned.body).toEqual({ taskId: t2, assignee: billingId, changed: true });
      expect((await list('?assignee=me')).tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t2]);
      expect((await list('?assignee=none')).tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t1, t3]);
      expect((await list(`?assignee=${billingId}`)).tasks[0]).toMatchObject({ assignee: { staffId: billingId, name: 'Billing' } });
      await request(stack.app).post(`/v1/manual-tasks/${t2}/unassign`).set(s.auth('billing')).send({}).expect(200);
      const audit = await stack.db('audit_log').where({ entity_id: t2 }).whereIn('action', ['task.assigned', 'task.unassigned']).orderBy('id');
      expect(audit.map((a: { actor: string; action: string; before: unknown; after: unknown }) => [a.actor, a.action, a.before, a.after])).toEqual([
        [`staff:${billingId}`, 'task.assigned', { taskId: t2, assignee: null }, { taskId: t2, assignee: billingId }],
        [`staff:${billingId}`, 'task.unassigned', { taskId: t2, assignee: billingId }, { taskId: t2, assignee: null }],
      ]);

      // Resolved tasks leave the open list and appear under status=resolved.
      await resolveVia(stack, s, t3, { action: 'credit', note: 'keep' }).expect(200);
      expect((await list('')).tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t1, t2]);
      expect((await list('?status=resolved')).tasks.map((t: { taskId: string }) => t.taskId)).toEqual([t3]);
      await request(stack.app).post(`/v1/manual-tasks/${t3}/assign`).set(s.auth('billing')).send({}).expect(409);
    });

    it("detail: the payment, the visit, and only the patient's claims the patient owns with an open balance", async () => {
      const f = await flaggedCopay(stack);
      const owned = await addClaim(stack.db, f.s, { dateOfService: '2026-09-01', patientResponsibilityCents: 3000 });
      const paid = await addClaim(stack.db, f.s, { dateOfService: '2026-08-01', patientResponsibilityCents: 0 });
      const payerHeld = await addClaim(stack.db, f.s, { dateOfService: '2026-07-01', patientResponsibilityCents: 2000, responsibility: 'payer' });
      const other = await addPatient(stack.db, f.s);
      const theirs = await addClaim(stack.db, f.s, { dateOfService: '2026-06-01', patientResponsibilityCents: 2000, patientExternalId: other.patientExternalId });
      const view = (await request(stack.app).get(`/v1/manual-tasks/${f.taskId}`).set(f.s.auth('frontDesk')).expect(200)).body;
      expect(view.claims.map((c: { claimId: string }) => c.claimId)).toEqual([owned, f.claimId]);
      for (const id of [paid, payerHeld, theirs]) expect(JSON.stringify(view.claims)).not.toContain(id);
      expect(view.claims[1]).toMatchObject({ openCents: 4500, responsibility: 'patient', dateOfService: '2026-11-20' });
      expect(view.payment).toMatchObject({ amountCents: 2500, unappliedCents: 2500, paymentDate: '2026-11-21', method: 'card' });
      expect(view.visit).toMatchObject({ visitId: f.s.visitId, dateOfService: '2026-11-20', claim: { claimId: f.claimId } });
      expect(view.task).toMatchObject({ reason: 'date_mismatch', status: 'open', workflowId: f.workflowId, collectionId: f.collectionId });
      expect(view.resolvesThrough).toBe('workflow');
      expect(view.allowedActions).toEqual([]); // front desk views only
      const billingView = (await request(stack.app).get(`/v1/manual-tasks/${f.taskId}`).set(f.s.auth('billing')).expect(200)).body;
      expect(billingView).toMatchObject({ allowedActions: ['apply', 'credit', 'refund'], canAssign: true });
      expect(billingView.history.map((h: { action: string }) => h.action)).toEqual(['task.opened']);

      // Resolved: split across two claims; the detail shows the outcome and the audit trail.
      await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 1500 }, { claimId: owned, amountCents: 1000 }], note: 'split' }).expect(200);
      const done = (await request(stack.app).get(`/v1/manual-tasks/${f.taskId}`).set(f.s.auth('billing')).expect(200)).body;
      expect(done.task).toMatchObject({ status: 'resolved', resolution: 'applied', resolutionNote: 'split', resolvedBy: { name: 'Billing' } });
      expect(done.outcome.applications.map((a: { claimId: string; amountCents: number }) => [a.claimId, a.amountCents]).sort()).toEqual([[f.claimId, 1500], [owned, 1000]].sort());
      expect(done.history.map((h: { action: string }) => h.action)).toEqual(['task.opened', 'task.resolved']);
      expect(done.allowedActions).toEqual([]);
    });
  });

  describe('roles, enforced on the server', () => {
    let f: Awaited<ReturnType<typeof flaggedCopay>>;
    beforeAll(async () => {
      f = await flaggedCopay(stack);
    });

    it('front desk: views the queue and tasks, starts collections; may not resolve, assign, refund or read reports', async () => {
      const fd = f.s.auth('frontDesk');
      await request(stack.app).get('/v1/manual-tasks').set(fd).expect(200);
      await request(stack.app).get(`/v1/manual-tasks/${f.taskId}`).set(fd).expect(200);
      for (const path of ['resolve', 'assign', 'unassign', 'refund-request']) {
        const res = await request(stack.app).post(`/v1/manual-tasks/${f.taskId}/${path}`).set(fd).send(path === 'resolve' ? { action: 'credit', note: 'x' } : {}).expect(403);
        expect(res.headers['content-type']).toMatch(PROBLEM);
      }
      for (const path of ['/v1/reports/open-credits', '/v1/reports/open-credits.csv', '/v1/reports/manual-tasks', '/v1/reports/manual-tasks.csv', '/v1/practice/settings']) {
        await request(stack.app).get(path).set(fd).expect(403);
      }
      expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open', assignee: null });
    });

    it('billing: resolves, reads reports; may not change settings. Admin: everything', async () => {
      await request(stack.app).get('/v1/reports/open-credits').set(f.s.auth('billing')).expect(200);
      await request(stack.app).get('/v1/practice/settings').set(f.s.auth('billing')).expect(403);
      await request(stack.app).put('/v1/practice/settings').set(f.s.auth('billing')).send({ statementThresholdCents: 2000 }).expect(403);

      const got = await request(stack.app).get('/v1/practice/settings').set(f.s.auth('admin')).expect(200);
      expect(got.body).toMatchObject({ practiceId: f.s.practiceId, statementThresholdCents: 1000, timeZone: 'America/Los_Angeles' });
      await request(stack.app).put('/v1/practice/settings').set(f.s.auth('admin')).send({ statementThresholdCents: 0 }).expect(422);
      await request(stack.app).put('/v1/practice/settings').set(f.s.auth('admin')).send({ statementThresholdCents: 10.5 }).expect(422);
      const put = await request(stack.app).put('/v1/practice/settings').set(f.s.auth('admin')).send({ statementThresholdCents: 2500 }).expect(200);
      expect(put.body.statementThresholdCents).toBe(2500);
      const audit = await stack.db('audit_log').where({ entity_id: f.s.practiceId, action: 'practice.settings_changed' }).first();
      expect(audit).toMatchObject({ actor: `staff:${await staffIdOf(stack, f.s, 'admin')}`, before: { statementThresholdCents: 1000 }, after: { statementThresholdCents: 2500 } });

      await request(stack.app).post(`/v1/manual-tasks/${f.taskId}/assign`).set(f.s.auth('admin')).send({}).expect(200);
      await resolveVia(stack, f.s, f.taskId, { action: 'credit', note: 'admin keeps it on account' }, 'admin').expect(200);
    });

    it('no token → 401; a bad token → 401', async () => {
      await request(stack.app).get('/v1/manual-tasks').expect(401);
      await request(stack.app).get('/v1/manual-tasks').set({ Authorization: 'Bearer not-a-real-token-at-all' }).expect(401);
    });
  });

  describe("another practice's task or patient is not found (404)", () => {
    it('for every task endpoint and the patient pages', async () => {
      const f = await flaggedCopay(stack);
      const other = await seedScenario(stack.db);
      const them = other.auth('admin');
      await request(stack.app).get(`/v1/manual-tasks/${f.taskId}`).set(them).expect(404);
      for (const path of ['assign', 'unassign', 'refund-request']) await request(stack.app).post(`/v1/manual-tasks/${f.taskId}/${path}`).set(them).send({}).expect(404);
      const res = await resolveVia(stack, other, f.taskId, { action: 'credit', note: 'not mine' }, 'admin').expect(404);
      expect(res.body.detail).toBe('No such task.');
      expect((await request(stack.app).get('/v1/manual-tasks').set(them).expect(200)).body.tasks).toEqual([]);
      await request(stack.app).get(`/v1/patients/${f.s.patientId}/payments`).set(them).expect(404);
      await request(stack.app).post(`/v1/patients/${f.s.patientId}/balance-collections`).set(other.auth('billing')).send({ amountCents: 100 }).expect(404);
      await request(stack.app).get('/v1/manual-tasks/not-a-uuid').set(them).expect(404);
      await request(stack.app).get('/v1/manual-tasks/00000000-0000-4000-8000-000000000000').set(them).expect(404);
      expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open' });
    });
  });

  it('every resolution is audited: who, when, before → after', async () => {
    const f = await flaggedCopay(stack);
    await resolveVia(stack, f.s, f.taskId, { action: 'apply', applications: [{ claimId: f.claimId, amountCents: 2500 }], note: 'patient confirmed the visit' }).expect(200);
    const billingActor = `staff:${await staffIdOf(stack, f.s, 'billing')}`;
    const resolved = await stack.db('audit_log').where({ entity_id: f.taskId, action: 'task.resolved' }).first();
    expect(resolved).toMatchObject({ actor: billingActor, before: { status: 'open', reason: 'date_mismatch' }, after: { status: 'resolved', resolution: 'applied' } });
    expect(resolved.at).toBeInstanceOf(Date);
    const application = await stack.db('audit_log').where({ action: 'application.created', actor: billingActor }).first();
    expect(application).toMatchObject({ before: { paymentUnappliedCents: 2500, claimOpenCents: 4500 }, after: { amountCents: 2500, kind: 'manual', claimOpenCents: 2000 } });
    // The free-text note never reaches the audit trail.
    const all = await stack.db('audit_log').where({ entity_id: f.taskId });
    expect(JSON.stringify(all)).not.toContain('patient confirmed');
  });
});

