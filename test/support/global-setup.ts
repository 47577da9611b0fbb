/**
 * Starts, once per test run: embedded PostgreSQL with a migrated template database, a headless Temporal dev
 * server (in memory) with our search attributes, and the prebuilt workflow bundle. Free ports, temp dirs:
 * it never collides with a local stack running on the same machine.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../../db/connection';
import { migrateLatest } from '../../db/migrate';
import { startEmbeddedPostgres } from '../../scripts/postgres';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { startDevServer } from '../../scripts/temporal-server';
import { buildWorkflowBundle } from '../../worker/bundle';
import { TEMPLATE_DB, type SharedStack } from './shared-stack';
import { freePort } from '../../scripts/free-port';

/** The one picker of a free port (scripts/free-port.ts), for this file's importers. */
export { freePort };

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'payflow-test-'));
  chmodSync(dir, 0o755); // the embedded server runs as the `postgres` OS user
  const [cliPath, pgPort, temporalPort] = await Promise.all([ensureTemporalCli(), freePort(), freePort()]);

  const started = await Promise.allSettled([
    startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: pgPort, persistent: false }),
    startDevServer({ cliPath, port: temporalPort, logFile: join(dir, 'temporal.log') }),
    buildWorkflowBundle(join(dir, 'workflow-bundle.js')),
  ]);
  const [pgResult, temporalResult, bundleResult] = started;
  if (pgResult.status === 'rejected' || temporalResult.status === 'rejected' || bundleResult.status === 'rejected') {
    // Leave nothing running behind a failed start.
    if (pgResult.status === 'fulfilled') await pgResult.value.stop();
    if (temporalResult.status === 'fulfilled') await temporalResult.value.stop();
    throw started.map((r) => (r.status === 'rejected' ? (r.reason as Error) : undefined)).find(Boolean) as Error;
  }
  const [pg, temporal, bundlePath] = [pgResult.value, temporalResult.value, bundleResult.value];

  const admin = createDb(pg.adminUrl, 1);
  await admin.raw(`create database ${TEMPLATE_DB}`);
  await admin.destroy();
  const template = createDb(pg.urlFor(TEMPLATE_DB), 1);
  await migrateLatest(template);
  await template.destroy();

  const shared: SharedStack = {
    pgAdminUrl: pg.adminUrl,
    pgUrlPrefix: pg.adminUrl.replace(/\/postgres$/, '/'),
    temporalAddress: temporal.address,
    temporalCliPath: cliPath,
    workflowBundlePath: bundlePath,
    tmpDir: dir,
  };
  // Environment variables set here reach every test worker process.
  process.env.PAYFLOW_TEST_STACK = JSON.stringify(shared);
  // Every app the tests build (and every API process they start) checks its 2xx JSON answers against the schemas of
  // contracts/ and answers 500 on a mismatch (server/response-check.ts). PAYFLOW_CHECK_RESPONSES=0 turns it off.
  process.env.PAYFLOW_CHECK_RESPONSES ??= '1';
  (globalThis as Record<string, unknown>).__payflowStop = async () => {
    await Promise.allSettled([temporal.stop(), pg.stop()]);
  };
}
