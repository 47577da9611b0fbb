/**
 * `npm run bench -- [--engine dev|cluster] [--n 20] [--count 400] [--rounds 4] [--warmup 40] [--park 10000] [--park-at transfer|capture] [--park-bare 0] [--solo 100] [--json out.json] [--keep DIR]`
 *
 * Drives an isolated local stack (bench/stack.ts) through the HTTP API the way the billing system and the EHR do:
 * N copay collections in flight at once, each start → capture webhook → transfer webhook → applied. Then, on the
 * same Temporal server and worker, the bare engine (workflows/bench-baseline.ts) with the same messages and
 * activity count. Then parks K collections in their transfer wait (or capture wait) and measures what that costs.
 * `--engine cluster`: the Temporal server binary on PostgreSQL, two APIs and two workers (bench/stack.ts).
 * Prints a table and writes JSON. Figures are for the machine it ran on: report them as ratios.
 */
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { createDb } from '../db/connection';
import { dataConverterFor, payloadCodecFromEnv } from '../lib/codec';
import { baselineCaptureUpdate, baselineStartUpdate, baselineTransferSignal, benchBaseline } from '../workflows/bench-baseline';
import { startBenchStack, TEMPORAL_DATABASES, type BenchStack, type Engine } from './stack';
import { cpuMeter, postgresSplit, sampleMemory, sqliteBytes, timed } from './measure';
import { copayCollection, inLanes, linkPolls, newCalls, retried, seedVisits, workersRssMiB, type Calls, type Until, type Visit } from './driver';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20' },
    count: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '40' },
    park: { type: 'string', default: '10000' },
    'park-at': { type: 'string', default: 'transfer' },
    'park-bare': { type: 'string', default: '0' },
    probe: { type: 'string', default: '100' },
    solo: { type: 'string', default: '100' },
    engine: { type: 'string', default: 'dev' },
    json: { type: 'string' },
    // The stack's data in DIR, kept after the run: bench/park-more.ts goes on parking there.
    keep: { type: 'string' },
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
const PARK_BARE = Number(args['park-bare']);
// Where the parked collections wait: `transfer` (captured, the copay's long wait) or `capture` (the payment request
// open: about a third of the work per collection, for long parkings; the worker holds neither kind).
const PARK_AT: Until = args['park-at'] === 'capture' ? 'requested' : 'captured';
if (!['transfer', 'capture'].includes(args['park-at'])) throw new Error(`--park-at: transfer or capture, not ${String(args['park-at'])}`);
const SOLO = Number(args.solo);
const ENGINE = args.engine as Engine;
if (ENGINE !== 'dev' && ENGINE !== 'cluster') throw new Error(`--engine: dev or cluster, not ${String(args.engine)}`);
if (args.keep && existsSync(args.keep) && readdirSync(args.keep).length) throw new Error(`--keep ${args.keep}: not empty (to go on parking there: npm run bench:park-more)`);
const log = (line: string) => {
  if (!args.quiet) process.stderr.write(`${line}\n`);
};

const ALL_VISITS = WARMUP + COUNT + SOLO + 2 * PROBE + PARK;


