/**
 * Drives manual tasks into being the way production does (copay and balance collections through our API and the
 * EHR stand-in), or opens workflow-less tasks directly in the ledger (an unpaid statement, a claim reversal), for the
 * work-queue tests (API and browser).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { TestStack } from '../support/harness';
import { eventually, seedScenario, transferToPatient, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, remit, startCopay } from '../support/copay-driver';
import { openManualTask, recordPayment } from '../../db/queries/ledger';

export const PROBLEM = /^application\/problem\+json/;

export interface FlaggedCopay {
  s: Scenario;
  collectionId: string;
  workflowId: string;
  taskId: string;
  /** The visit's claim (transferred to the patient). */
  claimId: string;
}

/**
 * A superbill copay of `copayCents` captured the day after the date of service, then the claim transferred to the
 * patient with `responsibilityCents`: the run flags `date_mismatch` and waits for staff.
 */
export async function flaggedCopay(stack: TestStack, opts: { copayCents?: number; responsibilityCents?: number; s?: Scenario } = {}): Promise<FlaggedCopay> {
  const s = opts.s ?? (await seedScenario(stack.db));
  const started = await startCopay(stack, s, opts.copayCents ?? 2500);
  // 2026-11-21 08:30 in Los Angeles: the day after the date of service (2026-11-20).
  await capture(stack, started.paymentRequest.requestId, '2026-11-21T16:30:00Z');
  await remit(stack, transferToPatient(s, opts.responsibilityCents ?? 4500));
  const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
  expect(flagged.openTask).toMatchObject({ reason: 'date_mismatch', status: 'open' });
  const claimId = await stack.db('claims').where({ visit_id: s.visitId }).first().then((c: { id: string }) => c.id);
  return { s, collectionId: started.collectionId, workflowId: started.workflowId, taskId: flagged.openTask.id, claimId };
}

/** A payment recorded straight in the ledger (no collection, no workflow): money to place by hand. */
export async function loosePayment(stack: TestStack, s: Scenario, amountCents: number, paymentDate = '2026-11-20'): Promise<string> {
  const { paymentId } = await recordPayment(stack.db, {
    practiceId: s.practiceId, patientId: s.patientId, collectionId: null, visitId: null, externalId: `pay_${randomUUID()}`,
    amountCents, method: 'check', reason: 'outstanding_balance', paidAt: `${paymentDate}T18:00:00Z`, paymentDate, actor: 'system:test',
  });
  return paymentId;
}

/** A task no workflow waits for (e.g. a claim reversal's, or an unpaid statement's follow-up). */
export async function workflowlessTask(stack: TestStack, s: Scenario, o: { reason: 'claim_reversed' | 'statement_unpaid' | 'credit_remaining'; paymentId?: string; amountCents?: number }): Promise<string> {
  const { taskId } = await openManualTask(stack.db, {
    practiceId: s.practiceId, patientId: s.patientId, paymentId: o.paymentId ?? null, reason: o.reason, amountCents: o.amountCents ?? 0,
    businessKey: `test:${randomUUID()}`, actor: 'system:test',
  });
  return taskId;
}

export function resolveVia(stack: TestStack, s: Scenario, taskId: string, body: object, who: 'frontDesk' | 'billing' | 'admin' = 'billing') {
  return request(stack.app).post(`/v1/manual-tasks/${taskId}/resolve`).set(s.auth(who)).send(body);
}

export async function taskRow(stack: TestStack, taskId: string) {
  return stack.db('manual_tasks').where({ id: taskId }).first();
}

export async function staffIdOf(stack: TestStack, s: Scenario, role: 'front_desk' | 'billing' | 'admin'): Promise<string> {
  return stack.db('staff_users').where({ practice_id: s.practiceId, role }).first().then((r: { id: string }) => r.id);
}

/** The workflow's result once it has completed. */
export async function runResult(stack: TestStack, workflowId: string) {
  return eventually(async () => {
    const d = await stack.client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'COMPLETED' ? stack.client.workflow.getHandle(workflowId).result() : undefined;
  }, 20_000, `workflow ${workflowId} completed`);
}

/** A tiny RFC 4180 parser (quoted cells, doubled quotes, CRLF), to read our CSV as a spreadsheet would. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
