/**
 * Finds or obtains the Temporal CLI (which contains the dev server and its Web UI), in this order, first hit wins:
 *   1. TEMPORAL_CLI_PATH, or `temporal` on PATH;
 *   2. the cached build (outside the clone, so fresh CI clones on the same machine reuse it);
 *   3. `go install github.com/temporalio/cli/cmd/temporal@<pinned>` into the cache (official source via the Go proxy).
 * Prints the path on stdout when run directly; progress goes to stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** v1.5.1 is the newest tag `go install` accepts (later tags carry a `replace` directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'payflow', 'temporal-cli', TEMPORAL_CLI_VERSION);
}

function onPath(cmd: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

function works(path: string): boolean {
  return spawnSync(path, ['--version'], { stdio: 'ignore' }).status === 0;
}

function goInstall(targetDir: string): Promise<void> {
  const go = onPath('go');
  if (!go) return Promise.reject(new Error('Go is not installed'));
  mkdirSync(targetDir, { recursive: true });
  const staging = join(targetDir, 'staging');
  process.stderr.write(
    `[temporal-cli] Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from source with Go (first run only).\n` +
      '[temporal-cli] This downloads ~150 Go modules and compiles them: expect 3-10 minutes on 2 cores.\n',
  );
  const started = Date.now();
  let modules = 0;
  return new Promise((resolve, reject) => {
    const child = spawn(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      modules += (text.match(/go: downloading/g) ?? []).length;
      tail = (tail + text).slice(-2000);
    });
    const timer = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      const phase = modules > 0 ? `${modules} modules downloaded, compiling` : 'resolving modules';
      process.stderr.write(`[temporal-cli] still building: ${phase} (${secs}s elapsed)\n`);
    }, 15_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`go install exited with ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
      renameSync(join(staging, 'temporal'), join(targetDir, 'temporal'));
      process.stderr.write(`[temporal-cli] built in ${Math.round((Date.now() - started) / 1000)}s\n`);
      resolve();
    });
  });
}

/** Returns the path of a working Temporal CLI, obtaining it if needed. Throws with every route's reason. */
export async function ensureTemporalCli(): Promise<string> {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (works(explicit)) return explicit;
    throw new Error(`TEMPORAL_CLI_PATH=${explicit} does not run (\`${explicit} --version\` failed)`);
  }
  const reasons: string[] = [];
  const fromPath = onPath('temporal');
  if (fromPath && works(fromPath)) return fromPath;
  reasons.push('no `temporal` on PATH');

  const cached = join(cacheDir(), 'temporal');
  if (existsSync(cached) && works(cached)) return cached;
  reasons.push(`no cached build at ${cached}`);

  try {
    await goInstall(cacheDir());
    if (works(cached)) return cached;
    reasons.push('go install finished but the binary does not run');
  } catch (err) {
    reasons.push(`go install failed: ${(err as Error).message}`);
  }
  throw new Error(
    `Could not obtain the Temporal CLI ${TEMPORAL_CLI_VERSION}:\n  - ${reasons.join('\n  - ')}\n` +
      'Install it yourself (https://docs.temporal.io/cli) and set TEMPORAL_CLI_PATH to the binary.',
  );
}

if (require.main === module) {
  ensureTemporalCli().then(
    (path) => process.stdout.write(`${path}\n`),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
