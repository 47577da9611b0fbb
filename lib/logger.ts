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

/** Where in our code an error arose: the stack's frames (code locations), without its first line (the message). */
function framesOf(err: unknown): string[] | undefined {
  const stack = (err as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string') return undefined;
  return stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).map((l) => scrubMessage(l.trim()));
}

/**
 * The last resort for errors no code caught (server/main.ts, worker/main.ts): one line through this logger (the error's
 * class, scrubbed message, PostgreSQL code and code locations: never the raw error, whose message or `detail` may echo
 * PHI) instead of Node's print of the whole error to stderr. A stray rejection (a promise nobody awaited) is logged and
 * the process goes on: ending it would fail every other request or activity in flight, and one staff token could do
 * that at will (issue 13). An uncaught exception leaves the process in an unknown state: logged as fatal, then the
 * process exits (1) for its supervisor to restart. Returns a function that removes the handlers (tests).
 */
export function installProcessGuards(log: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onRejection = (reason: unknown) => {
    log.error({ error: safeError(reason), frames: framesOf(reason) }, 'unhandled promise rejection (the process goes on)');
  };
  const onException = (err: unknown, origin: string) => {
    log.fatal({ error: safeError(err), frames: framesOf(err), origin }, 'uncaught exception: the process exits');
    exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
