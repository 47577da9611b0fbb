/**
 * Runs the EHR / processor / clearinghouse stand-in for local development: `npx tsx ehr/standin/main.ts`.
 * It holds the demo practice's records (scripts/demo-data.ts) so its payment pages show names and the
 * practice's time zone, and it posts signed webhooks to PAYFLOW_WEBHOOK_BASE_URL/webhooks/{ehr,clearinghouse}, and its
 * remittances as 835 files to PAYFLOW_API_URL/v1/remittances (EHR_STANDIN_REMITTANCE_FORMAT=json: the claim.upserted webhook).
 */
import { loadOrExit } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { demoPatients, demoPractice, demoVisits } from '../../scripts/demo-data';
import { WEBHOOK_PATHS } from '../events';
import { startStandin } from './app';
import { standinEnvSchema } from './config';

async function main() {
  const env = loadOrExit(standinEnvSchema);
  const log = createLogger(env.LOG_LEVEL, 'ehr-standin');
  const base = env.PAYFLOW_WEBHOOK_BASE_URL.replace(/\/+$/, '');
  const standin = await startStandin({
    port: env.EHR_STANDIN_PORT,
    host: env.EHR_STANDIN_HOST,
    publicBaseUrl: env.EHR_STANDIN_PUBLIC_URL,
    webhooks: { ehrUrl: `${base}${WEBHOOK_PATHS.ehr}`, clearinghouseUrl: `${base}${WEBHOOK_PATHS.clearinghouse}` },
    secrets: { ehr: env.EHR_WEBHOOK_SECRET, clearinghouse: env.CLEARINGHOUSE_WEBHOOK_SECRET },
    paymentLinkSecret: env.PAYMENT_LINK_SECRET,
    sms: { token: env.SMS_PROVIDER_TOKEN, webhookSecret: env.SMS_WEBHOOK_SECRET, inboundUrl: `${base}/webhooks/sms` },
    printMailToken: env.PRINT_MAIL_TOKEN,
    processorToken: env.PROCESSOR_STANDIN_TOKEN,
    payflow835: { apiUrl: env.PAYFLOW_API_URL ?? base, token: env.PAYFLOW_API_TOKEN },
    remittanceFormat: env.EHR_STANDIN_REMITTANCE_FORMAT,
    seed: { practices: [demoPractice(env.EHR_STANDIN_PUBLIC_URL)], patients: demoPatients, visits: demoVisits },
    log,
  });
  log.info({ url: standin.url, publicUrl: env.EHR_STANDIN_PUBLIC_URL, webhooks: base, remittanceFormat: env.EHR_STANDIN_REMITTANCE_FORMAT, smsInbox: `${env.EHR_STANDIN_PUBLIC_URL.replace(/\/+$/, '')}/sms/inbox` }, 'ehr stand-in listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'ehr stand-in stopping');
    void standin.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`ehr stand-in failed to start: ${err.message}\n`);
  process.exit(1);
});
