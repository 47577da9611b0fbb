/**
 * Which dependency is down, read from an error: the one place that knows the shapes of Temporal's, the workflow
 * worker's and PostgreSQL's "not reachable right now" failures. The API answers them with 503 + `Retry-After`
 * (http/problem.ts); a route that can do better (answer from what exists) asks here first.
 */
import { isGrpcServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { unavailable, type AppError } from './errors';

export type OutageKind = 'temporal' | 'database' | 'worker';

/** gRPC status codes (grpc/doc/statuscodes.md), numbered by the protocol: not worth a direct grpc-js dependency. */
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
/** The server sheds load: "Workflow is busy." (too many concurrent requests on one run), a namespace's rate limit. */
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;

/** Socket errors of a database connection (also found inside an AggregateError when both IPv4 and IPv6 were tried). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
/** SQLSTATE: class 08 is "connection exception"; 57P01-03 mean the server is shutting down, crashed, or starting. */
const SQLSTATE_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123])$/;
/** pg's own words for a connection it lost or could not open in time (`connectionTimeoutMillis`): plain Errors, no code. */
const PG_CONNECTION_LOST = /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout expired)$/;
/**
 * Temporal's answers when the worker did not take an update (server: service/history/workflow/update). Nothing of the
 * update ran in any of them, and the same update sent again reaches the next workflow task:
 * - a worker completed the workflow task that carried the update without processing it (a worker going away, or one
 *   without the handler yet): the update is rejected with this failure type ("Workflow Update failed");
 * - the workflow task failed after the update was sent to the worker: FAILED_PRECONDITION with these words;
 * - the run's update registry was cleared (its workflow task failed or timed out before the update was seen): a
 *   retryable UNAVAILABLE, which the SDK retries until it gives up.
 */
const UNPROCESSED_UPDATE = 'UnprocessedUpdate';
const UPDATE_WORKFLOW_TASK_FAILED = /unexpected workflow task failure/i;
const UPDATE_ABORTED = /^workflow update was aborted/i;

/** Matched by their words only when they are the drivers' own plain Errors, not a workflow's failure that quotes them. */
const isPlainError = (err: Error) => err.name === 'Error';

/** How long a caller should wait before trying again, per dependency (seconds, for `Retry-After`). */
export const RETRY_AFTER_SECONDS: Record<OutageKind, number> = { database: 5, temporal: 5, worker: 2 };

const DETAIL: Record<OutageKind, string> = {
  database: 'Our database is not reachable right now. Please retry in a few seconds.',
  temporal: 'Our workflow service (Temporal) did not answer in time. Please retry in a few seconds.',
  worker: 'Our workflow worker is restarting and did not take this request. Please retry in a few seconds.',
};

/** The dependency whose outage `err` reports, or undefined for anything else (a bug, a rule, bad input). */
export function outageOf(err: unknown): OutageKind | undefined {
  // Wrappers keep what happened as `cause` (the SDK's ServiceError → the gRPC error); a few levels suffice.
  let current: unknown = err;
  for (let depth = 0; isErrorLike(current) && depth < 6; depth++) {
    const kind = ownOutage(current);
    if (kind) return kind;
    current = current.cause;
  }
  return undefined;
}

type ErrorLike = Error & { code?: unknown; cause?: unknown; errors?: unknown };

/** Duck-typed, not `instanceof Error`: errors made by Node's own modules (net, dns) may come from another realm (jest's
 *  sandbox, a worker thread), and are no less an outage for it. */
function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && typeof (value as Error).name === 'string';
}

function ownOutage(err: ErrorLike): OutageKind | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === UNPROCESSED_UPDATE) return 'worker';
  // The update call ran out of time (our request deadline) or was cancelled: whether the update ran is unknown to us,
  // and the caller's retry (same update id) is answered by the run once Temporal answers again.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'temporal';
  if (isGrpcServiceError(err)) {
    const code: number = err.code;
    if (code === GRPC_FAILED_PRECONDITION && UPDATE_WORKFLOW_TASK_FAILED.test(err.details)) return 'worker';
    if (code === GRPC_UNAVAILABLE && UPDATE_ABORTED.test(err.details)) return 'worker';
    return [GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED, GRPC_CANCELLED, GRPC_RESOURCE_EXHAUSTED].includes(code) ? 'temporal' : undefined;
  }
  // grpc-js, when a connection cannot be established (Connection.connect, waitForReady).
  if (isPlainError(err) && err.message === 'Failed to connect before the deadline') return 'temporal';
  return databaseOutage(err) ? 'database' : undefined;
}

function databaseOutage(err: ErrorLike): boolean {
  const { code } = err;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE_UNAVAILABLE.test(code))) return true;
  // The pool gave up waiting for a connection (knex `acquireConnectionTimeout`).
  if (err.name === 'KnexTimeoutError') return true;
  if (isPlainError(err) && PG_CONNECTION_LOST.test(err.message)) return true;
  // An AggregateError (a host name tried on IPv4 and IPv6): any of its connection errors.
  return Array.isArray(err.errors) && err.errors.some((e) => isErrorLike(e) && databaseOutage(e));
}

/** The 503 answer for an outage: plain words naming the dependency, never the error's own text. */
export function unavailableFor(kind: OutageKind): AppError {
  return unavailable(DETAIL[kind], RETRY_AFTER_SECONDS[kind]);
}
