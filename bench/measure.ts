/** Small measuring tools: latency percentiles, process memory from /proc, file sizes. Linux only. */
import { existsSync, readFileSync, statSync } from 'node:fs';

export class Latencies {
  private readonly samples: number[] = [];
  add(ms: number): void {
    this.samples.push(ms);
  }
  get count(): number {
    return this.samples.length;
  }
  /** Nearest-rank percentile, in milliseconds (rounded to 0.1 ms). */
  p(q: number): number {
    if (this.samples.length === 0) return NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
    return Math.round(sorted[rank]! * 10) / 10;
  }
  summary() {
    return { count: this.count, p50: this.p(50), p95: this.p(95), p99: this.p(99) };
  }
}

export async function timed<T>(into: Latencies, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    into.add(performance.now() - t0);
  }
}

/** Resident memory of a process in MiB (VmRSS), and its peak (VmHWM). */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 102.4) / 10, peakMiB: Math.round(kib('VmHWM') / 102.4) / 10 };
}

/** Samples every process's RSS while running; `peaks()` gives the highest seen per name. */
export function sampleMemory(pids: Record<string, number>, everyMs = 250) {
  const peak: Record<string, number> = {};
  const tick = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const { rssMiB } = memoryOf(pid);
      peak[name] = Math.max(peak[name] ?? 0, rssMiB);
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { ...peak };
    },
  };
}

/** A SQLite database's size on disk with its write-ahead log, in bytes. */
export function sqliteBytes(file: string): number {
  return [file, `${file}-wal`, `${file}-shm`].filter(existsSync).reduce((sum, f) => sum + statSync(f).size, 0);
}
