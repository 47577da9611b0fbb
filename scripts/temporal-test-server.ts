/**
 * Finds or installs Temporal's time-skipping test server (the Java one the SDKs' TestWorkflowEnvironment runs), for
 * the time-skipping tier of workflow tests (test/timeskip). The SDK would download it from GitHub at run time, which
 * this machine cannot reach; Temporal also publishes it to Maven Central (`io.temporal:temporal-test-server`), so:
 * first hit wins:
 *   1. TEMPORAL_TEST_SERVER_PATH: an executable of your own (this script's wrapper, or the native
 *      `temporal-test-server` binary of a Java SDK release);
 *   2. the cached install (outside the clone, so fresh CI clones on the same machine reuse it);
 *   3. Maven (`mvn dependency:copy-dependencies` of the pinned artifact, with its jars) into the cache, plus a small
 *      wrapper script that runs `java -cp <jars> io.temporal.testserver.TestServer <port> [flags]`, and a class data
 *      sharing archive of its start-up classes (the SDK gives the server only 5 s to listen).
 * The SDK starts the executable as `<path> <port>` (it picks the free port), which is what the wrapper passes on.
 * Prints the path on stdout when run directly; progress goes to stderr; one line saying why when it cannot install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Java SDK release whose test server we run (Maven Central; runs on this machine's Java 17, and on 25). */
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';
export const TEMPORAL_TEST_SERVER_ARTIFACT = `io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION}`;
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const EXECUTABLE = 'temporal-test-server';
const log = (line: string) => process.stderr.write(`[temporal-test-server] ${line}\n`);

export function testServerCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'payflow', 'temporal-test-server', TEMPORAL_TEST_SERVER_VERSION);
}

