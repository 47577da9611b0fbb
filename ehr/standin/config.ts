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
});

