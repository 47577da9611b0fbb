/**
 * `npm run stack`: the whole local stack with demo data, in one terminal. Ctrl-C stops everything it started.
 *   PostgreSQL (DATABASE_URL, or embedded under data/postgres) → migrations → Temporal dev server (SQLite under
 *   data/, UI on :8233, search attributes registered) → workflow bundle → worker + API → demo data → a first
 *   workflow run → URLs.
 * Child process logs go to data/logs/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadOrExit, stackEnvSchema } from '../lib/config';
import { createDb } from '../db/connection';
import { migrateLatest } from '../db/migrate';
import { buildWorkflowBundle } from '../worker/bundle';
import { DEMO_CLEARINGHOUSE, DEMO_IDP, DEMO_STAFF, demoIdpConfig, loadDemoData, setDemoIdentityProvider } from './demo-data';
import { setUpDemoStatements, usDate } from './demo-statements';
import { loadDemoWorkQueue } from './demo-work-queue';
import { formatCents } from '../domain/money';
import { startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { cacheDir, ensureTemporalCli } from './temporal-cli';
import { startTemporalCluster, temporalServerBinaries } from './temporal-cluster';
import { startDevServer, type RunningDevServer } from './temporal-server';
import { startLocalSmtp } from '../mail/local-smtp';

const config = loadOrExit(stackEnvSchema);
const dataDir = resolve(config.PAYFLOW_DATA_DIR);
const logDir = join(dataDir, 'logs');
const started = Date.now();
const cleanups: (() => Promise<void>)[] = [];
/**
 * `--cluster`: the production topology (issue 19, docs/operations.md): the Temporal server binary on this PostgreSQL
 * (databases temporal and temporal_visibility) instead of the dev server, and two workers and two API processes.
 */
const CLUSTER = process.argv.includes('--cluster');
let stepNo = 0;
const STEPS = 9;

