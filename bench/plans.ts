/**
 * `npm run bench:plans -- [--plans 10000] [--lanes 8] [--json out.json]`
 *
 * Payment plans parked between installments (issue 18, "Faults and limits"): against an isolated real stack
 * (bench/stack.ts: embedded PostgreSQL, the Temporal dev server persisted in SQLite, one worker and one API, each its
 * own process), `--plans` patients each owe $120.00 and have a yearly card authorisation (seeded in SQL: setup, not
 * measured); then one plan each is created through the API (POST /v1/patients/{id}/payment-plans, `--lanes` at once),
 * 3 monthly installments, the first due three weeks from now: every run starts, writes its summary and details, and
 * parks on its durable timer. Measures, in tenths of the plans:
 *   - the worker's resident memory (/proc VmRSS) idle, after each tenth, and after all (a flat curve is the goal: a
 *     parked run lives in Temporal's storage, not in the worker, beyond its sticky cache);
 *   - Temporal's storage (the dev server's SQLite file with its WAL) and PostgreSQL's size per plan;
 *   - the create call's latency (p50/p99) and rate; the history of one parked run, by event type.
 * Figures are for the machine it ran on (docs/card-on-file-and-plans.md "Payment plans" has the latest).
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { upsertPractice } from '../db/queries/reference-data';
import { upsertStaff } from '../db/queries/staff';
import { dataConverterFor, payloadCodecFromEnv } from '../lib/codec';
import { Latencies, memoryOf, sqliteBytes } from './measure';
import { startBenchStack, type BenchStack } from './stack';

const { values: args } = parseArgs({
  options: {
    plans: { type: 'string', default: '10000' },
    lanes: { type: 'string', default: '8' },
    json: { type: 'string' },
  },
});
const PLANS = Number(args.plans);
const LANES = Number(args.lanes);
const log = (line: string) => process.stderr.write(`${line}\n`);

const PRACTICE = 'bench-plans-practice';
const BILLING = 'bench-plans-billing-token';
const OWED_CENTS = 12_000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A unique, well-formed account id for the i-th bench patient (setup only: not random, unlike the service's). */
function accountId(i: number): string {
  let out = '';
  let n = i + 1_000_000;
  for (let k = 0; k < 10; k++) {
    out = CROCKFORD[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** PLANS patients, each with a claim the patient owes $120.00 on and a yearly card authorisation. */
async function seed(stack: BenchStack): Promise<string[]> {
  const practiceId = await upsertPractice(stack.db, { externalId: PRACTICE, name: 'Bench Plans Clinic', timeZone: 'America/Los_Angeles', paymentPageUrl: 'http://127.0.0.1:9/pay' });
  await upsertStaff(stack.db, { practiceId, displayName: 'Bench billing', role: 'billing', token: BILLING });
  for (let from = 0; from < PLANS; from += 1000) {
    const batch = [...Array(Math.min(1000, PLANS - from)).keys()].map((k) => from + k);
    await stack.db('patients').insert(batch.map((i) => ({
      practice_id: practiceId, external_id: `bpl-${i}`, account_id: accountId(i), first_name: 'Bench', last_name: `Plan${i}`, date_of_birth: '1980-01-01', source_version: 1,
    })));
  }
  await stack.db.raw(`insert into visits (practice_id, patient_id, external_id, date_of_service, source_version)
    select practice_id, id, 'v-' || external_id, date '2026-11-20', 1 from patients where practice_id = ?`, [practiceId]);
  await stack.db.raw(`insert into claims (practice_id, patient_id, visit_id, external_id, responsibility, payer_status, patient_responsibility_cents, source_version)
    select v.practice_id, v.patient_id, v.id, 'c-' || v.external_id, 'patient', 'adjudicated', ?, 1 from visits v where v.practice_id = ?`, [OWED_CENTS, practiceId]);
  await stack.db.raw(`insert into saved_cards (practice_id, patient_id, processor, customer_ref, payment_method_ref, brand, last4, exp_month, exp_year)
    select practice_id, id, 'standin', 'cus_bench_' || external_id, 'pm_bench_' || external_id, 'visa', '4242', 12, 2030 from patients where practice_id = ?`, [practiceId]);
  await stack.db.raw(`insert into card_authorisations (practice_id, patient_id, saved_card_id, cap_cents, scope, valid_until, notice_channel, created_via, created_by, business_key)
    select s.practice_id, s.patient_id, s.id, 50000, 'year', now() + interval '365 days', 'email', 'front_desk', 'bench', 'card-setup:bench-' || s.id
      from saved_cards s where s.practice_id = ?`, [practiceId]);
  const rows = await stack.db('card_authorisations').where({ practice_id: practiceId }).orderBy('created_at').select<{ id: string; patient_id: string }[]>('id', 'patient_id');
  return rows.map((r) => `${r.patient_id}:${r.id}`);
}

async function inLanes(total: number, lanes: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(lanes, total) }, async () => {
    while (next < total) await job(next++);
  }));
}

const workerRssMiB = (stack: BenchStack) => memoryOf(stack.pids.worker).rssMiB;
const pgBytes = async (stack: BenchStack) => Number((await stack.db.raw<{ rows: { size: string }[] }>('select pg_database_size(?) as size', [stack.dbName])).rows[0]!.size);

