/**
 * `npm run bench -- [--n 20] [--count 400] [--rounds 4] [--warmup 40] [--park 10000] [--json out.json]`
 *
 * Drives an isolated local stack (bench/stack.ts) through the HTTP API the way the billing system and the EHR do:
 * N copay collections in flight at once, each start → capture webhook → transfer webhook → applied. Then, on the
 * same Temporal server and worker, the bare engine (workflows/bench-baseline.ts) with the same messages and
 * activity count. Then parks K collections in their transfer wait and measures what that costs.
 * Prints a table and writes JSON. Figures are for the machine it ran on: report them as ratios.
 */
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { upsertClaim, upsertPatient, upsertPractice, upsertVisit, type ClaimRecord } from '../db/queries/reference-data';
import { upsertStaff } from '../db/queries/staff';
import { signWebhook } from '../lib/webhook-signature';
import { dataConverterFor, payloadCodecFromEnv } from '../lib/codec';
import { baselineCaptureUpdate, baselineStartUpdate, baselineTransferSignal, benchBaseline } from '../workflows/bench-baseline';
import { BENCH_SECRETS, startBenchStack, type BenchStack } from './stack';
import { cpuMeter, Latencies, memoryOf, processFamily, sampleMemory, sqliteBytes, timed } from './measure';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20' },
    count: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '40' },
    park: { type: 'string', default: '10000' },
    probe: { type: 'string', default: '100' },
    json: { type: 'string' },
    'max-cached-workflows': { type: 'string' },
    env: { type: 'string', multiple: true },
    'cpu-prof': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const COUNT = Number(args.count);
const ROUNDS = Math.max(1, Number(args.rounds));
const WARMUP = Number(args.warmup);
const PARK = Number(args.park);
const PROBE = Number(args.probe);
const log = (line: string) => {
  if (!args.quiet) process.stderr.write(`${line}\n`);
};

const PRACTICE = 'bench-practice';
const TOKEN = 'bench-front-desk-token-0001';
const ALL_VISITS = WARMUP + COUNT + 2 * PROBE + PARK;

interface Visit { visitId: string; visitExternalId: string; claim: ClaimRecord }

/** Reference data for every collection the run will make (setup, not measured). */
async function seed(stack: BenchStack): Promise<Visit[]> {
  const practiceId = await upsertPractice(stack.db, { externalId: PRACTICE, name: 'Bench Practice', timeZone: 'America/Los_Angeles', paymentPageUrl: 'http://127.0.0.1:9/pay' });
  await upsertStaff(stack.db, { practiceId, displayName: 'Bench', role: 'front_desk', token: TOKEN });
  const visits: Visit[] = [];
  const make = async (i: number) => {
    const patientExternalId = `bpt-${Math.floor(i / 20)}`;
    if (i % 20 === 0) await upsertPatient(stack.db, { practiceExternalId: PRACTICE, externalId: patientExternalId, version: 1, firstName: 'Bench', lastName: `Patient${i}`, dateOfBirth: '1980-01-01' });
    const visitExternalId = `bv-${i}`;
    const { id } = await upsertVisit(stack.db, { practiceExternalId: PRACTICE, patientExternalId, externalId: visitExternalId, version: 1, dateOfService: '2026-11-20' });
    const claim: ClaimRecord = {
      practiceExternalId: PRACTICE, visitExternalId, externalId: `bc-${i}`, version: 1, responsibility: 'payer', payerStatus: 'submitted',
      patientResponsibilityCents: 0, lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 }],
    };
    await upsertClaim(stack.db, claim);
    visits[i] = { visitId: id, visitExternalId, claim };
  };
  // Patients first (every 20th visit creates one), then the rest in parallel batches.
  for (let i = 0; i < ALL_VISITS; i += 20) await make(i);
  const rest = [...Array(ALL_VISITS).keys()].filter((i) => i % 20 !== 0);
  for (let i = 0; i < rest.length; i += 16) await Promise.all(rest.slice(i, i + 16).map(make));
  return visits;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: text });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