function onPath(cmd: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

/** Run without arguments, the test server prints its usage (`Usage: <command> <port> <flags>`) and exits 0. */
function works(path: string): boolean {
  const run = spawnSync(path, [], { encoding: 'utf8', timeout: 60_000 });
  return run.status === 0 && /Usage/.test(`${run.stderr ?? ''}${run.stdout ?? ''}`);
}

function javaCommand(): string | undefined {
  const fromHome = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  if (fromHome && existsSync(fromHome)) return fromHome;
  return onPath('java');
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <!-- Written by payflow's scripts/temporal-test-server.ts: resolves Temporal's test server and its jars. -->
  <modelVersion>4.0.0</modelVersion>
  <groupId>payflow.local</groupId>
  <artifactId>temporal-test-server-install</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEMPORAL_TEST_SERVER_VERSION}</version>
    </dependency>
    <!-- The server logs through SLF4J 1.7 and names no backend: without one it prints a warning at every start. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
`;

/** The JVM flags the wrapper uses unless TEMPORAL_TEST_SERVER_JAVA_OPTS says otherwise: fast start, small heap (tiny histories). */
const DEFAULT_JAVA_OPTS = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms64m -Xmx512m';
/** Class data sharing archive of the server's start-up classes, written at install (see writeStartupArchive). */
const CDS_ARCHIVE = 'test-server.jsa';

/**
 * The executable the SDK starts: Java (JAVA_HOME wins over `java` on PATH) with the jars beside it, and the start-up
 * archive when there is one (a JVM that cannot use it, e.g. another Java version, starts without it, silently).
 */
const WRAPPER = `#!/bin/sh
# Temporal's time-skipping test server ${TEMPORAL_TEST_SERVER_ARTIFACT} (Maven Central), installed by payflow's
# scripts/temporal-test-server.ts. Usage: ${EXECUTABLE} <port> [--enable-time-skipping]; the Temporal SDK's
# TestWorkflowEnvironment.createTimeSkipping passes the port and unlocks time skipping itself.
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
if [ -n "\${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; else java=java; fi
opts=\${TEMPORAL_TEST_SERVER_JAVA_OPTS:-${DEFAULT_JAVA_OPTS}}
# The SDK gives the server 5 s to listen; with this archive the JVM starts in about 1 s instead of 2-4 s.
if [ -f "$dir/${CDS_ARCHIVE}" ]; then opts="$opts -XX:SharedArchiveFile=$dir/${CDS_ARCHIVE} -Xlog:cds=off -Xlog:cds+dynamic=off"; fi
exec "$java" $opts -cp "$dir/lib/*" ${MAIN_CLASS} "$@"
`;

/** Waits until something listens on 127.0.0.1:port (true), or the deadline passes (false). */
async function listening(port: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the installed server once with -XX:ArchiveClassesAtExit, until it listens, then stops it: the JVM writes the
 * classes it loaded into a dynamic CDS archive, which later starts map instead of loading ~40 jars again. Best effort:
 * without it the server still works, only starts slower. Written in place (CDS checks the class path it was made with).
 */
async function writeStartupArchive(dir: string): Promise<void> {
  const tmp = join(dir, `${CDS_ARCHIVE}.tmp-${process.pid}`);
  const port = await freePort();
  const child = spawn(join(dir, EXECUTABLE), [String(port)], {
    stdio: 'ignore',
    env: { ...process.env, TEMPORAL_TEST_SERVER_JAVA_OPTS: `${DEFAULT_JAVA_OPTS} -XX:ArchiveClassesAtExit=${tmp} -Xlog:cds=off -Xlog:cds+dynamic=off` },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    if (!(await listening(port, Date.now() + 60_000))) throw new Error('the server did not listen within 60 s');
  } finally {
    child.kill('SIGTERM'); // a normal JVM exit: the archive is written then
    await exited;
  }
  if (!existsSync(tmp)) throw new Error('the JVM wrote no archive');
  renameSync(tmp, join(dir, CDS_ARCHIVE));
}

function mavenInstall(targetDir: string): Promise<void> {
  const mvn = onPath('mvn');
  if (!mvn) return Promise.reject(new Error('Maven (`mvn`) is not installed'));
  if (!javaCommand()) return Promise.reject(new Error('Java is not installed (no JAVA_HOME/bin/java, no `java` on PATH)'));
  // A staging folder per process, renamed into place at the end: a concurrent or interrupted install never leaves
  // a half-filled cache behind.
  const staging = `${targetDir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'lib'), { recursive: true });
  writeFileSync(join(staging, 'pom.xml'), POM);
  log(`Installing Temporal's test server ${TEMPORAL_TEST_SERVER_VERSION} from Maven Central (first run only): ~40 jars, ~38 MB.`);
  log('Maven resolves them into ~/.m2 and copies them into the cache: expect 10-60 seconds.');
  const started = Date.now();
  let downloaded = 0;
  return new Promise<void>((resolve, reject) => {
    const child = spawn(mvn, ['-B', '-f', join(staging, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(staging, 'lib')}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      downloaded += (text.match(/Downloaded from/g) ?? []).length;
      tail = (tail + text).slice(-4000);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setInterval(() => {
      log(`still resolving: ${downloaded} files downloaded (${Math.round((Date.now() - started) / 1000)}s elapsed)`);
    }, 10_000);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) {
        rmSync(staging, { recursive: true, force: true });
        const errors = tail.split('\n').filter((l) => l.includes('[ERROR]')).slice(0, 2).join(' | ');
        return reject(new Error(`mvn exited with ${code}: ${errors || tail.trim().split('\n').slice(-2).join(' | ')}`));
      }
      const jars = readdirSync(join(staging, 'lib')).filter((f) => f.endsWith('.jar'));
      if (!jars.includes(`temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}.jar`)) {
        rmSync(staging, { recursive: true, force: true });
        return reject(new Error('mvn finished but the test server jar is not among the copied jars'));
      }
      writeFileSync(join(staging, EXECUTABLE), WRAPPER);
      chmodSync(join(staging, EXECUTABLE), 0o755);
      try {
        renameSync(staging, targetDir);
      } catch (err) {
        // Another process installed it first: keep theirs.
        rmSync(staging, { recursive: true, force: true });
        if (!existsSync(join(targetDir, EXECUTABLE))) return reject(err instanceof Error ? err : new Error(String(err)));
      }
      log(`installed ${jars.length} jars in ${Math.round((Date.now() - started) / 1000)}s (${downloaded} files downloaded) into ${targetDir}`);
      resolve();
    });
  }).then(async () => {
    const archiving = Date.now();
    try {
      await writeStartupArchive(targetDir);
      log(`wrote the start-up archive (class data sharing) in ${Math.round((Date.now() - archiving) / 1000)}s`);
    } catch (err) {
      log(`no start-up archive (${(err as Error).message}): the server starts without it, more slowly`);
    }
  });
}

/** Returns the path of a working test server executable, installing it if needed. Throws with every route's reason. */
export async function ensureTemporalTestServer(): Promise<string> {
  const explicit = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (explicit) {
    if (works(explicit)) return explicit;
    throw new Error(`TEMPORAL_TEST_SERVER_PATH=${explicit} does not run as Temporal's test server (run without arguments, it should print its usage)`);
  }
  const reasons: string[] = [];
  const cached = join(testServerCacheDir(), EXECUTABLE);
  if (existsSync(cached)) {
    if (works(cached)) return cached;
    reasons.push(`the cached install at ${cached} does not run (is Java installed?)`);
    if (javaCommand()) rmSync(testServerCacheDir(), { recursive: true, force: true }); // broken: install again below
  } else {
    reasons.push(`no cached install at ${cached}`);
  }
  if (!existsSync(cached)) {
    try {
      await mavenInstall(testServerCacheDir());
      if (works(cached)) return cached;
      reasons.push('the Maven install finished but the test server does not run');
    } catch (err) {
      reasons.push(`the Maven install failed: ${(err as Error).message}`);
    }
  }
  throw new Error(
    `Could not install Temporal's test server ${TEMPORAL_TEST_SERVER_VERSION} (${TEMPORAL_TEST_SERVER_ARTIFACT}): ${reasons.join('; ')}. ` +
      'Install Java and Maven, or set TEMPORAL_TEST_SERVER_PATH to a test server executable; the time-skipping tests (test/timeskip) need it.',
  );
}

if (require.main === module) {
  ensureTemporalTestServer().then(
    (path) => process.stdout.write(`${path}\n`),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
