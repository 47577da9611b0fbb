/** The API process finishes in-flight requests on SIGTERM before it exits. Runs the real entry point. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/global-setup';
import { sharedStack } from '../support/shared-stack';
import { useTestStack } from '../support/harness';
import { seedScenario } from '../support/fixtures';

const ROOT = join(__dirname, '../..');

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Waits for the process to answer (a tsx start on a loaded machine can take well over 10 s: a readiness wait, not a speed check). */
async function waitForHealthy(url: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

describe('API graceful shutdown', () => {
  // No worker yet: the request below stays in flight until we start one.
  const stack = useTestStack({ worker: false });

  it('finishes an in-flight request after SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const api = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/main.ts')], {
      cwd: ROOT, // one process (a tsx CLI wrapper would die on SIGKILL and leave its child running)
      env: {
        ...process.env, PORT: String(port), DATABASE_URL: stack.dbUrl, TEMPORAL_ADDRESS: sharedStack().temporalAddress,
        TEMPORAL_TASK_QUEUE: stack.taskQueue, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_SECONDS: '20',
        // The request waits for a worker this test starts later: longer than the 4 s an outage answer takes.
        TEMPORAL_REQUEST_TIMEOUT: '30s',
      },
      stdio: 'ignore',
    });
    const exited = exitOf(api);
    try {
      await waitForHealthy(`http://127.0.0.1:${port}/healthz`);
    } catch (err) {
      api.kill('SIGKILL'); // never left running after a failed start
      throw err;
    }

    const { auth } = await seedScenario(stack.db);
    const inFlight = fetch(`http://127.0.0.1:${port}/v1/diagnostics/wiring-checks`, { method: 'POST', headers: auth('admin') });
    // The request is now waiting on the workflow, which waits for a worker.
    await new Promise((r) => setTimeout(r, 300));
    api.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(api.exitCode).toBeNull(); // still draining

    await stack.startWorker();
    const res = await inFlight;
    expect(res.status).toBe(201);
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