async function paymentLinkOf(stack: BenchStack, collectionId: string): Promise<unknown> {
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const res = await fetch(`${stack.apiUrl}/v1/collections/${collectionId}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { paymentRequest?: unknown };
    if (res.ok && body.paymentRequest) return body.paymentRequest;
  }
  throw new Error(`collection ${collectionId}: no payment link within 60 s`);
}

function signed(source: 'ehr' | 'clearinghouse', event: unknown): [unknown, Record<string, string>] {
  return [event, { 'Payflow-Signature': signWebhook(JSON.stringify(event), BENCH_SECRETS[source], Math.floor(Date.now() / 1000)) }];
}

/** Runs `total` jobs with `lanes` in flight at once. */
async function inLanes(total: number, lanes: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(lanes, total) }, async () => {
    while (next < total) await job(next++);
  }));
}

interface Calls { start: Latencies; capture: Latencies; transfer: Latencies; captureToApplied: Latencies }
const newCalls = (): Calls => ({ start: new Latencies(), capture: new Latencies(), transfer: new Latencies(), captureToApplied: new Latencies() });

/** One copay collection through the API: start, capture webhook, (transfer webhook, wait until applied). */
async function copayCollection(stack: BenchStack, v: Visit, calls: Calls, opts: { transfer: boolean }): Promise<void> {
  const started = await timed(calls.start, () =>
    postJson(`${stack.apiUrl}/v1/visits/${v.visitId}/copay-collections`, { amountCents: 2500 }, { Authorization: `Bearer ${TOKEN}` }));
  const collectionId = started.collectionId as string;
  // 202 (the EHR's payment link did not come within PAYMENT_LINK_WAIT, e.g. on a loaded machine): poll the
  // collection's Location as a client does; the link follows.
  const request = (started.paymentRequest ?? (await paymentLinkOf(stack, collectionId))) as { requestId: string };
  const captureSentAt = Date.now();
  await timed(calls.capture, () => postJson(`${stack.apiUrl}/webhooks/ehr`, ...signed('ehr', {
    eventId: `evt_${randomUUID()}`, type: 'payment.captured', occurredAt: new Date().toISOString(),
    data: { requestId: request.requestId, collectionId, externalPaymentId: `pay_${randomUUID()}`, amountCents: 2500, method: 'card', paidAt: '2026-11-20T18:00:00Z' },
  })));
  if (!opts.transfer) return;
  const claim = { ...v.claim, version: 2, responsibility: 'patient' as const, payerStatus: 'adjudicated', patientResponsibilityCents: 4000 };
  await timed(calls.transfer, () => postJson(`${stack.apiUrl}/webhooks/clearinghouse`, ...signed('clearinghouse', {
    eventId: `evt_${randomUUID()}`, type: 'claim.upserted', occurredAt: new Date().toISOString(), data: claim,
  })));
  // Applied: the collection row's status, written by the workflow right after the application (its updated_at is
  // the moment; the poll interval does not change the figure).
  const appliedAt = await appliedWatcher(stack).wait(collectionId);
  calls.captureToApplied.add(appliedAt - captureSentAt);
}

/** One poller for every collection in flight (one query per 100 ms), so the driver costs little CPU. */
function appliedWatcher(stack: BenchStack) {
  if (watcher) return watcher;
  const waiting = new Map<string, { resolve: (at: number) => void; reject: (err: Error) => void }>();
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const ids = [...waiting.keys()];
    const rows = await stack.db('collections').whereIn('id', ids).whereNotIn('status', ['starting', 'awaiting_capture', 'awaiting_transfer'])
      .select<{ id: string; status: string; updated_at: Date }[]>('id', 'status', 'updated_at');
    for (const row of rows) {
      const w = waiting.get(row.id)!;
      waiting.delete(row.id);
      if (row.status === 'applied') w.resolve(row.updated_at.getTime());
      else w.reject(new Error(`collection ended ${row.status}`));
    }
    timer = waiting.size ? setTimeout(() => void poll(), 100) : undefined;
  };
  watcher = {
    wait: (id: string) => new Promise<number>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      timer ??= setTimeout(() => void poll(), 100);
    }),
  };
  return watcher;
}
let watcher: { wait(id: string): Promise<number> } | undefined;

/** The same messages and activity count on the bare engine, from this process. */
async function baselineCollection(client: Client, taskQueue: string, calls: Calls): Promise<void> {
  const workflowId = `bench-baseline-${randomUUID()}`;
  await timed(calls.start, () => client.workflow.executeUpdateWithStart(baselineStartUpdate, {
    startWorkflowOperation: new WithStartWorkflowOperation(benchBaseline, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' }),
  }));
  const handle = client.workflow.getHandle(workflowId);
  const captureSentAt = Date.now();
  await timed(calls.capture, () => handle.executeUpdate(baselineCaptureUpdate, { args: [{ eventId: randomUUID() }] }));
  await timed(calls.transfer, () => handle.signal(baselineTransferSignal, { eventId: randomUUID() }));
  await handle.result();
  calls.captureToApplied.add(Date.now() - captureSentAt);
}

interface Phase { collections: number; seconds: number; cpuSeconds: Record<string, number> }

/** Runs the jobs; returns how long they took and the CPU seconds each process used meanwhile. */
async function measurePhase(stack: BenchStack, total: number, job: (i: number) => Promise<void>): Promise<Phase> {
  const { api, worker, standin, temporal, postgres } = stack.pids;
  const cpu = cpuMeter({ api: () => [api], worker: () => [worker], temporal: () => [temporal], postgres: () => processFamily(postgres), standin: () => [standin], driver: () => [process.pid] });
  const t0 = performance.now();
  await inLanes(total, N, job);
  return { collections: total, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpu.stop() };
}

/** The rate of a side over all its rounds, and where the CPU went: milliseconds of CPU per collection, by process. */
function summarize(label: string, phases: Phase[]) {
  const total = phases.reduce((n, p) => n + p.collections, 0);
  const seconds = phases.reduce((n, p) => n + p.seconds, 0);
  const cpu: Record<string, number> = {};
  for (const p of phases) for (const [k, v] of Object.entries(p.cpuSeconds)) cpu[k] = (cpu[k] ?? 0) + v;
  const perSecond = Math.round((total / seconds) * 10) / 10;
  const cpuMsPerCollection = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round((v / total) * 1000 * 10) / 10]));
  const cpuBusyPercent = Math.round((Object.values(cpu).reduce((a, b) => a + b, 0) / (seconds * cpus().length)) * 100);
  const roundRates = phases.map((p) => Math.round((p.collections / p.seconds) * 10) / 10);
  log(`${label}: ${total} in ${seconds.toFixed(1)} s = ${perSecond}/s (rounds ${roundRates.join(', ')}); CPU ms per collection ${JSON.stringify(cpuMsPerCollection)}; machine ${cpuBusyPercent}% busy (ours)`);
  return { collections: total, seconds: Math.round(seconds * 10) / 10, perSecond, roundRates, cpuMsPerCollection, cpuBusyPercent };
}

async function dbBytes(stack: BenchStack): Promise<number> {
  const { rows } = await stack.db.raw<{ rows: { size: number }[] }>('select pg_database_size(?) as size', [stack.dbName]);
  return rows[0]!.size;
}

async function main() {
  log(`bench: n=${N} count=${COUNT} warmup=${WARMUP} park=${PARK} (seeding ${ALL_VISITS} visits)`);
  // Tuning experiments: `--env NAME=value` (repeatable) for the API and the worker, e.g. DB_POOL_MAX=5.
  const serviceEnv: Record<string, string> = Object.fromEntries((args.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  if (args['max-cached-workflows']) serviceEnv.WORKER_MAX_CACHED_WORKFLOWS = args['max-cached-workflows'];
  const cpuProf = args['cpu-prof'];
  const stack = await startBenchStack({ serviceEnv, nodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [] });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  // The worker encrypts payloads (lib/codec): this client must read them, like the API's.
  const client = new Client({ connection, dataConverter: dataConverterFor(payloadCodecFromEnv()) });
  try {
    const visits = await seed(stack);
    // Seeding wrote thousands of rows: settle PostgreSQL's statistics now, not by autovacuum in the first round.
    await stack.db.raw('vacuum analyze');
    let cursor = 0;
    const take = (k: number) => visits.slice(cursor, (cursor += k));
    const freshWorker = memoryOf(stack.pids.worker).rssMiB;

    // Warm-up (not measured), then ours, then the bare engine.
    const warm = take(WARMUP);
    await inLanes(warm.length, N, (i) => copayCollection(stack, warm[i]!, newCalls(), { transfer: true }));
    await inLanes(WARMUP, N, () => baselineCollection(client, stack.taskQueue, newCalls()));
    // The idle worker: warmed up (code compiled, pools and connections open), then quiet for a few seconds.
    await new Promise((r) => setTimeout(r, 5000));
    const idleWorker = memoryOf(stack.pids.worker).rssMiB;

    const memory = sampleMemory(stack.pids);
    // Ours and the bare engine take turns, round by round, so drift in the machine's other load hits both alike.
    const oursCalls = newCalls();
    const bareCalls = newCalls();
    const oursPhases: Phase[] = [];
    const barePhases: Phase[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const size = Math.floor(COUNT / ROUNDS) + (round < COUNT % ROUNDS ? 1 : 0);
      const measured = take(size);
      oursPhases.push(await measurePhase(stack, size, (i) => copayCollection(stack, measured[i]!, oursCalls, { transfer: true })));
      barePhases.push(await measurePhase(stack, size, () => baselineCollection(client, stack.taskQueue, bareCalls)));
    }
    const ours = summarize('ours', oursPhases);
    const bare = summarize('bare', barePhases);
    const peakMiB = memory.stop();

    // Parking: K collections captured and waiting for their transfer.
    const probe = async (visitsForProbe: Visit[]) => {
      const calls = newCalls();
      await inLanes(visitsForProbe.length, 4, (i) => copayCollection(stack, visitsForProbe[i]!, calls, { transfer: false }));
      return { start: calls.start.summary(), capture: calls.capture.summary() };
    };
    const before = await probe(take(PROBE));
    const workerBefore = memoryOf(stack.pids.worker).rssMiB;
    const sqliteBefore = sqliteBytes(stack.temporalDbFile);
    const pgBefore = await dbBytes(stack);
    // Parked in tenths, reading the worker's memory after each: a flat curve is what "nothing grows" means.
    const parkedAt = performance.now();
    const workerCurve: { parked: number; rssMiB: number }[] = [];
    for (let parked = 0; parked < PARK;) {
      const tenth = take(Math.min(Math.ceil(PARK / 10), PARK - parked));
      await inLanes(tenth.length, N, (i) => copayCollection(stack, tenth[i]!, newCalls(), { transfer: false }));
      parked += tenth.length;
      workerCurve.push({ parked, rssMiB: memoryOf(stack.pids.worker).rssMiB });
      log(`parked ${parked}: worker ${workerCurve.at(-1)!.rssMiB} MiB`);
    }
    const parkSeconds = (performance.now() - parkedAt) / 1000;
    log(`parked ${PARK} in ${parkSeconds.toFixed(1)} s`);
    // Let the last workflow tasks settle before reading memory and storage.
    await new Promise((r) => setTimeout(r, 5000));
    const workerAfter = memoryOf(stack.pids.worker).rssMiB;
    const sqliteAfter = sqliteBytes(stack.temporalDbFile);
    const pgAfter = await dbBytes(stack);
    const after = await probe(take(PROBE));

    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { inFlight: N, count: COUNT, rounds: ROUNDS, warmup: WARMUP, park: PARK, probe: PROBE, serviceEnv },
      ours: { ...ours, start: oursCalls.start.summary(), captureWebhook: oursCalls.capture.summary(), transferWebhook: oursCalls.transfer.summary(), captureToApplied: oursCalls.captureToApplied.summary() },
      bare: { ...bare, start: bareCalls.start.summary(), captureUpdate: bareCalls.capture.summary(), transferSignal: bareCalls.transfer.summary(), captureToDone: bareCalls.captureToApplied.summary() },
      headline: {
        throughputRatio: Math.round((ours.perSecond / bare.perSecond) * 100) / 100,
        startP99Ratio: Math.round((oursCalls.start.p(99) / bareCalls.start.p(99)) * 100) / 100,
        captureP99Ratio: Math.round((oursCalls.capture.p(99) / bareCalls.capture.p(99)) * 100) / 100,
        transferP99Ratio: Math.round((oursCalls.transfer.p(99) / bareCalls.transfer.p(99)) * 100) / 100,
      },
      peakMemoryMiB: peakMiB,
      parked: {
        collections: PARK,
        workerFreshMiB: freshWorker, workerIdleMiB: idleWorker, workerBeforeParkingMiB: workerBefore, workerAfterParkingMiB: workerAfter,
        workerGrowthPercent: Math.round(((workerAfter - workerBefore) / workerBefore) * 1000) / 10,
        workerOverIdlePercent: Math.round(((workerAfter - idleWorker) / idleWorker) * 1000) / 10,
        workerCurve, parkSeconds: Math.round(parkSeconds),
        temporalBytesPerCollection: PARK ? Math.round((sqliteAfter - sqliteBefore) / PARK) : 0,
        postgresBytesPerCollection: PARK ? Math.round((pgAfter - pgBefore) / PARK) : 0,
        apiBefore: before, apiAfter: after,
      },
    };
    printTable(report);
    const json = JSON.stringify(report, null, 2);
    if (args.json) writeFileSync(args.json, `${json}\n`);
    process.stdout.write(`${json}\n`);
  } finally {
    await connection.close();
    await stack.stop();
  }
}

function printTable(r: { ours: Record<string, unknown>; bare: Record<string, unknown>; headline: Record<string, number>; peakMemoryMiB: Record<string, number>; parked: Record<string, unknown> }) {
  const row = (name: string, s: unknown) => {
    const v = s as { p50: number; p95: number; p99: number };
    return `  ${name.padEnd(26)} ${String(v.p50).padStart(8)} ${String(v.p95).padStart(8)} ${String(v.p99).padStart(8)}`;
  };
  log('');
  log(`  throughput: ours ${String(r.ours.perSecond)}/s, bare ${String(r.bare.perSecond)}/s, ratio ${r.headline.throughputRatio}`);
  log(`  ${'latency (ms)'.padEnd(26)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)}`);
  log(row('ours: start (API)', r.ours.start));
  log(row('ours: capture webhook', r.ours.captureWebhook));
  log(row('ours: transfer webhook', r.ours.transferWebhook));
  log(row('ours: capture → applied', r.ours.captureToApplied));
  log(row('bare: update-with-start', r.bare.start));
  log(row('bare: update', r.bare.captureUpdate));
  log(row('bare: signal', r.bare.transferSignal));
  log(row('bare: capture → done', r.bare.captureToDone));
  log(`  p99 ratios ours/bare: start ${r.headline.startP99Ratio}, capture ${r.headline.captureP99Ratio}, transfer ${r.headline.transferP99Ratio}`);
  log(`  peak RSS (MiB): ${JSON.stringify(r.peakMemoryMiB)}`);
  log(`  parked: ${JSON.stringify(r.parked)}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
