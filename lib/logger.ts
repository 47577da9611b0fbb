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

export function createLogger(level: string, name: string): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
