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
  const log = createWriteStream(o.logFile, { flags: 'a' });
  // Own process group, so a terminal's Ctrl-C reaches only our orchestrating script, which stops it last.
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const address = `127.0.0.1:${o.port}`;
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`Temporal dev server exited with code ${exited}; see ${o.logFile}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not answer on ${address} within 60s (${(err as Error).message}); see ${o.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited !== undefined) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(force);
        log.end();
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { address, process: child, stop };
}
