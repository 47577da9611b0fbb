/** Starts `temporal server start-dev` as a child process and waits until its frontend answers. */
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const SA_TYPE_NAMES: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' };

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file for persistence across restarts; omit for in-memory. */
  dbFile?: string;
  logFile: string;
  /** Extra `--ui-*` or other flags. */
  extraArgs?: string[];
}

export interface RunningDevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--log-level', 'warn'];
  args.push(...(o.uiPort ? ['--ui-port', String(o.uiPort)] : ['--headless']));
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  for (const sa of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${sa.name}=${SA_TYPE_NAMES[sa.type]}`);
  // Update-with-Start (used for idempotent starts that also deliver a message).
  args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
  return [...args, ...(o.extraArgs ?? [])];
}

export async function startDevServer(o: DevServerOptions): Promise<RunningDevServer> {
  mkdirSync(dirname(o.logFile), { recursive: true });
  if (o.dbFile) mkdirSync(dirname(o.dbFile), { recursive: true });
  // Own process group, so a terminal's Ctrl-C reaches only our orchestrating script, which stops it last.
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return superviseUntilReady(child, { name: 'Temporal dev server', address: `127.0.0.1:${o.port}`, logFile: o.logFile, timeoutMs: 60_000, pollMs: 250, forceKillMs: 10_000 });
}

/**
 * A Temporal server process (the dev server, or the server binary: scripts/temporal-cluster.ts) until its frontend
 * answers: its output to `logFile`, the exit or the deadline as an error naming the log; then how to stop it (SIGTERM,
 * SIGKILL after `forceKillMs`).
 */
export async function superviseUntilReady(
  child: ChildProcess,
  o: { name: string; address: string; logFile: string; timeoutMs: number; pollMs: number; forceKillMs: number; whyExited?: () => string },
): Promise<RunningDevServer> {
  const log = createWriteStream(o.logFile, { flags: 'a' });
  // Two sources into one file: neither may end it (the other could still write); it ends when both are closed.
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`${o.name} exited with code ${exited}${o.whyExited ? `: ${o.whyExited()}` : ''}; see ${o.logFile}`);
    try {
      const conn = await Connection.connect({ address: o.address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${o.name} did not answer on ${o.address} within ${o.timeoutMs / 1000}s (${(err as Error).message}); see ${o.logFile}`);
      }
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  }

  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited !== undefined) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), o.forceKillMs);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { address: o.address, process: child, stop };
}
