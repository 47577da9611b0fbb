/**
 * A tiny run of the benchmark (N = 5), so it never rots, on each engine: the dev server, and the cluster topology
 * (the Temporal server binary on PostgreSQL, two APIs, two workers). It checks that the run completes and reports
 * every figure; it asserts nothing about speed (figures are measured on demand: bench/README.md).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');

async function bench(args: string[], script = 'bench/run.ts') {
  const dir = mkdtempSync(join(tmpdir(), 'payflow-bench-smoke-'));
  const out = join(dir, 'report.json');
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args, '--json', out], {
      cwd: ROOT, timeout: 240_000, maxBuffer: 10 * 1024 * 1024,
    });
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('benchmark (tiny run)', () => {
  it('drives the stack and the bare engine and reports throughput, percentiles, memory and parking costs; a kept stack parks more', async () => {
    const kept = join(mkdtempSync(join(tmpdir(), 'payflow-bench-kept-')), 'stack');
    try {
      const report = await bench(['--n', '5', '--count', '5', '--warmup', '1', '--park', '10', '--park-bare', '3', '--probe', '3', '--solo', '2', '--quiet', '--keep', kept]);
      expect(report.settings).toMatchObject({ engine: 'dev', apis: 1, workers: 1, inFlight: 5, count: 5, rounds: 4, park: 10, parkAt: 'transfer', parkBare: 3 });
      for (const side of [report.ours, report.bare]) {
        expect(side.collections).toBe(5);
        expect(side.perSecond).toBeGreaterThan(0);
        expect(side.roundRates).toHaveLength(4); // ours and bare took turns, 2 + 1 + 1 + 1 collections each
      }
      for (const call of [report.ours.start, report.ours.captureWebhook, report.ours.transferWebhook, report.ours.captureToApplied, report.bare.start, report.bare.captureUpdate, report.bare.transferSignal]) {
        expect(call.count).toBe(5);
        expect(call.p50).toBeGreaterThan(0);
        expect(call.p99).toBeGreaterThanOrEqual(call.p50);
      }
      expect(Number.isFinite(report.headline.throughputRatio)).toBe(true);
      expect(report.peakMemoryMiB.worker).toBeGreaterThan(0);
      expect(report.peakMemoryMiB.api).toBeGreaterThan(0);
      expect(report.parked.collections).toBe(10);
      // The worker's memory read after each tenth of the parking.
      expect(report.parked.workerCurve.map((point: { parked: number }) => point.parked)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(report.parked.temporalBytesPerCollection).toBeGreaterThan(0);
      expect(report.parked.postgresBytesPerCollection).toBeGreaterThanOrEqual(0);
      expect(report.parked.apiAfter.start.count).toBe(3);
      // The bare engine's runs parked the same way: the engine's own floor for a parked run's storage.
      expect(report.parked.bareTemporalBytesPerRun).toBeGreaterThan(0);
      expectUnsaturatedAndHistory(report);
      expect(report.history.oursParked.byType.WORKFLOW_EXECUTION_UPDATE_ACCEPTED.events).toBe(2); // Collect Now's and the capture's

      // The next part of a long parking, on the kept stack's data with a new worker: 18 wait (10 parked, 3 + 3 probes,
      // 2 one at a time), every seeded visit is used, so it seeds 4 more and parks them in its capture wait.
      const more = await bench(['--dir', kept, '--to', '22', '--step', '2', '--n', '2'], 'bench/park-more.ts');
      expect(more).toMatchObject({ parkedBefore: 18, parkedThisPart: 4, parkedAfter: 22 });
      expect(more.worker.curve.map((point: { parked: number }) => point.parked)).toEqual([20, 22]);
      expect(more.worker.freshMiB).toBeGreaterThan(0);
      expect(more.temporalFile.afterBytes).toBeGreaterThanOrEqual(more.temporalFile.beforeBytes);
    } finally {
      rmSync(dirname(kept), { recursive: true, force: true });
    }
  }, 420_000);

  it('runs on the cluster topology: two APIs, two workers, the server binary and its storage in PostgreSQL', async () => {
    const report = await bench(['--engine', 'cluster', '--n', '3', '--count', '2', '--rounds', '1', '--warmup', '0', '--park', '4', '--park-at', 'capture', '--probe', '1', '--solo', '2', '--quiet']);
    expect(report.settings).toMatchObject({ engine: 'cluster', apis: 2, workers: 2, count: 2, park: 4, parkAt: 'capture' });
    for (const side of [report.ours, report.bare]) {
      expect(side.collections).toBe(2);
      // Temporal's CPU is its server process and the PostgreSQL backends of its own databases.
      expect(Object.keys(side.cpuMsPerCollection)).toEqual(expect.arrayContaining(['api', 'worker', 'temporal', 'temporalPostgres', 'postgres']));
    }
    expect(report.peakMemoryMiB).toMatchObject({ api2: expect.any(Number), worker2: expect.any(Number) });
    expect(report.parked.temporalBytesPerCollection).toBeGreaterThan(0);
    expect(Object.keys(report.parked.temporalTableBytesPerCollection)).toContain('temporal.history_node');
    expectUnsaturatedAndHistory(report);
    // Parked in the capture wait: Collect Now's update only, no capture yet.
    expect(report.history.oursParked.byType.WORKFLOW_EXECUTION_UPDATE_ACCEPTED.events).toBe(1);
  }, 300_000);
});

/** Collect Now one at a time against the bare update-with-start, and a parked run's history by event type. */
function expectUnsaturatedAndHistory(report: any) {
  expect(report.unsaturated.collectNow.count).toBe(2);
  expect(report.unsaturated.bareUpdateWithStart.count).toBe(2);
  expect(Number.isFinite(report.headline.soloStartP99Ratio)).toBe(true);
  expect(Number.isFinite(report.headline.cpuTotalRatio)).toBe(true);
  expect(report.history.oursParked.bytes).toBeGreaterThan(0);
  expect(report.history.oursParked.byType.WORKFLOW_EXECUTION_STARTED.events).toBe(1);
  expect(report.history.bareCompleted.bytes).toBeGreaterThan(0);
}
