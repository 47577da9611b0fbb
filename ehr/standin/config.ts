/** Configuration of the EHR stand-in process (documented in README.md; a test keeps the two in step). */
import { z } from 'zod';

const port = z.coerce
  .number({ error: 'must be a port number (1-65535)' })
  .int({ error: 'must be a port number (1-65535)' })
  .min(1, { error: 'must be a port number (1-65535)' })
  .max(65_535, { error: 'must be a port number (1-65535)' });
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const secret = z.string().min(8, { error: 'must be at least 8 characters' });

export const standinEnvSchema = z.object({
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' })
    .default('info'),
  EHR_STANDIN_PORT: port.default(3100),
  EHR_STANDIN_HOST: z.string().min(1).default('127.0.0.1'),
  EHR_STANDIN_PUBLIC_URL: httpUrl.default('http://localhost:3100'),
  PAYFLOW_WEBHOOK_BASE_URL: httpUrl.default('http://localhost:3000'),
  EHR_WEBHOOK_SECRET: secret.default('dev-ehr-webhook-secret'),
  CLEARINGHOUSE_WEBHOOK_SECRET: secret.default('dev-clearinghouse-webhook-secret'),
  PAYMENT_LINK_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-payment-link-secret'),
  // Issue 16: the clearinghouse's remittances as X12 835 files POSTed to payflow's /v1/remittances, with an API token
  // of the practice (role billing; the demo data seeds demo-clearinghouse-token). `json`: the signed claim.upserted.
  EHR_STANDIN_REMITTANCE_FORMAT: z.enum(['835', 'json'], { error: 'must be 835 or json' }).default('835'),
  /** payflow's API base for the 835 files; unset: PAYFLOW_WEBHOOK_BASE_URL (the same service). */
  PAYFLOW_API_URL: httpUrl.optional(),
  PAYFLOW_API_TOKEN: secret.default('demo-clearinghouse-token'),
  // The SMS provider stand-in (./sms.ts, under /sms): the bearer token payflow's worker sends with (its
  // SMS_PROVIDER_TOKEN), and the secret it signs delivery and reply webhooks with (one of payflow's SMS_WEBHOOK_SECRETS).
  SMS_PROVIDER_TOKEN: secret.default('dev-sms-provider-token'),
  SMS_WEBHOOK_SECRET: secret.default('dev-sms-webhook-secret'),
  // The print-and-mail stand-in (./print-mail.ts, under /print-mail): the bearer token payflow's worker sends (PRINT_MAIL_TOKEN).
  PRINT_MAIL_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-print-mail-token-not-for-production'),
  // The card processor stand-in (./processor.ts, under /processor): the bearer token payflow sends (its PROCESSOR_STANDIN_TOKEN).
  PROCESSOR_STANDIN_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-processor-standin-token-not-for-production'),
});

