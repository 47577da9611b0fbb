/**
 * The one place configuration is read. Every variable is validated at start-up; a missing or malformed
 * value stops the process with one readable line naming the variable (values are never echoed: some are
 * secrets). Every variable here is documented in README.md; a test keeps the two in step.
 */
import { z } from 'zod';
import { parseDuration } from './durations';
import { DEV_PAYLOAD_KEYS, parsePayloadKeys, type PayloadKey } from './codec/payload-keys';
import { payloadKeyProblem, secretProblem } from './secret-policy';

const port = z.coerce
  .number({ error: 'must be a port number (1-65535)' })
  .int({ error: 'must be a port number (1-65535)' })
  .min(1, { error: 'must be a port number (1-65535)' })
  .max(65_535, { error: 'must be a port number (1-65535)' });
const bool = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');
const positiveInt = z.coerce
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer' })
  .positive({ error: 'must be a positive integer' });
const duration = z
  .string()
  .refine((v) => parseDuration(v) !== undefined, { error: 'must be a duration like 90s, 15m, 24h or 120d' })
  .transform((v) => parseDuration(v)!);
/** Comma-separated secrets; more than one is active during a rotation. */
const secretList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((s) => s.length >= 12), { error: 'must be a comma-separated list of secrets of at least 12 characters' });
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' });
const hostPort = z.string().regex(/^[^\s:]+:\d+$/, { error: 'must be host:port' });
/** `id:base64key,…`, each key 32 bytes (AES-256); more than one during a rotation. */
const payloadKeys = z
  .string()
  .transform((v, ctx) => parsePayloadKeys(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of id:base64 entries, each key 32 bytes (AES-256), ids unique' }), z.NEVER));
/** Comma-separated origins (scheme://host[:port]), e.g. the Temporal UI's. */
const originList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), { error: 'must be a comma-separated list of origins like http://localhost:8233' });

