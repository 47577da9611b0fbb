/**
 * JSON logs (pino), one line per event. PHI must never reach a log line: we log no request or response bodies,
 * and these paths are redacted wherever an object is logged, as a second line of defence.
 */
import pino from 'pino';

export const PHI_KEYS = [
  'firstName', 'lastName', 'fullName', 'patientName', 'dateOfBirth', 'dob', 'accountId', 'email', 'phone', 'address',
  'first_name', 'last_name', 'date_of_birth', 'account_id',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["payflow-signature"]',
  ...PHI_KEYS,
  ...PHI_KEYS.map((k) => `*.${k}`),
  ...PHI_KEYS.map((k) => `*.*.${k}`),
];

export type Logger = pino.Logger;

/** `destination`: tests capture the lines; processes write to stdout. */
export function createLogger(level: string, name: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * An error as a log line may show it: its class, its message with every quoted or bracketed literal removed (drivers
 * and parsers quote the offending input: `invalid input syntax for type date: "Casey"`), and PostgreSQL's
 * machine-readable fields (code, constraint, table, column), never its `detail`, which echoes row values.
 */
export function safeError(err: unknown): Record<string, string> {
  if (typeof err !== 'object' || err === null) return { type: typeof err };
  const e = err as Record<string, unknown>;
  const out: Record<string, string> = { type: typeof e.name === 'string' ? e.name : (err.constructor?.name ?? 'Error') };
  if (typeof e.message === 'string') out.message = scrubMessage(e.message);
  for (const key of ['code', 'constraint', 'table', 'column'] as const) if (typeof e[key] === 'string') out[key] = e[key];
  return out;
}

export function scrubMessage(message: string): string {
  return message
    .slice(0, 500)
    .replace(/"[^"]*"|`[^`]*`/g, '[redacted]')
    // A single-quoted literal, not an apostrophe ("the claim's"): the quote does not follow a letter.
    .replace(/(^|[^A-Za-z])'[^']*'/g, '$1[redacted]')
    .replace(/\(([^()]*)\)=\(([^()]*)\)/g, '($1)=([redacted])');
}
