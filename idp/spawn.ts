/**
 * Starting the local OpenID provider (idp/main.ts) as a child process: `node --import tsx`, one process (signals reach
 * it directly), its output to a log file or kept for failure messages. Used by ./scripts/stack.sh (scripts/stack.ts)
 * and the tests (test/support/idp.ts). Resolves once it prints its issuer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { IdpConfig } from './provider';

export interface SpawnedIdp { issuer: string; child: ChildProcess; output(): string; stop(): Promise<void> }

export function spawnIdp(o: { port: number; host?: string; issuerHost?: string; config: IdpConfig; log?: NodeJS.WritableStream; timeoutMs?: number; detached?: boolean }): Promise<SpawnedIdp> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'main.ts')], {
    cwd: join(__dirname, '..'),
    env: {
      ...process.env, IDP_PORT: String(o.port), IDP_HOST: o.host ?? '127.0.0.1', IDP_ISSUER_HOST: o.issuerHost ?? o.host ?? '127.0.0.1',
      IDP_CONFIG: JSON.stringify(o.config),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: o.detached ?? false,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (o.log) {
    child.stdout.pipe(o.log);
    child.stderr.pipe(o.log);
  }
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the local identity provider did not start within ${(o.timeoutMs ?? 30_000) / 1000}s: ${output.slice(-2000)}`));
    }, o.timeoutMs ?? 30_000);
    const onData = () => {
      const m = /idp listening (\S+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({ issuer: m[1]!, child, output: () => output, stop });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local identity provider exited (code ${code}): ${output.slice(-2000)}`));
    });
  });
}