/** Variables read by the API and the worker. */
export const serviceEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production'], { error: 'must be development, test or production' }).default('development'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' })
    .default('info'),
  PORT: port.default(3000),
  DATABASE_URL: postgresUrl,
  DB_POOL_MAX: positiveInt.max(200, { error: 'must be at most 200' }).default(10),
  TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('payflow'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  // Collections wait days in their timers: caching them buys nothing, bounding the cache bounds memory (bench/README.md).
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt.default(100),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.optional(),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt.optional(),
  // A run cached by a worker that died waits this long on that worker's sticky queue before another worker takes it
  // (Temporal's default, 10 s). Shorter: a crash delays those runs less, and a merely busy worker loses more to replays.
  WORKER_STICKY_QUEUE_TIMEOUT: duration.refine((ms) => ms >= 1000 && ms <= 60_000, { error: 'must be between 1s and 60s' }).default(parseDuration('10s')!),
  SHUTDOWN_GRACE_SECONDS: positiveInt.max(600, { error: 'must be at most 600' }).default(10),
  // An HTTP answer is owed within 5 s even when Temporal is down: every Temporal call of a request shares this deadline.
  TEMPORAL_REQUEST_TIMEOUT: duration.refine((ms) => ms >= 500 && ms <= 60_000, { error: 'must be between 500ms and 60s' }).default(parseDuration('4s')!),
  // How long an Idempotency-Key stays claimed by a request that never finished (its process died) before a retry takes it over.
  IDEMPOTENCY_LEASE: duration.refine((ms) => ms >= 1000 && ms <= 3_600_000, { error: 'must be between 1s and 1h' }).default(parseDuration('30s')!),
  // Collect Now answers 202 (the link follows) when the EHR has not opened the payment request within this.
  PAYMENT_LINK_WAIT: duration.refine((ms) => ms >= 100 && ms <= 60_000, { error: 'must be between 100ms and 60s' }).default(parseDuration('3s')!),
  // Worker side (worker/loops.ts): a collection left `starting` this long gets its run from the reconciler; the outbox
  // relay polls this often besides waking on NOTIFY.
  RECONCILE_STARTING_AFTER: duration.refine((ms) => ms >= 1000, { error: 'must be at least 1s' }).default(parseDuration('1m')!),
  OUTBOX_POLL_INTERVAL: duration.refine((ms) => ms >= 100 && ms <= 60_000, { error: 'must be between 100ms and 60s' }).default(parseDuration('1s')!),
  EHR_BASE_URL: z.url({ error: 'must be an http(s) URL' }).default('http://localhost:3100'),
  EHR_WEBHOOK_SECRETS: secretList.default(['dev-ehr-webhook-secret']),
  CLEARINGHOUSE_WEBHOOK_SECRETS: secretList.default(['dev-clearinghouse-webhook-secret']),
  CAPTURE_WINDOW: duration.default(parseDuration('24h')!),
  LATE_CAPTURE_WAIT: duration.default(parseDuration('24h')!),
  COPAY_TRANSFER_WINDOW: duration.default(parseDuration('120d')!),
  COPAY_REVERSAL_WATCH: duration.default(parseDuration('120d')!),
  PAYLOAD_KEYS: payloadKeys.default(parsePayloadKeys(DEV_PAYLOAD_KEYS)!),
  PAYLOAD_KEY_CURRENT: z.string().min(1).optional(),
  // Unencrypted payloads are refused (lib/codec/plaintext-guard.ts): true only while migrating histories from before encryption.
  PAYLOAD_ACCEPT_PLAINTEXT: bool.default(false),
  CODEC_ENGINEER_TOKENS: secretList.default(['dev-engineer-codec-token']),
  // The platform operator's tokens (onboarding practices: POST /platform/practices); comma-separated for rotation.
  PLATFORM_OPERATOR_TOKENS: secretList.default(['dev-platform-operator-token']),
  TEMPORAL_UI_ORIGIN: originList.default(['http://localhost:8233']),
  WORKER_METRICS_PORT: port.default(9464),
  // Metrics are for the operators' network, not the public port (issue 13): the API's on a listener of their own,
  // both on loopback unless an address is given (e.g. 0.0.0.0 in a container, with the port left unpublished).
  API_METRICS_PORT: port.default(9465),
  API_METRICS_HOST: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address, e.g. 127.0.0.1' }).default('127.0.0.1'),
  WORKER_METRICS_HOST: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address, e.g. 127.0.0.1' }).default('127.0.0.1'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  // Statements and the patient portal (app/statements-settings.ts).
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://localhost:3000'),
  PORTAL_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-portal-secret-not-for-production'),
  PAYMENT_LINK_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-payment-link-secret'),
  // API tokens are stored under HMAC-SHA-256 with this pepper (app/api-tokens.ts): changing it invalidates every token.
  API_TOKEN_PEPPER: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-api-token-pepper-not-for-production'),
  // Seals each practice's OpenID client secret in the database (app/identity-providers.ts): changing it needs every
  // practice's secret entered again.
  IDP_SECRET_KEY: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-idp-secret-key-not-for-production'),
  // The staff pages' sign-in by pasting a token (beside the identity provider's): on by default except in production.
  STAFF_TOKEN_SIGN_IN: bool.optional(),
  PAYMENT_LINK_TTL: duration.default(parseDuration('30m')!),
  PORTAL_SESSION_TTL: duration.default(parseDuration('15m')!),
  PORTAL_MAX_FAILURES_PER_ACCOUNT: positiveInt.max(1000, { error: 'must be at most 1000' }).default(10),
  PORTAL_MAX_FAILURES_PER_CLIENT: positiveInt.max(100_000, { error: 'must be at most 100000' }).default(100),
  PORTAL_LOCKOUT: duration.default(parseDuration('30m')!),
  PORTAL_TRUSTED_PROXY_HOPS: z.coerce.number({ error: 'must be a whole number from 0 to 10' }).int({ error: 'must be a whole number from 0 to 10' })
    .min(0, { error: 'must be a whole number from 0 to 10' }).max(10, { error: 'must be a whole number from 0 to 10' }).default(0),
  // Email (mail/smtp-notifier.ts): unset SMTP_URL → messages stay in the notification outbox only (the local default
  // before issue 17). smtp:// (STARTTLS when offered) or smtps://, credentials in the URL.
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL, e.g. smtp://localhost:2525' }).optional(),
  MAIL_FROM: z.string().regex(/^[^\r\n<>]*<[^\s@<>]+@[^\s@<>]+>$|^[^\s@<>]+@[^\s@<>]+$/, { error: 'must be an address like billing@example.com or "Name <billing@example.com>"' })
    .default('Payflow billing <billing@payflow.local>'),
  // Pay links in statement emails (mail/pay-link.ts): signed with this secret, valid PAY_LINK_TTL and PAY_LINK_MAX_USES sign-ins.
  PAY_LINK_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-pay-link-secret-not-for-production'),
  PAY_LINK_TTL: duration.refine((ms) => ms >= 60_000 && ms <= 90 * 86_400_000, { error: 'must be between 1m and 90d' }).default(parseDuration('30d')!),
  PAY_LINK_MAX_USES: z.coerce.number({ error: 'must be a whole number from 1 to 20' }).int({ error: 'must be a whole number from 1 to 20' })
    .min(1, { error: 'must be a whole number from 1 to 20' }).max(20, { error: 'must be a whole number from 1 to 20' }).default(3),
  // Text messages (sms/http-sms-notifier.ts): unset SMS_PROVIDER_URL → texts stay in the notification outbox only. The
  // provider's API base (POST {url}/messages with a bearer token); its signed delivery and reply webhooks reach
  // /webhooks/sms, verified with SMS_WEBHOOK_SECRETS (comma-separated for a rotation).
  SMS_PROVIDER_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://localhost:3100/sms/api' }).optional(),
  SMS_PROVIDER_TOKEN: z.string().min(12, { error: 'must be at least 12 characters' }).default('dev-sms-provider-token'),
  SMS_FROM: z.string().regex(/^\+[1-9]\d{6,14}$|^\d{5,6}$/, { error: 'must be a phone number in E.164 form (e.g. +15555550123) or a 5-6 digit short code' }).default('+15555550123'),
  SMS_WEBHOOK_SECRETS: secretList.default(['dev-sms-webhook-secret']),
  // Where the provider reports delivery statuses (our POST /webhooks/sms); unset: PUBLIC_BASE_URL/webhooks/sms.
  SMS_STATUS_CALLBACK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://pay.example.com/webhooks/sms' }).optional(),
  // The email provider's event webhook (POST /webhooks/email: bounces and complaints after the SMTP hand-over),
  // verified with EMAIL_WEBHOOK_SECRETS (comma-separated for a rotation). Locally mail/local-smtp.ts plays the provider.
  EMAIL_WEBHOOK_SECRETS: secretList.default(['dev-email-webhook-secret']),
  // Postal mail (mail/print-mail-notifier.ts): a print-and-mail service over HTTP; unset PRINT_MAIL_URL → letters stay
  // in the notification outbox. Locally: the stand-in's /print-mail (ehr/standin/print-mail.ts).
  PRINT_MAIL_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://localhost:3100/print-mail' }).optional(),
  PRINT_MAIL_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-print-mail-token-not-for-production'),
  // Cards on file (issue 18, processor/): the processor that holds patients' cards. `standin`: the EHR stand-in's
  // /processor (ehr/standin/processor.ts); `stripe`: Stripe through its official SDK (processor/stripe-processor.ts).
  PROCESSOR: z.enum(['standin', 'stripe'], { error: 'must be standin or stripe' }).default('standin'),
  PROCESSOR_STANDIN_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://localhost:3100/processor' }).default('http://localhost:3100/processor'),
  PROCESSOR_STANDIN_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).default('dev-processor-standin-token-not-for-production'),
  PROCESSOR_TIMEOUT: duration.refine((ms) => ms >= 1000 && ms <= 60_000, { error: 'must be between 1s and 60s' }).default(parseDuration('15s')!),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]{3,}$/, { error: 'must be a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_live_…, rk_test_…)' }).optional(),
  // Where the Stripe API is: unset, Stripe itself; stripe-mock in tests (scripts/stripe-mock.ts).
  STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL without a path, e.g. http://localhost:12111' })
    .refine((v) => /^https?:\/\/[^/?#]+\/?$/.test(v), { error: 'must be an http(s) URL without a path, e.g. http://localhost:12111' }).optional(),
  STATEMENT_REMINDER_INTERVAL: duration.default(parseDuration('14d')!),
  STATEMENT_REMINDER_LIMIT: z.coerce.number({ error: 'must be a whole number from 0 to 52' }).int({ error: 'must be a whole number from 0 to 52' })
    .min(0, { error: 'must be a whole number from 0 to 52' }).max(52, { error: 'must be a whole number from 0 to 52' }).default(3),
}).superRefine((c, ctx) => {
  if (c.NODE_ENV === 'production') productionPolicy(c, ctx);
  if (c.PROCESSOR === 'stripe' && !c.STRIPE_SECRET_KEY) {
    ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'is required when PROCESSOR is stripe' });
  }
  if (c.NODE_ENV === 'production') processorPolicy(c, ctx);
  if (c.NODE_ENV === 'production' && c.STAFF_TOKEN_SIGN_IN === true) {
    ctx.addIssue({ code: 'custom', path: ['STAFF_TOKEN_SIGN_IN'], message: "must not be true in production: staff sign in with their practice's identity provider" });
  }
  if (c.PAYLOAD_KEY_CURRENT !== undefined && !c.PAYLOAD_KEYS.some((k) => k.id === c.PAYLOAD_KEY_CURRENT)) {
    ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEY_CURRENT'], message: 'must be the id of one of the PAYLOAD_KEYS' });
  }
});

