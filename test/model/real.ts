/**
 * The model-based run's view of the real stack: waiting until it is quiescent, and comparing it with the model.
 *
 * Quiescent means: every collection of the sequence has the status the model expects (polled with a deadline); the
 * outbox `run_messages` has no undelivered row; no webhook delivery holds an inbox lease; and no workflow run of the
 * sequence (Temporal visibility: running, started since the sequence began) has a pending workflow task or a pending
 * activity. At the deadline, whatever is still not so is a violation: a workflow task on its 2nd+ attempt is reported
 * as failing, with its last failure.
 */
import type { Db } from '../../db/connection';
import { lastLines, sleep, type FaultStack } from '../support/processes';
import { appliedPerClaim, checkClaimVersions, checkInvariants, type Violation } from './invariants';
import { appliedOn, describeModel, expectedVersions, inexact, type Model, type MTask, type Real } from './model';

export interface BusyRun { workflowId: string; type: string; why: string; failing: boolean }

/** Running runs started since `sinceMs` (all running runs when undefined) that are not idle. */
export async function busyRuns(stack: FaultStack, sinceMs?: number): Promise<BusyRun[]> {
  const query = sinceMs === undefined ? 'ExecutionStatus="Running"' : `ExecutionStatus="Running" AND StartTime >= "${new Date(sinceMs - 5000).toISOString()}"`;
  const out: BusyRun[] = [];
  for await (const wf of stack.temporal.workflow.list({ query })) {
    const d = await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).describe();
    const task = d.raw.pendingWorkflowTask;
    const acts = d.raw.pendingActivities ?? [];
    if (!task && acts.length === 0) continue;
    const attempt = task?.attempt ?? 0;
    const failingActs = acts.filter((a) => (a.attempt ?? 0) > 2);
    const why = [
      task ? `workflow task pending (attempt ${attempt})` : '',
      ...acts.map((a) => `activity ${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? `: ${a.lastFailure.message.slice(0, 200)}` : ''}`),
    ].filter(Boolean).join('; ');
    out.push({ workflowId: wf.workflowId, type: wf.type, why, failing: attempt > 1 || failingActs.length > 0 });
  }
  return out;
}

async function pendingPlumbing(db: Db): Promise<string[]> {
  const msgs = await db('run_messages').whereNull('delivered_at').select('message_key', 'attempts', 'last_error');
  const inbox = await db('webhook_inbox').whereNotNull('claimed_at').select('source', 'event_id');
  return [
    ...msgs.map((r) => `run_messages: undelivered ${r.message_key} (attempts ${r.attempts}${r.last_error ? `, ${r.last_error}` : ''})`),
    ...inbox.map((r) => `webhook_inbox: ${r.source} ${r.event_id} still claimed`),
  ];
}

/** The processes a supervisor keeps running in production (docker-compose: `restart: unless-stopped`). */
const SUPERVISED = ['worker', 'api', 'standin', 'temporal'] as const;

/**
 * Every command starts again what it kills before it waits for quiescence, so a process found down here died on its
 * own (found at 0caeca5, seed 1001: a worker ended by Node.js's "async hook stack has become corrupted", the SDK's
 * known temporalio/sdk-typescript#939, on a machine at load 7). It is started again, as its supervisor would, and
 * counted and noted: the report shows every such exit, and the invariants are checked across it.
 */
async function restartCrashed(real: Real): Promise<void> {
  for (const name of SUPERVISED) {
    if (real.stack.isRunning(name)) continue;
    real.stats.crashes[name] = (real.stats.crashes[name] ?? 0) + 1;
    const last = lastLines(real.stack.output(name), 3).split('\n').join(' / ');
    real.stats.notes.push(`${name} exited on its own (${new Date().toISOString()}; its last lines: ${last}); started again, as its supervisor would`);
    await real.stack.start(name);
  }
}

/**
 * Waits until the stack is quiescent for this sequence (see above); returns the problems left at the deadline
 * (collections not in their expected status, undelivered messages, busy or failing runs).
 */
export async function settle(m: Model, real: Real, timeoutMs: number): Promise<Violation[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await restartCrashed(real);
    const rows = m.collections.length === 0 ? [] : await real.stack.db('collections').whereIn('id', m.collections.map((c) => c.id)).select('id', 'status');
    const statusOf = new Map(rows.map((r) => [r.id as string, r.status as string]));
    const wrong = m.collections.filter((c) => (m.inexact ? ['starting'].includes(statusOf.get(c.id) ?? 'starting') : statusOf.get(c.id) !== c.status))
      .map((c) => ({ collection: c.key, path: c.path, expected: m.inexact ? 'past starting' : c.status, actual: statusOf.get(c.id) }));
    const plumbing = await pendingPlumbing(real.stack.db);
    let runs: BusyRun[] = [];
    let runsError: string | undefined;
    try {
      runs = await busyRuns(real.stack, real.startedAt);
    } catch (err) {
      runsError = `Temporal did not answer: ${(err as Error).message}`;
    }
    if (wrong.length === 0 && plumbing.length === 0 && runs.length === 0 && !runsError) return [];
    if (Date.now() > deadline) {
      const out: Violation[] = [];
      if (wrong.length) out.push({ name: 'model: collection status', rule: 'each collection reaches the status the model predicts', rows: wrong });
      if (plumbing.length) out.push({ name: 'quiescent: outbox and inbox drained', rule: 'no undelivered run_messages row, no inbox lease held', rows: plumbing });
      const failing = runs.filter((r) => r.failing);
      if (failing.length) out.push({ name: 'quiescent: no failing workflow task or activity', rule: 'no run retries a workflow task (attempt > 1) or an activity (attempt > 2)', rows: failing });
      const busy = runs.filter((r) => !r.failing);
      if (busy.length) out.push({ name: 'quiescent: runs idle', rule: 'no run has a pending workflow task or activity', rows: busy });
      if (runsError) out.push({ name: 'quiescent: Temporal answers', rule: 'visibility and describe answer', rows: [runsError] });
      return out;
    }
    await sleep(300);
  }
}