/** The bytes of a run's history as the server stores it, by event type. */
async function historyBreakdown(client: Client, workflowId: string) {
  const byType: Record<string, { events: number; bytes: number }> = {};
  let events = 0;
  let bytes = 0;
  const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId } });
  for (const event of page.history?.events ?? []) {
    const size = proto.api.history.v1.HistoryEvent.encode(event).finish().length;
    const type = (proto.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
    byType[type] ??= { events: 0, bytes: 0 };
    byType[type].events++;
    byType[type].bytes += size;
    events++;
    bytes += size;
  }
  return { events, bytes, byType };
}

async function main() {
  const stack = await startBenchStack();
  let failed = false;
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, dataConverter: dataConverterFor(payloadCodecFromEnv()) });
    log(`bench:plans: seeding ${PLANS} patients with a balance and a yearly card authorisation`);
    const targets = await seed(stack);
    const firstDueDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(new Date(Date.now() + 21 * 86_400_000));
    const create = new Latencies();
    const refused: Record<string, number> = {};
    const makePlan = async (i: number) => {
      const [patientId, authorisationId] = targets[i]!.split(':') as [string, string];
      const t0 = performance.now();
      const res = await fetch(`${stack.apiUrl}/v1/patients/${patientId}/payment-plans`, {
        method: 'POST', headers: { Authorization: `Bearer ${BILLING}`, 'Content-Type': 'application/json', 'Idempotency-Key': `bench-plan-${i}` },
        body: JSON.stringify({ authorisationId, installments: 3, firstDueDate }),
      });
      await res.arrayBuffer();
      create.add(performance.now() - t0);
      if (res.status !== 201) refused[res.status] = (refused[res.status] ?? 0) + 1;
    };

    // Warm-up (code compiled, pools open), then quiet: the idle worker.
    const WARM = Math.min(50, Math.floor(PLANS / 20));
    await inLanes(WARM, LANES, makePlan);
    await new Promise((r) => setTimeout(r, 5000));
    const workerIdle = workerRssMiB(stack);
    const temporalBefore = sqliteBytes(stack.temporalDbFile);
    const pgBefore = await pgBytes(stack);

    const curve: { plans: number; workerRssMiB: number }[] = [];
    const started = performance.now();
    const measured = PLANS - WARM;
    let done = 0;
    const tenth = Math.max(1, Math.ceil(measured / 10));
    while (done < measured) {
      const size = Math.min(tenth, measured - done);
      const offset = WARM + done;
      await inLanes(size, LANES, (k) => makePlan(offset + k));
      done += size;
      curve.push({ plans: WARM + done, workerRssMiB: workerRssMiB(stack) });
      log(`plans ${WARM + done}: worker ${curve.at(-1)!.workerRssMiB} MiB`);
    }
    const seconds = (performance.now() - started) / 1000;
    // The worker may lag behind the API: wait until the last plan's run is parked on its timer (its first workflow task
    // done, so every earlier one's very likely too), then let the last tasks settle before reading memory and storage.
    const last = await stack.db('payment_plans').orderBy('created_at', 'desc').first<{ workflow_id: string }>('workflow_id');
    const drainedAt = performance.now();
    while ((await historyBreakdown(client, last.workflow_id)).byType.TIMER_STARTED === undefined && performance.now() - drainedAt < 600_000) {
      await new Promise((r) => setTimeout(r, 1000));
    }
    const drainSeconds = (performance.now() - drainedAt) / 1000;
    log(`the worker caught up ${drainSeconds.toFixed(1)} s after the last create`);
    await new Promise((r) => setTimeout(r, 5000));
    const workerAfter = workerRssMiB(stack);
    const temporalAfter = sqliteBytes(stack.temporalDbFile);
    const pgAfter = await pgBytes(stack);
    const parked = await stack.db('payment_plans').where({ status: 'active' }).count<{ count: string }[]>('* as count');
    const charged = await stack.db('payment_plan_charges').count<{ count: string }[]>('* as count');
    const history = await historyBreakdown(client, last.workflow_id);
    const description = await client.workflow.getHandle(last.workflow_id).describe();

    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { plans: PLANS, warmup: WARM, lanes: LANES, installments: 3, firstDueDate },
      created: { measured, seconds: Math.round(seconds * 10) / 10, workerCaughtUpSeconds: Math.round(drainSeconds * 10) / 10, perSecond: Math.round((measured / seconds) * 10) / 10, latencyMs: create.summary(), refused },
      parked: { activePlans: Number(parked[0]!.count), chargesMade: Number(charged[0]!.count), sampleStatus: description.status.name },
      worker: {
        idleMiB: workerIdle, afterMiB: workerAfter, growthMiB: Math.round((workerAfter - workerIdle) * 10) / 10,
        growthPercent: Math.round(((workerAfter - workerIdle) / workerIdle) * 1000) / 10, curve,
      },
      storage: {
        temporalBytesPerPlan: Math.round((temporalAfter - temporalBefore) / measured),
        postgresBytesPerPlan: Math.round((pgAfter - pgBefore) / measured),
        temporalBytes: { before: temporalBefore, after: temporalAfter },
      },
      parkedRunHistory: history,
    };
    log(JSON.stringify(report, null, 2));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    if (Object.keys(refused).length > 0) failed = true;
  } catch (err) {
    failed = true;
    log(`bench:plans failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await connection.close();
    await stack.stop(failed);
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
