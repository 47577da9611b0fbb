/**
 * `npm run bench:park-more -- --dir DIR --to 100000 [--n 20] [--step 5000] [--json out.json]`
 *
 * Goes on parking copay collections in their capture wait on a kept dev-engine stack (`npm run bench -- --keep DIR`),
 * until `--to` collections wait in all, reading the worker's memory after every step. A parking longer than one
 * process may live (the dev server parks ≈ 8 per second and slows as it fills: 100,000 takes about 4 hours) is
 * measured in parts: each part is a new worker on the same server and data, so each part's curve says whether the
 * worker's memory follows the number of runs parked (it should not: a parked run leaves the worker's cache).
 * `kill -USR2 <pid>` ends the part early and still reports. The stack's data stays in DIR for the next part.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { sqliteBytes } from './measure';
import { startBenchStack } from './stack';
import { copayCollection, inLanes, linkPolls, newCalls, PRACTICE, retried, seedVisits, workersRssMiB, type ParkingVisit } from './driver';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    to: { type: 'string', default: '100000' },
    n: { type: 'string', default: '20' },
    step: { type: 'string', default: '5000' },
    json: { type: 'string' },
  },
});
const DIR = args.dir;
if (!DIR || !existsSync(join(DIR, 'temporal.db'))) throw new Error('--dir: a kept dev-engine bench stack (npm run bench -- --engine dev --keep DIR)');
const TO = Number(args.to);
const N = Number(args.n);
const STEP = Number(args.step);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const stack = await startBenchStack({ engine: 'dev', dir: DIR });
  let failed = true;
  try {
    // Parked: the collections waiting for their capture or their transfer (the probes' and the one-at-a-time runs').
    const waiting = async () => Number((await stack.db('collections').whereIn('status', ['awaiting_capture', 'awaiting_transfer']).count<{ count: string }[]>('* as count'))[0]!.count);
    const parkedBefore = await waiting();
    // The visits seeded before and not used by any collection yet, in seeding order (bv-0, bv-1, ...); more when short.
    const benchVisits = () => stack.db('visits as v').join('practices as p', 'p.id', 'v.practice_id').where('p.external_id', PRACTICE);
    const unused = await benchVisits().whereNotExists(stack.db('collections as c').whereRaw('c.visit_id = v.id'))
      .orderByRaw('(substring(v.external_id from 4))::int').select<{ id: string }[]>('v.id');
    const want = Math.max(0, TO - parkedBefore);
    const seeded = Number((await benchVisits().count<{ count: string }[]>('* as count'))[0]!.count);
    const more = want > unused.length ? await seedVisits(stack, seeded, want - unused.length) : [];
    const visits: ParkingVisit[] = [...unused.map((v) => ({ visitId: v.id })), ...more].slice(0, want);
    const workerFresh = workersRssMiB(stack);
    const fileBefore = sqliteBytes(stack.temporalDbFile);
    log(`park-more: ${parkedBefore} waiting, ${want} to park to reach ${TO}; worker fresh ${workerFresh} MiB; Temporal's file ${(fileBefore / 2 ** 20).toFixed(0)} MiB`);

    let stop = false;
    process.once('SIGUSR2', () => { stop = true; log('SIGUSR2: this part stops; the report follows'); });
    const curve: { parked: number; rssMiB: number; seconds: number }[] = [];
    const t0 = performance.now();
    let done = 0;
    while (done < want && !stop) {
      const step = visits.slice(done, done + Math.min(STEP, want - done));
      let inStep = 0;
      await inLanes(step.length, N, async (i) => {
        if (stop) return;
        await copayCollection(stack, step[i]!, newCalls(), { until: 'requested' });
        inStep++;
      });
      done += inStep;
      curve.push({ parked: parkedBefore + done, rssMiB: workersRssMiB(stack), seconds: Math.round((performance.now() - t0) / 1000) });
      log(`parked ${parkedBefore + done}: worker ${curve.at(-1)!.rssMiB} MiB (${curve.at(-1)!.seconds} s)`);
    }
    const seconds = (performance.now() - t0) / 1000;
    // Let the last workflow tasks settle before the last reading.
    await new Promise((r) => setTimeout(r, 5000));
    const parkedAfter = await waiting();
    const workerAfter = workersRssMiB(stack);
    const fileAfter = sqliteBytes(stack.temporalDbFile);
    // Flat means: after the first step (the worker's caches and code warm), every reading within a few per cent.
    const settled = curve.slice(1).map((c) => c.rssMiB);
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { to: TO, inFlight: N, step: STEP, parkAt: 'capture' },
      parkedBefore, parkedAfter, parkedThisPart: done, seconds: Math.round(seconds), perSecond: Math.round((done / seconds) * 100) / 100,
      worker: {
        freshMiB: workerFresh, afterMiB: workerAfter, curve,
        settledSpreadPercent: settled.length ? Math.round(((Math.max(...settled) - Math.min(...settled)) / Math.min(...settled)) * 1000) / 10 : null,
      },
      temporalFile: { beforeBytes: fileBefore, afterBytes: fileAfter, bytesPerParkedThisPart: done ? Math.round((fileAfter - fileBefore) / done) : 0 },
      retried, answered202ThenPolled: linkPolls.count,
    };
    const json = JSON.stringify(report, null, 2);
    if (args.json) writeFileSync(args.json, `${json}\n`);
    process.stdout.write(`${json}\n`);
    failed = false;
  } finally {
    await stack.stop(failed);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`park-more failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
