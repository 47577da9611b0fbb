/**
 * The Temporal SDK's log lines (the worker's, the workflows' and the activities') as our JSON lines: one pino line per
 * event, with the SDK's context fields (workflowId, runId, workflowType, activityType, activityId, attempt, taskQueue,
 * namespace) and PHI kept out: errors are reduced to their class and a scrubbed message (lib/logger.ts safeError),
 * and the PHI field names are redacted by pino like everywhere else.
 */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import { safeError, type Logger } from '../lib/logger';

type Method = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const METHOD: Record<string, Method> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** The SDK's metadata, made safe for a log line. Activity lines name the run `workflowRunId`: logged as `runId`. */
export function safeMeta(meta: LogEntry['meta']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    const name = key === 'workflowRunId' ? 'runId' : key;
    if (value instanceof Error) out[name] = safeError(value);
    else if (key === 'failure' || key === 'details' || key === 'args' || key === 'result') continue; // payloads: may be PHI
    else if (key === 'taskToken') continue; // a capability (it completes the activity), and noise
    else out[name] = value;
  }
  return out;
}

export function sdkLogLevel(level: string): LogLevel {
  return level === 'trace' ? 'TRACE' : level === 'debug' ? 'DEBUG' : level === 'error' || level === 'fatal' ? 'ERROR' : level === 'warn' ? 'WARN' : 'INFO';
}

/** A logger for Runtime.install({ logger }) that writes through `log`. */
export function sdkLogger(log: Logger, level: string): DefaultLogger {
  return new DefaultLogger(sdkLogLevel(level), ({ level: l, message, meta }) => {
    log[METHOD[l] ?? 'info'](safeMeta(meta), message);
  });
}