/** The secrets the production policy checks (lib/secret-policy.ts): lists are checked entry by entry. */
export const SECRET_VARIABLES = [
  'EHR_WEBHOOK_SECRETS', 'CLEARINGHOUSE_WEBHOOK_SECRETS', 'CODEC_ENGINEER_TOKENS', 'PORTAL_SECRET', 'PAYMENT_LINK_SECRET', 'API_TOKEN_PEPPER',
  'PLATFORM_OPERATOR_TOKENS',
  'IDP_SECRET_KEY',
  'PAY_LINK_SECRET',
  'SMS_PROVIDER_TOKEN', 'SMS_WEBHOOK_SECRETS',
  'EMAIL_WEBHOOK_SECRETS',
  'PRINT_MAIL_TOKEN',
  'PROCESSOR_STANDIN_TOKEN',
] as const;

/**
 * Production refuses what anyone could know or guess: every value printed in this repository (the defaults above,
 * the compose file's, the tests'), short or non-random secrets, public payload key bytes under any id, and a
 * plain-http public address (session cookies are `Secure` only over https).
 */
function productionPolicy(
  c: Record<(typeof SECRET_VARIABLES)[number], string | string[]> & { PAYLOAD_KEYS: PayloadKey[]; PUBLIC_BASE_URL: string },
  ctx: z.RefinementCtx,
): void {
  // Every secret, also a provider's token before its URL is set (PRINT_MAIL_TOKEN, SMS_PROVIDER_TOKEN): a public value
  // must never be the one a provider is later turned on with.
  for (const name of SECRET_VARIABLES) {
    const values = [c[name]].flat();
    values.forEach((value, i) => {
      const problem = secretProblem(value);
      // The entry's position, never its value: which one of a rotation to replace.
      const which = values.length > 1 ? `(entry ${i + 1} of ${values.length}) ` : '';
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: `${which}${problem}` });
    });
  }
  for (const key of c.PAYLOAD_KEYS) {
    const problem = payloadKeyProblem(key);
    if (problem) ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEYS'], message: problem });
  }
  if (!c.PUBLIC_BASE_URL.startsWith('https://')) {
    ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'must be an https:// URL in production (session cookies are Secure only over https)' });
  }
}