/** After quiescence: the SQL invariants, claim versions, and the model's predictions (applied cents per claim, open tasks, payments). */
export async function compare(m: Model, real: Real): Promise<Violation[]> {
  const db = real.stack.db;
  const out = await checkInvariants(db, [real.s.practiceId]);
  out.push(...(await checkClaimVersions(db, expectedVersions(m))));

  // Payments: one per capture the model expects, with its amount.
  const pays = await db('payments').where({ practice_id: real.s.practiceId }).select('external_id', 'amount_cents');
  const want = m.payments.map((p) => `${p.externalId}:${p.amountCents}`).sort();
  const got = pays.map((p) => `${p.external_id}:${p.amount_cents}`).sort();
  if (JSON.stringify(want) !== JSON.stringify(got)) out.push({ name: 'model: payments', rule: 'one payment per accepted capture, with its amount', rows: [{ expected: want, actual: got }] });

  if (!m.inexact) {
    const applied = await appliedPerClaim(db, m.claims.map((c) => c.claimId));
    const diff = m.claims.map((c, i) => ({ claim: i, expected: appliedOn(m, i), actual: applied.get(c.claimId) })).filter((d) => d.expected !== d.actual);
    if (diff.length) out.push({ name: 'model: applied cents per claim', rule: 'standing applied cents per claim equal the model', rows: diff });

    const realTasks = (await db('manual_tasks as t').leftJoin('payments as p', 'p.id', 't.payment_id')
      .where({ 't.practice_id': real.s.practiceId, 't.status': 'open' }).select('t.id', 't.reason', 't.business_key', 'p.external_id'))
      .map((t) => {
        // A reversal's or a trim's task: `claim:<claim id>:v<version>:payment:<payment id>:<reason>` (db/queries/claim-reversals.ts).
        const k = /^claim:([0-9a-f-]+):v(\d+):payment:/.exec(t.business_key as string);
        const claim = k ? m.claims.findIndex((c) => c.claimId === k[1]) : -1;
        return { id: t.id as string, key: `${t.reason}:${t.external_id ?? null}:${k ? `claim${claim}v${k[2]}` : '-'}` };
      });
    const extOf = (key?: string) => (key ? m.payments.find((p) => p.key === key)?.externalId ?? null : null);
    const keyOf = (t: MTask) => `${t.reason}:${extOf(t.paymentKey)}:${t.version !== undefined ? `claim${t.claim}v${t.version}` : '-'}`;
    const wantTasks = m.tasks.filter((t) => t.open).map(keyOf).sort();
    const gotTasks = realTasks.map((t) => t.key).sort();
    if (JSON.stringify(wantTasks) !== JSON.stringify(gotTasks)) {
      out.push({ name: 'model: open tasks', rule: 'the open tasks (reason, payment, the claim version of a reversal\'s or trim\'s task) equal the model', rows: [{ expected: wantTasks, actual: gotTasks }] });
    }
    // Bind model tasks to real ids (for the resolve command): same reason, payment and (for a reversal's or trim's task) claim version.
    const free = realTasks.filter((r) => !m.tasks.some((t) => t.open && t.realId === r.id));
    for (const t of m.tasks.filter((x) => x.open && !x.realId)) {
      const idx = free.findIndex((r) => r.key === keyOf(t));
      if (idx >= 0) t.realId = free.splice(idx, 1)[0]!.id;
    }
  }
  return out;
}

/** Settles and compares; records violations in the stats; throws (so fast-check shrinks) unless keep-going. */
export async function verify(m: Model, real: Real, after: string, timeoutMs = 60_000): Promise<void> {
  const problems = [...(await settle(m, real, timeoutMs)), ...(await compare(m, real))];
  if (process.env.MODEL_DEBUG === '1') process.stdout.write(`model after ${after}:\n${describeModel(m)}\nall tasks: ${JSON.stringify(m.tasks)}\n`);
  const cur = real.stats.current;
  if (cur) real.stats.msByName[cur.name] = (real.stats.msByName[cur.name] ?? 0) + Date.now() - cur.t0;
  real.stats.current = undefined;
  if (problems.length === 0) return;
  real.stats.violations += problems.length;
  for (const p of problems) real.stats.violationsByCheck[p.name] = (real.stats.violationsByCheck[p.name] ?? 0) + 1;
  const text = `after ${after}:\n${problems.map((p) => `  ✗ ${p.name} (${p.rule}):\n      ${JSON.stringify(p.rows).slice(0, 1500)}`).join('\n')}\nmodel:\n${describeModel(m)}`;
  real.stats.failures.push(text);
  if (!real.keepGoing) throw new Error(text);
  // Keep going: the model can no longer be trusted to predict this sequence exactly.
  inexact(m, 'a violation', `after ${after}`);
}
