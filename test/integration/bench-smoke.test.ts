/**
 * A tiny run of the benchmark (N = 5), so it never rots. It checks that the run completes and reports every
 * figure; it asserts nothing about speed (figures are measured on demand: bench/README.md).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');

describe('benchmark (tiny run)', () => {
  it('drives the stack and the bare engine and reports throughput, percentiles, memory and parking costs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payflow-bench-smoke-'));
    const out = join(dir, 'report.json');
    try {
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--n', '5', '--count', '5', '--warmup', '1', '--park', '10', '--probe', '3', '--quiet', '--json', out], {
        cwd: ROOT, timeout: 240_000, maxBuffer: 10 * 1024 * 1024,
      });
      const report = JSON.parse(readFileSync(out, 'utf8'));
      expect(report.settings).toMatchObject({ inFlight: 5, count: 5, rounds: 4, park: 10 });
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
