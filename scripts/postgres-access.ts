/**
 * Where the embedded server's files must be for the OS user it runs as. PostgreSQL refuses to run as root, so as
 * root it runs as the `postgres` user (created if missing), who must be able to reach the binaries and the data
 * directory. A clone under /root (mode 700, as on most servers and containers) is out of that user's reach: the
 * binaries are then staged (copied once per version) and the data directory placed under STAGE_ROOT, with a
 * symlink at the requested path, so `data/postgres` still leads to it and removing `data/` still starts afresh.
 * Under /var/lib, not /tmp or /var/tmp: their cleaners delete files left untouched for days, which would corrupt a
 * persistent cluster. Nothing is staged when the server's user can reach the clone (or when not root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export const STAGE_ROOT = '/var/lib/payflow/embedded-postgres';

/** The OS user the server runs as, when it is not this process's own. */
export interface ServerAccount { uid: number; gid: number }

/** A start-up problem with a message that says what to do: printed as one line, no stack trace. */
export class PostgresSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresSetupError';
    this.stack = `${this.name}: ${message}`; // jest's global setup prints the stack: keep it the one line
  }
}

const ROOT_HINT = 'or set DATABASE_URL to a PostgreSQL of your own';

function idsOf(name: string): ServerAccount | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** undefined: the server runs as this process's user. As root: the `postgres` user, created if missing. */
export function serverAccount(): ServerAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = idsOf('postgres');
  if (existing) return existing;
  try {
    execFileSync('groupadd', ['--force', '--system', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  } catch {
    // reported below
  }
  const created = idsOf('postgres');
  if (!created) throw new PostgresSetupError(`PostgreSQL does not run as root and the \`postgres\` OS user could not be created: create it (useradd --system postgres), ${ROOT_HINT}`);
  return created;
}

/** Whether the server's user can enter this directory (or run this file): the check runs as that user. */
export function canReach(path: string, account: ServerAccount | undefined): boolean {
  if (!account) return true;
  return spawnSync('test', ['-x', path], { uid: account.uid, gid: account.gid, stdio: 'ignore' }).status === 0;
}

function stageDir(...parts: string[]): string {
  const dir = join(STAGE_ROOT, ...parts);
  try {
    mkdirSync(dir, { recursive: true });
    // Readable by the server's user whatever root's umask (077 on hardened machines).
    for (let d = dir; d.startsWith('/var/lib/payflow'); d = dirname(d)) chmodSync(d, 0o755);
  } catch (err) {
    throw new PostgresSetupError(`cannot create ${dir} for the embedded PostgreSQL (${(err as NodeJS.ErrnoException).code}): move the clone to a directory every user can enter (e.g. /opt or /srv), ${ROOT_HINT}`);
  }
  return dir;
}

/** The directory with bin/, lib/ and share/ of the PostgreSQL binaries package for this platform. */
function packagedBinaries(): { dir: string; name: string; version: string } {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  // The platform package is an optional dependency of embedded-postgres: resolve it from there.
  const entry = require.resolve(name, { paths: [dirname(require.resolve('embedded-postgres'))] });
  const packageDir = resolve(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { dir: join(packageDir, 'native'), name, version };
}

/** The binaries directory the server's user can run: the package's own, or a staged copy. */
export function serverBinaries(account: ServerAccount | undefined): string {
  const packaged = packagedBinaries();
  if (canReach(join(packaged.dir, 'bin', 'postgres'), account)) return packaged.dir;
  const staged = join(STAGE_ROOT, `${basename(packaged.name)}-${packaged.version}`);
  if (!existsSync(join(staged, 'bin', 'postgres'))) {
    // Copied aside, then renamed: a complete copy appears at once, even with two starts racing.
    const partial = `${stageDir()}/.${basename(staged)}-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(packaged.dir, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    try {
      renameSync(partial, staged);
    } catch (err) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(staged, 'bin', 'postgres'))) throw err;
    }
  }
  if (!canReach(join(staged, 'bin', 'postgres'), account)) {
    throw new PostgresSetupError(`the \`postgres\` OS user cannot run the PostgreSQL binaries staged in ${staged}: make that directory readable by every user, ${ROOT_HINT}`);
  }
  return staged;
}

/**
 * The data directory the server uses for `requested`: itself when the server's user can reach its parent,
 * otherwise the directory its symlink points to, made under STAGE_ROOT/data on the first start.
 */
export function serverDataDir(requested: string, account: ServerAccount | undefined): { dataDir: string; staged: boolean } {
  if (!account) return { dataDir: requested, staged: false };
  if (isSymlink(requested)) {
    const target = resolve(dirname(requested), readlinkSync(requested));
    if (existsSync(target)) return { dataDir: target, staged: true };
    rmSync(requested); // its data was removed: start afresh
  }
  mkdirSync(dirname(requested), { recursive: true });
  if (canReach(dirname(requested), account)) return { dataDir: requested, staged: false };
  if (existsSync(requested) && readdirSync(requested).length > 0) {
    throw new PostgresSetupError(`the \`postgres\` OS user cannot reach the data directory ${requested}: move it (or the clone) to a directory every user can enter, remove it to start afresh, ${ROOT_HINT}`);
  }
  rmSync(requested, { recursive: true, force: true }); // left empty by an earlier failed start
  const dataDir = mkdtempSync(join(stageDir('data'), 'cluster-'));
  symlinkSync(dataDir, requested);
  return { dataDir, staged: true };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
