/**
 * The local stack's and the test harness's embedded PostgreSQL (scripts/postgres.ts): stop() also returns when the
 * server has already exited, as it does when a terminal's Ctrl-C reaches the whole process group. Real server, in a
 * child process (the library is an ES module, which jest's module system cannot load).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/global-setup';

const ROOT = join(__dirname, '../..');

/** Starts the server, queries it, stops it with SIGINT from outside, then calls stop(); prints what it saw. */
const SCENARIO = `
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { startEmbeddedPostgres } = require('./scripts/postgres');
const { createDb } = require('./db/connection');
(async () => {
  const [dataDir, port] = process.argv.slice(1);
  const pg = await startEmbeddedPostgres({ dataDir, port: Number(port), persistent: false });
  const db = createDb(pg.adminUrl, 1);
  const { rows } = await db.raw('select 1 + 1 as two');
  await db.destroy();
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\\n')[0]);
  process.kill(pid, 'SIGINT'); // what a terminal's Ctrl-C does to the server: a fast shutdown
  for (;;) { try { process.kill(pid, 0); } catch { break; } await new Promise((r) => setTimeout(r, 50)); }
  const stopped = await Promise.race([pg.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 10000))]);
  console.log(JSON.stringify({ two: rows[0].two, stopped }));
  process.exit(0);
})();
`;

describe('embedded PostgreSQL', () => {
  it('stop() returns, and removes a throwaway data directory, when the server was already stopped by a signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payflow-pg-'));
    chmodSync(dir, 0o755); // the embedded server runs as the \`postgres\` OS user
    const dataDir = join(dir, 'data');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', SCENARIO, dataDir, String(await freePort())], { cwd: ROOT });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ two: 2, stopped: 'stopped' });
    expect(existsSync(dataDir)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