/**
 * Production and Stripe: a live key only (a test key, stripe-mock's included, charges nobody), and the API over https
 * (STRIPE_API_BASE is for stripe-mock). The stand-in's token is held to the secret policy above like every secret.
 */
function processorPolicy(c: { PROCESSOR: 'standin' | 'stripe'; STRIPE_SECRET_KEY?: string | undefined; STRIPE_API_BASE?: string | undefined }, ctx: z.RefinementCtx): void {
  if (c.PROCESSOR !== 'stripe') return;
  if (c.STRIPE_SECRET_KEY && !/^(sk|rk)_live_/.test(c.STRIPE_SECRET_KEY)) {
    ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'must be a live key (sk_live_… or rk_live_…) in production: a test key charges nobody' });
  }
  if (c.STRIPE_API_BASE && !c.STRIPE_API_BASE.startsWith('https://')) {
    ctx.addIssue({ code: 'custom', path: ['STRIPE_API_BASE'], message: 'must be unset (Stripe itself) or an https:// URL in production' });
  }
}

/** Variables read only by the local-stack command (scripts/stack.ts). */
export const stackEnvSchema = z.object({
  PAYFLOW_DATA_DIR: z.string().min(1).default('data'),
  EMBEDDED_PG_PORT: port.default(5433),
  TEMPORAL_UI_PORT: port.default(8233),
  EHR_STANDIN_PORT: port.default(3100),
  IDP_PORT: port.default(3200),
  // The local SMTP server (mail/local-smtp.ts): mail from the worker, and its web inbox.
  SMTP_PORT: port.default(2525),
  MAIL_INBOX_PORT: port.default(8025),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  DATABASE_URL: postgresUrl.optional(),
  PORT: port.default(3000),
  TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
});

export type ServiceConfig = z.infer<typeof serviceEnvSchema>;
export type StackConfig = z.infer<typeof stackEnvSchema>;

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError whose message is one line naming the variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  // Empty strings mean "unset", as in most shells' `FOO= cmd`.
  const cleaned: Record<string, string> = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  const reason = issue?.code === 'invalid_type' && !(name in cleaned) ? 'is required but not set' : issue?.message;
  throw new ConfigError(`Configuration error: ${name} ${reason}`);
}

/** For process entry points: validate or print one line and exit. */
export function loadOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export const loadServiceConfig = (env: NodeJS.ProcessEnv = process.env): ServiceConfig => loadOrExit(serviceEnvSchema, env);