function step(text: string): () => void {
  const n = ++stepNo;
  const t0 = Date.now();
  console.log(`[${n}/${STEPS}] ${text}…`);
  return () => console.log(`      done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

function startService(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  // Own process group: Ctrl-C reaches only this script, which stops the services in order.
  // `node --import tsx` (or plain `node` for the production build's .js): one process per service, so signals reach it directly.
  const child = spawn(process.execPath, script.endsWith('.js') ? [script] : ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      console.error(`\n${name} exited unexpectedly (code ${code}, signal ${signal}); see ${join(logDir, `${name}.log`)}`);
      void shutdown(1);
    }
  });
  cleanups.unshift(
    () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  );
  return child;
}

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000}s; see ${logDir}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

let shuttingDown = false;
let stopped: Promise<never> | undefined;
/** Stops everything in order, once: a second Ctrl-C (or `timeout`, which signals the process and its group) waits
 *  for the same cleanup rather than exiting halfway and leaving services running. Every step is bounded. */
function shutdown(code: number): Promise<never> {
  if (stopped) {
    console.log('Still stopping (the worker may take up to SHUTDOWN_GRACE_SECONDS + 10 s)…');
    return stopped;
  }
  shuttingDown = true;
  stopped = (async () => {
    console.log('\nStopping the local stack…');
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    console.log('Stopped.');
    process.exit(code);
  })();
  return stopped;
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main() {
  mkdirSync(logDir, { recursive: true });
  if (!existsSync(join(cacheDir(), 'temporal')) && !process.env.TEMPORAL_CLI_PATH) {
    console.log('First run on this machine: building the Temporal CLI from source can take 3-10 minutes; later runs start in seconds.\n');
  }

  let done = step('Temporal CLI');
  const cliPath = await ensureTemporalCli();
  done();

  done = step(config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `PostgreSQL (embedded, data in ${join(dataDir, 'postgres')})`);
  let databaseUrl = config.DATABASE_URL;
  /** Who may create databases (the cluster's Temporal keeps its own two): the embedded server's admin, or DATABASE_URL's user. */
  let adminUrl = databaseUrl;
  if (!databaseUrl) {
    const pg: RunningPostgres = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port: config.EMBEDDED_PG_PORT, persistent: true });
    cleanups.unshift(() => pg.stop());
    // As root with the clone where the server's `postgres` OS user cannot go (e.g. /root): scripts/postgres-access.ts.
    if (pg.dataDir !== join(dataDir, 'postgres')) console.log(`      the postgres OS user cannot reach ${dataDir}: its data is in ${pg.dataDir} (${join(dataDir, 'postgres')} links to it)`);
    adminUrl = pg.adminUrl;
    const admin = createDb(pg.adminUrl, 1);
    const exists = await admin('pg_database').where({ datname: 'payflow' }).first<{ datname: string } | undefined>('datname');
    if (!exists) await admin.raw('create database payflow');
    await admin.destroy();
    databaseUrl = pg.urlFor('payflow');
  }
  const db = createDb(databaseUrl, 2);
  cleanups.push(() => db.destroy());
  done();

  done = step('Database migrations');
  const applied = await migrateLatest(db);
  console.log(`      ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`);
  done();

  const temporalPort = Number(config.TEMPORAL_ADDRESS.split(':')[1]);
  let temporal: Pick<RunningDevServer, 'address' | 'stop'>;
  if (CLUSTER) {
    done = step(`Temporal server (the binary, not the dev server) on PostgreSQL (gRPC :${temporalPort}; databases temporal and temporal_visibility)`);
    const admin = new URL(adminUrl!);
    temporal = await startTemporalCluster({
      binaries: await temporalServerBinaries(), cliPath, frontendPort: temporalPort, dir: join(dataDir, 'temporal-cluster'), logFile: join(logDir, 'temporal.log'),
      postgres: { host: admin.hostname, port: Number(admin.port), user: decodeURIComponent(admin.username), password: decodeURIComponent(admin.password) },
    });
  } else {
    done = step(`Temporal dev server (gRPC :${temporalPort}, UI :${config.TEMPORAL_UI_PORT}, history in ${join(dataDir, 'temporal.db')})`);
    temporal = await startDevServer({
      cliPath,
      port: temporalPort,
      uiPort: config.TEMPORAL_UI_PORT,
      dbFile: join(dataDir, 'temporal.db'),
      logFile: join(logDir, 'temporal.log'),
      // The UI decodes payloads through the API's codec endpoint (engineers only: docs/operations.md).
      extraArgs: ['--ui-codec-endpoint', `http://localhost:${config.PORT}/codec`],
    });
  }
  cleanups.unshift(() => temporal.stop());
  done();

  let bundlePath: string;
  if (CLUSTER) {
    // The production topology runs the production build: the API and the workers as `node dist/…` (scripts/build.ts).
    done = step('Production build (tsc to dist/, the workflow bundle)');
    execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'build.ts')], { stdio: 'ignore' });
    bundlePath = join(__dirname, '..', 'dist', 'workflow-bundle.js');
  } else {
    done = step('Workflow bundle');
    bundlePath = await buildWorkflowBundle(join(dataDir, 'workflow-bundle.js'));
  }
  done();
  const entry = (name: 'worker' | 'server') => (CLUSTER ? join(__dirname, '..', 'dist', name, 'main.js') : `${name}/main.ts`);

  done = step('Worker, API, the EHR stand-in, the local OpenID provider and the local SMTP server');
  const apiUrl = `http://localhost:${config.PORT}`;
  // Patients' email goes to a real SMTP server in this process, read in its web inbox (mail/local-smtp.ts), unless
  // SMTP_URL names another one.
  // It also reports mail to …@bounce.invalid as bounced to the API's POST /webhooks/email (the dev secret), as a provider does.
  const localMail = process.env.SMTP_URL ? undefined : await startLocalSmtp({
    smtpPort: config.SMTP_PORT, inboxPort: config.MAIL_INBOX_PORT,
    events: { url: `${apiUrl}/webhooks/email`, secret: process.env.EMAIL_WEBHOOK_SECRETS?.split(',')[0]?.trim() || 'dev-email-webhook-secret' },
  });
  if (localMail) cleanups.unshift(() => localMail.close());
  const inboxUrl = localMail ? `http://localhost:${config.MAIL_INBOX_PORT}/` : undefined;
  const standinUrl = `http://localhost:${config.EHR_STANDIN_PORT}`;
  const serviceEnv = {
    DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporal.address, WORKFLOW_BUNDLE_PATH: bundlePath, PORT: String(config.PORT), EHR_BASE_URL: standinUrl,
    TEMPORAL_UI_ORIGIN: process.env.TEMPORAL_UI_ORIGIN ?? `http://localhost:${config.TEMPORAL_UI_PORT}`,
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? apiUrl,
    SMTP_URL: process.env.SMTP_URL ?? `smtp://127.0.0.1:${config.SMTP_PORT}`,
    // Text messages go to the stand-in's SMS provider (ehr/standin/sms.ts; both sides' tokens and secrets are the dev defaults).
    SMS_PROVIDER_URL: process.env.SMS_PROVIDER_URL ?? `${standinUrl}/sms/api`,
    // Letters go to the stand-in's print-and-mail service (ehr/standin/print-mail.ts; its token is the dev default).
    PRINT_MAIL_URL: process.env.PRINT_MAIL_URL ?? `${standinUrl}/print-mail`,
    PROCESSOR_STANDIN_URL: process.env.PROCESSOR_STANDIN_URL ?? `${standinUrl}/processor`,
  };
  startService('worker', entry('worker'), serviceEnv);
  startService('api', entry('server'), serviceEnv);
  // The cluster topology runs two of each: a second API on the next port, a second worker on the same task queue.
  const secondApiUrl = `http://localhost:${config.PORT + 1}`;
  if (CLUSTER) {
    // Their metrics ports beside the first ones' (9463 and 9466 by default).
    startService('worker-2', entry('worker'), { ...serviceEnv, WORKER_METRICS_PORT: String(Number(process.env.WORKER_METRICS_PORT ?? 9464) - 1) });
    startService('api-2', entry('server'), { ...serviceEnv, PORT: String(config.PORT + 1), API_METRICS_PORT: String(Number(process.env.API_METRICS_PORT ?? 9465) + 1) });
  }
  // Its remittances are 835 files POSTed to the API with the clearinghouse's token (seeded with the demo data below).
  startService('ehr-standin', 'ehr/standin/main.ts', {
    EHR_STANDIN_PORT: String(config.EHR_STANDIN_PORT), EHR_STANDIN_PUBLIC_URL: standinUrl, PAYFLOW_WEBHOOK_BASE_URL: apiUrl,
    EHR_STANDIN_REMITTANCE_FORMAT: '835', PAYFLOW_API_URL: apiUrl, PAYFLOW_API_TOKEN: DEMO_CLEARINGHOUSE.token,
  });
  // The staff's identity provider (idp/): the demo practice's client, its callback on the public address.
  const idpUrl = `http://localhost:${config.IDP_PORT}`;
  startService('idp', 'idp/main.ts', {
    IDP_PORT: String(config.IDP_PORT), IDP_HOST: '127.0.0.1', IDP_ISSUER_HOST: 'localhost',
    IDP_CONFIG: JSON.stringify(demoIdpConfig(`${serviceEnv.PUBLIC_BASE_URL.replace(/\/+$/, '')}/staff/oidc/callback`)),
  });
  await waitForReady(`${apiUrl}/readyz`, 60_000);
  if (CLUSTER) await waitForReady(`${secondApiUrl}/readyz`, 60_000);
  await waitForReady(`${standinUrl}/healthz`, 30_000);
  await waitForReady(`${idpUrl}/.well-known/openid-configuration`, 30_000);
  done();

  done = step('Demo data (pushed by the EHR stand-in as signed webhooks)');
  const counts = await loadDemoData(db, standinUrl);
  await setDemoIdentityProvider(db, idpUrl, process.env.IDP_SECRET_KEY);
  console.log(`      1 practice (America/Los_Angeles), ${counts.patients} patients, ${counts.visits} visits, ${counts.claims} claims, ${DEMO_STAFF.length} staff users`);
  const demo = await setUpDemoStatements({
    apiUrl, temporalAddress: temporal.address, taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'payflow',
    publicBaseUrl: process.env.PUBLIC_BASE_URL ?? apiUrl, captureWindowMs: 24 * 3_600_000,
  });
  console.log(`      ${demo.statements.length} demo statements this cycle; statement schedule ${demo.schedule}`);
  done();

  done = step('Demo work queue (copays the rules flagged for staff)');
  const queue = await loadDemoWorkQueue(db, { api: apiUrl, standin: standinUrl });
  console.log(`      date_mismatch task ${queue.dateMismatch.taskId || '(resolved)'} (run ${queue.dateMismatch.workflowId}), credit_remaining task ${queue.credit.taskId || '(resolved)'}`);
  done();

  done = step('A first workflow run (wiring check)');
  const admin = DEMO_STAFF.find((s) => s.role === 'admin')!;
  const res = await fetch(`${apiUrl}/v1/diagnostics/wiring-checks`, { method: 'POST', headers: { Authorization: `Bearer ${admin.token}` } });
  if (!res.ok) throw new Error(`wiring check failed with HTTP ${res.status}`);
  const { workflowId } = (await res.json()) as { workflowId: string };
  done();

  const uiUrl = `http://localhost:${config.TEMPORAL_UI_PORT}`;
  console.log(`
The local stack is up (${((Date.now() - started) / 1000).toFixed(0)}s).
  API            ${apiUrl}   (health: ${apiUrl}/readyz, description: ${apiUrl}/openapi.json)
${CLUSTER ? `  API (second)   ${secondApiUrl}   (the cluster topology: two APIs, two workers)
  Temporal       ${temporal.address}: the server on PostgreSQL, no Web UI in this mode (the UI comes with the dev server);
                 temporal workflow list --address ${temporal.address}    temporal workflow show -w ${workflowId} --address ${temporal.address}` : `  Temporal UI    ${uiUrl}/namespaces/default/workflows
  First run      ${uiUrl}/namespaces/default/workflows/${workflowId}`}
  EHR stand-in   ${standinUrl}   (payment pages, captures, remittances as 835 files with ${DEMO_CLEARINGHOUSE.token})
  Email inbox    ${inboxUrl ? `${inboxUrl}   (every email sent: statements with their PDF and pay link; SMTP on :${config.SMTP_PORT})` : 'SMTP_URL is set: email goes to that server'}
  Card processor ${process.env.PROCESSOR === 'stripe' ? 'PROCESSOR=stripe: cards are saved and charged with Stripe' : `${standinUrl}/processor   (saved cards and charges; card-on-file: docs/card-on-file-and-plans.md)`}
  Letters        ${process.env.PRINT_MAIL_URL ? 'PRINT_MAIL_URL is set: letters go to that service' : `${standinUrl}/print-mail   (every letter handed to print-and-mail, with its PDF and address)`}
  Text inbox     ${process.env.SMS_PROVIDER_URL ? 'SMS_PROVIDER_URL is set: texts go to that provider' : `${standinUrl}/sms/inbox   (every text sent, 08:00-21:00 practice time; reply STOP: POST ${standinUrl}/sms/api/inbound)`}
  Staff tokens   ${DEMO_STAFF.map((s) => `${s.role}: ${s.token}`).join('   ')}
  Staff pages    ${apiUrl}/staff   (the work queue: docs/work-queue.md)
  Staff sign-in  "Sign in with your practice's identity provider" → the local OpenID provider ${idpUrl}
                 ${DEMO_STAFF.map((s) => `${s.email} (${s.role})`).join(', ')}, password ${DEMO_IDP.password}
                 (or paste demo-billing-token in the token form)
  Team & tokens  ${apiUrl}/staff/team (as admin: invite, roles, deactivate); API tokens: POST ${apiUrl}/v1/api-tokens
  Onboarding     POST ${apiUrl}/platform/practices with the operator token ${process.env.PLATFORM_OPERATOR_TOKENS ? '(PLATFORM_OPERATOR_TOKENS)' : 'dev-platform-operator-token'} (docs/operations.md)
  Patient portal ${apiUrl}/portal   (docs/statements-and-portal.md)
${demo.statements.map((d) => `                 ${d.firstName}: account ID ${d.accountId}, date of birth ${usDate(d.dateOfBirth)}, ${d.status === 'open' ? `${formatCents(d.dueCents)} due` : d.status}`).join('\n') || '                 (no demo statement this cycle)'}
  Decoded payloads in the UI: sign in at ${apiUrl}/codec/session with the engineer token ${process.env.CODEC_ENGINEER_TOKENS ? '(CODEC_ENGINEER_TOKENS)' : 'dev-engineer-codec-token'},
                 then tick "Include cross-origin credentials" in the UI's codec settings (docs/operations.md)
  Metrics        http://localhost:${process.env.API_METRICS_PORT ?? '9465'}/metrics   worker http://localhost:${process.env.WORKER_METRICS_PORT ?? '9464'}/metrics   (this machine only)
  Logs           ${logDir}
Walk-through of a copay collection: docs/copay-walkthrough.md
Press Ctrl-C to stop everything.`);
}

main().catch(async (err: Error) => {
  console.error(`\nThe local stack did not start: ${err.message}`);
  await shutdown(1);
});