/** The same messages and activity count on the bare engine, from this process. */
async function baselineCollection(client: Client, taskQueue: string, calls: Calls, opts: { park?: boolean } = {}): Promise<void> {
  const workflowId = `bench-baseline-${randomUUID()}`;
  await timed(calls.start, () => client.workflow.executeUpdateWithStart(baselineStartUpdate, {
    startWorkflowOperation: new WithStartWorkflowOperation(benchBaseline, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' }),
  }));
  const handle = client.workflow.getHandle(workflowId);
  const captureSentAt = Date.now();
  await timed(calls.capture, () => handle.executeUpdate(baselineCaptureUpdate, { args: [{ eventId: randomUUID() }] }));
  if (opts.park) return; // left in its wait for the transfer, like a parked collection
  await timed(calls.transfer, () => handle.signal(baselineTransferSignal, { eventId: randomUUID() }));
  await handle.result();
  calls.captureToApplied.add(Date.now() - captureSentAt);
}

interface Phase { collections: number; seconds: number; cpuSeconds: Record<string, number> }

/** The processes whose CPU is measured. On the cluster engine Temporal is its server process and the PostgreSQL
 *  backends of its two databases (`temporalPostgres`); `postgres` is the rest of PostgreSQL (ours). */
function cpuGroups(stack: BenchStack): Record<string, () => number[]> {
  const { standin, temporal, postgres } = stack.pids;
  const temporalDbs = Object.values(TEMPORAL_DATABASES);
  return {
    api: () => stack.apiPids, worker: () => stack.workerPids, temporal: () => [temporal],
    ...(stack.engine === 'cluster' ? { temporalPostgres: () => postgresSplit(postgres, temporalDbs).theirs } : {}),
    postgres: () => postgresSplit(postgres, temporalDbs).rest, standin: () => [standin], driver: () => [process.pid],
  };
}


/** Temporal's storage in bytes: the dev server's SQLite file, or the cluster's two PostgreSQL databases, with the
 *  size of each table (heap, indexes and TOAST) so the growth can be placed. */
async function temporalStorage(stack: BenchStack): Promise<{ bytes: number; tables: Record<string, number> }> {
  if (stack.engine === 'dev') return { bytes: sqliteBytes(stack.temporalDbFile), tables: {} };
  let bytes = 0;
  const tables: Record<string, number> = {};
  for (const url of stack.temporalDbUrls) {
    const db = createDb(url, 1);
    try {
      const database = new URL(url).pathname.slice(1);
      const size = await db.raw<{ rows: { size: string }[] }>('select pg_database_size(current_database()) as size');
      bytes += Number(size.rows[0]!.size);
      const rows = await db.raw<{ rows: { name: string; size: string }[] }>(
        "select c.relname as name, pg_total_relation_size(c.oid) as size from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname = 'public'");
      for (const r of rows.rows) tables[`${database}.${r.name}`] = Number(r.size);
    } finally {
      await db.destroy();
    }
  }
  return { bytes, tables };
}

/** The bytes of a run's history as the server stores it (each event serialized), by event type: where a history's
 *  size goes. Payloads stay as stored (encrypted). */
async function historyBreakdown(client: Client, workflowId: string) {
  const byType: Record<string, { events: number; bytes: number }> = {};
  let events = 0;
  let bytes = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId }, nextPageToken });
    for (const event of page.history?.events ?? []) {
      const size = proto.api.history.v1.HistoryEvent.encode(event).finish().length;
      const marker = event.markerRecordedEventAttributes?.markerName;
      const type = (proto.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '') + (marker ? ` (${marker})` : '');
      byType[type] ??= { events: 0, bytes: 0 };
      byType[type].events++;
      byType[type].bytes += size;
      events++;
      bytes += size;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const sorted = Object.fromEntries(Object.entries(byType).sort(([, a], [, b]) => b.bytes - a.bytes));
  return { workflowId, events, bytes, byType: sorted };
}

