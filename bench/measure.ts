/** Small measuring tools: latency percentiles, process memory from /proc, file sizes. Linux only. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

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
      try {
        peak[name] = Math.max(peak[name] ?? 0, memoryOf(pid).rssMiB);
      } catch {
        // the process ended: the run fails where it next needs it, with the stack's logs kept
      }
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

const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU time (user + system) a process has used so far, in seconds; with `reaped`, also that of the children it
 *  has waited for (PostgreSQL's postmaster reaps its per-connection backends). */
export function cpuSeconds(pid: number, reaped = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')': utime is the 12th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return ((f[11] ?? 0) + (f[12] ?? 0) + (reaped ? (f[13] ?? 0) + (f[14] ?? 0) : 0)) / TICKS_PER_SECOND;
}

/** The process and its direct children (PostgreSQL runs a process per connection and per background task). */
export function processFamily(rootPid: number): number[] {
  const pids = [rootPid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (Number(ppid) === rootPid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** CPU seconds used by each named group of processes between creation and stop(). The first pid of a group is
 *  its root: its reaped children count too. */
export function cpuMeter(groups: Record<string, () => number[]>) {
  const read = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids().reduce((s, pid, i) => {
    try {
      return s + cpuSeconds(pid, i === 0);
    } catch {
      return s;
    }
  }, 0)]));
  const before = read();
  return {
    stop(): Record<string, number> {
      const after = read();
      return Object.fromEntries(Object.keys(groups).map((k) => [k, Math.round(((after[k] ?? 0) - (before[k] ?? 0)) * 100) / 100]));
    },
  };
}

/** The pid of the process whose command line contains `needle` (e.g. a data directory). */
export function pidByCommandLine(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** The database a PostgreSQL backend serves, from its process title (`postgres: <user> <database> <host> <state>`). */
function backendDatabase(pid: number): string | undefined {
  try {
    return /^postgres: \S+ (\S+) /.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))?.[1];
  } catch {
    return undefined;
  }
}

/** PostgreSQL's processes split in two: the backends serving `databases` (the cluster engine's Temporal), and the
 *  rest (the postmaster first, so the CPU of the backends it has reaped counts there, its background processes and
 *  every other backend). */
export function postgresSplit(rootPid: number, databases: string[]): { theirs: number[]; rest: number[] } {
  const [root, ...children] = processFamily(rootPid);
  const theirs = children.filter((pid) => databases.includes(backendDatabase(pid) ?? ''));
  return { theirs, rest: [root!, ...children.filter((pid) => !theirs.includes(pid))] };
}