/** Runs the jobs; returns how long they took and the CPU seconds each process used meanwhile. */
async function measurePhase(stack: BenchStack, total: number, job: (i: number) => Promise<unknown>): Promise<Phase> {
  const cpu = cpuMeter(cpuGroups(stack));
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
  const rate = total / seconds;
  const perSecond = Math.round(rate * 100) / 100;
  const cpuMsPerCollection = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round((v / total) * 1000 * 10) / 10]));
  const cpuBusyPercent = Math.round((Object.values(cpu).reduce((a, b) => a + b, 0) / (seconds * cpus().length)) * 100);
  const roundRates = phases.map((p) => Math.round((p.collections / p.seconds) * 100) / 100);
  log(`${label}: ${total} in ${seconds.toFixed(1)} s = ${perSecond}/s (rounds ${roundRates.join(', ')}); CPU ms per collection ${JSON.stringify(cpuMsPerCollection)}; machine ${cpuBusyPercent}% busy (ours)`);
  return { collections: total, seconds: Math.round(seconds * 10) / 10, perSecond, rate, roundRates, cpuMsPerCollection, cpuBusyPercent };
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
  const stack = await startBenchStack({ engine: ENGINE, serviceEnv, nodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [], dir: args.keep });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  // The worker encrypts payloads (lib/codec): this client must read them, like the API's.
  const client = new Client({ connection, dataConverter: dataConverterFor(payloadCodecFromEnv()) });
  let failed = true;
  try {
    const visits = await seedVisits(stack, 0, ALL_VISITS);
    // Seeding wrote thousands of rows: settle PostgreSQL's statistics now, not by autovacuum in the first round.
    await stack.db.raw('vacuum analyze');
    let cursor = 0;
    const take = (k: number) => visits.slice(cursor, (cursor += k));
    const freshWorker = workersRssMiB(stack);

    // Warm-up (not measured), then ours, then the bare engine.
    const warm = take(WARMUP);
    await inLanes(warm.length, N, (i) => copayCollection(stack, warm[i]!, newCalls(), { until: 'applied' }));
    await inLanes(WARMUP, N, () => baselineCollection(client, stack.taskQueue, newCalls()));
    // The idle worker: warmed up (code compiled, pools and connections open), then quiet for a few seconds.
    await new Promise((r) => setTimeout(r, 5000));
    const idleWorker = workersRssMiB(stack);

    const memory = sampleMemory(Object.fromEntries(Object.entries(stack.pids).filter((e): e is [string, number] => e[1] !== undefined)));
    // Ours and the bare engine take turns, round by round, so drift in the machine's other load hits both alike.
    const oursCalls = newCalls();
    const bareCalls = newCalls();
    const oursPhases: Phase[] = [];
    const barePhases: Phase[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const size = Math.floor(COUNT / ROUNDS) + (round < COUNT % ROUNDS ? 1 : 0);
      const measured = take(size);
      oursPhases.push(await measurePhase(stack, size, (i) => copayCollection(stack, measured[i]!, oursCalls, { until: 'applied' })));
      barePhases.push(await measurePhase(stack, size, () => baselineCollection(client, stack.taskQueue, bareCalls)));
    }
    const ours = summarize('ours', oursPhases);
    const bare = summarize('bare', barePhases);
    const peakMiB = memory.stop();

    // Unsaturated: one request at a time, Collect Now and the bare engine's update-with-start taking turns (the
    // capture and the rest of each run follow, untimed, before the next; ours are left parked, like the probes).
    const soloOurs = newCalls();
    const soloBare = newCalls();
    const solo = take(SOLO);
    for (let i = 0; i < SOLO; i++) {
      await copayCollection(stack, solo[i]!, soloOurs, { until: 'captured' });
      await baselineCollection(client, stack.taskQueue, soloBare);
    }
    if (SOLO) log(`one at a time (${SOLO}): Collect Now p50 ${soloOurs.start.p(50)} p99 ${soloOurs.start.p(99)} ms; bare update-with-start p50 ${soloBare.start.p(50)} p99 ${soloBare.start.p(99)} ms`);

    // Parking: K collections waiting for their transfer (captured) or, with --park-at capture, for their capture.
    const probe = async (visitsForProbe: Visit[]) => {
      const calls = newCalls();
      await inLanes(visitsForProbe.length, 4, (i) => copayCollection(stack, visitsForProbe[i]!, calls, { until: 'captured' }));
      return { start: calls.start.summary(), capture: calls.capture.summary() };
    };
    const before = await probe(take(PROBE));
    const workerBefore = workersRssMiB(stack);
    const temporalBefore = await temporalStorage(stack);
    const pgBefore = await dbBytes(stack);
    // Parked in tenths, reading the worker's memory after each: a flat curve is what "nothing grows" means.
    const parkedAt = performance.now();
    const workerCurve: { parked: number; rssMiB: number }[] = [];
    let lastParked: string | undefined;
    // `kill -USR2 <this process>` ends the parking early (a long run on a shared machine): the lanes finish the
    // collections in hand, and the rest of the run reports on what was parked.
    let stopParking = false;
    const stopSignal = () => { stopParking = true; log('SIGUSR2: parking stops; the report follows for what was parked'); };
    process.once('SIGUSR2', stopSignal);
    let parked = 0;
    while (parked < PARK && !stopParking) {
      const tenth = take(Math.min(Math.ceil(PARK / 10), PARK - parked));
      await inLanes(tenth.length, N, async (i) => {
        if (stopParking) return;
        lastParked = await copayCollection(stack, tenth[i]!, newCalls(), { until: PARK_AT });
        parked++;
      });
      workerCurve.push({ parked, rssMiB: workersRssMiB(stack) });
      log(`parked ${parked}: worker ${workerCurve.at(-1)!.rssMiB} MiB (${((performance.now() - parkedAt) / 1000).toFixed(0)} s)`);
    }
    process.off('SIGUSR2', stopSignal);
    const parkSeconds = (performance.now() - parkedAt) / 1000;
    log(`parked ${parked} in ${parkSeconds.toFixed(1)} s`);
    // Let the last workflow tasks settle before reading memory and storage.
    await new Promise((r) => setTimeout(r, 5000));
    const workerAfter = workersRssMiB(stack);
    const temporalAfter = await temporalStorage(stack);
    const pgAfter = await dbBytes(stack);
    const after = await probe(take(PROBE));
    // The bare engine's runs parked the same way (captured, waiting for the transfer signal) on the same server: the
    // engine's own floor for a parked run's storage, next to ours.
    const bareBefore = await temporalStorage(stack);
    await inLanes(PARK_BARE, N, () => baselineCollection(client, stack.taskQueue, newCalls(), { park: true }));
    await new Promise((r) => setTimeout(r, PARK_BARE ? 5000 : 0));
    const bareAfter = await temporalStorage(stack);
    const tableGrowth = Object.fromEntries(Object.entries(temporalAfter.tables)
      .map(([t, b]) => [t, parked ? Math.round((b - (temporalBefore.tables[t] ?? 0)) / parked) : 0] as const)
      .filter(([, b]) => b !== 0).sort(([, a], [, b]) => b - a));

    // Where a run's history goes, event by event type: a parked collection, an applied one, a finished bare run.
    const workflowOf = async (where: { status: string } | { id: string }) => (await stack.db('collections').where(where).orderBy('updated_at', 'desc').first<{ workflow_id: string } | undefined>('workflow_id'))?.workflow_id;
    const bareRun = (await client.workflow.list({ query: `WorkflowType = 'benchBaseline' AND ExecutionStatus = 'Completed'` })[Symbol.asyncIterator]().next()).value as { workflowId: string } | undefined;
    const history: Record<string, Awaited<ReturnType<typeof historyBreakdown>>> = {};
    for (const [name, id] of [['oursParked', lastParked && await workflowOf({ id: lastParked })], ['oursApplied', await workflowOf({ status: 'applied' })], ['bareCompleted', bareRun?.workflowId]] as const) {
      if (id) history[name] = await historyBreakdown(client, id);
    }

    const report = {
      engine: ENGINE,
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { engine: ENGINE, apis: stack.apiUrls.length, workers: stack.workerPids.length, inFlight: N, count: COUNT, rounds: ROUNDS, warmup: WARMUP, park: PARK, parkAt: args['park-at'], parkBare: PARK_BARE, probe: PROBE, solo: SOLO, serviceEnv },
      ours: { ...ours, start: oursCalls.start.summary(), captureWebhook: oursCalls.capture.summary(), transferWebhook: oursCalls.transfer.summary(), captureToApplied: oursCalls.captureToApplied.summary() },
      bare: { ...bare, start: bareCalls.start.summary(), captureUpdate: bareCalls.capture.summary(), transferSignal: bareCalls.transfer.summary(), captureToDone: bareCalls.captureToApplied.summary() },
      headline: {
        throughputRatio: Math.round((ours.rate / bare.rate) * 100) / 100,
        startP99Ratio: Math.round((oursCalls.start.p(99) / bareCalls.start.p(99)) * 100) / 100,
        captureP99Ratio: Math.round((oursCalls.capture.p(99) / bareCalls.capture.p(99)) * 100) / 100,
        transferP99Ratio: Math.round((oursCalls.transfer.p(99) / bareCalls.transfer.p(99)) * 100) / 100,
        cpuTotalRatio: Math.round((sum(ours.cpuMsPerCollection) / sum(bare.cpuMsPerCollection)) * 100) / 100,
        soloStartP50Ratio: Math.round((soloOurs.start.p(50) / soloBare.start.p(50)) * 100) / 100,
        soloStartP99Ratio: Math.round((soloOurs.start.p(99) / soloBare.start.p(99)) * 100) / 100,
      },
      retried,
      answered202ThenPolled: linkPolls.count,
      unsaturated: { count: SOLO, collectNow: soloOurs.start.summary(), bareUpdateWithStart: soloBare.start.summary() },
      peakMemoryMiB: peakMiB,
      parked: {
        collections: parked,
        workerFreshMiB: freshWorker, workerIdleMiB: idleWorker, workerBeforeParkingMiB: workerBefore, workerAfterParkingMiB: workerAfter,
        workerGrowthPercent: Math.round(((workerAfter - workerBefore) / workerBefore) * 1000) / 10,
        workerOverIdlePercent: Math.round(((workerAfter - idleWorker) / idleWorker) * 1000) / 10,
        workerCurve, parkSeconds: Math.round(parkSeconds),
        temporalBytesPerCollection: parked ? Math.round((temporalAfter.bytes - temporalBefore.bytes) / parked) : 0,
        temporalTableBytesPerCollection: tableGrowth,
        temporalTablesBytes: { before: sum(temporalBefore.tables), after: sum(temporalAfter.tables) },
        postgresBytesPerCollection: parked ? Math.round((pgAfter - pgBefore) / parked) : 0,
        bareParked: PARK_BARE, bareTemporalBytesPerRun: PARK_BARE ? Math.round((bareAfter.bytes - bareBefore.bytes) / PARK_BARE) : 0,
        apiBefore: before, apiAfter: after,
      },
      history,
    };
    printTable(report);
    const json = JSON.stringify(report, null, 2);
    if (args.json) writeFileSync(args.json, `${json}\n`);
    process.stdout.write(`${json}\n`);
    failed = false;
  } finally {
    await connection.close();
    await stack.stop(failed);
  }
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

function printTable(r: { retried: Record<string, number>; answered202ThenPolled: number; ours: Record<string, unknown>; bare: Record<string, unknown>; headline: Record<string, number>; peakMemoryMiB: Record<string, number>; parked: Record<string, unknown>; unsaturated: Record<string, unknown>; history: Record<string, unknown> }) {
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
  log(`  CPU per collection, total ours/bare: ${r.headline.cpuTotalRatio}`);
  log(row('one at a time: Collect Now', r.unsaturated.collectNow));
  log(row('one at a time: bare u-w-s', r.unsaturated.bareUpdateWithStart));
  log(`  one at a time, ours/bare: p50 ${r.headline.soloStartP50Ratio}, p99 ${r.headline.soloStartP99Ratio}`);
  log(`  retried answers: ${JSON.stringify(r.retried)}; Collect Now answered 202, link polled: ${r.answered202ThenPolled}`);
  log(`  peak RSS (MiB): ${JSON.stringify(r.peakMemoryMiB)}`);
  log(`  parked: ${JSON.stringify(r.parked)}`);
  log(`  history bytes: ${JSON.stringify(r.history)}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
