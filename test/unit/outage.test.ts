/**
 * lib/outage.ts on the error shapes the drivers and the Temporal SDK really produce (each observed in
 * test/integration/outage-answers.test.ts or read from the SDK's and pg's sources), and on look-alikes that are not
 * outages (a bug, a rule, a workflow failure quoting a driver).
 */
import { runInNewContext } from 'node:vm';
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { AppError } from '../../lib/errors';
import { outageOf, RETRY_AFTER_SECONDS, unavailableFor } from '../../lib/outage';

/** A gRPC status error as @grpc/grpc-js builds it (callErrorFromStatus): code, details, metadata. */
function grpcError(code: number, name: string, details: string): Error {
  return Object.assign(new Error(`${code} ${name}: ${details}`), { code, details, metadata: {} });
}
const withCode = (message: string, code: string, name = 'Error') => Object.assign(new Error(message), { code, name });

describe('outageOf', () => {
  describe('Temporal', () => {
    it.each([
      ['a refused connection after the SDK retries (Update-With-Start)', new ServiceError('Update-With-Start failed', { cause: grpcError(14, 'UNAVAILABLE', 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.') })],
      ['a deadline on a plain call (start, describe, signal)', new ServiceError('Failed to start Workflow', { cause: grpcError(4, 'DEADLINE_EXCEEDED', 'Deadline exceeded after 3.999s') })],
      ['a call cancelled by an abort signal', new ServiceError('Failed to describe Workflow', { cause: grpcError(1, 'CANCELLED', 'Cancelled on client') })],
      ['an update whose call hit the request deadline', new WorkflowUpdateRPCTimeoutOrCancelledError('Deadline exceeded after 0.000s,waiting for metadata filters', { cause: grpcError(4, 'DEADLINE_EXCEEDED', 'Deadline exceeded') })],
      ['the bare gRPC error', grpcError(14, 'UNAVAILABLE', 'Connection dropped')],
      ['the server shedding load on a busy run (found by the cluster benchmark: it was a 500)', new ServiceError('Failed to describe workflow', { cause: grpcError(8, 'RESOURCE_EXHAUSTED', 'Workflow is busy.') })],
      ['a connection that cannot be established (grpc-js waitForReady)', new Error('Failed to connect before the deadline')],
      ['wrapped twice', new Error('while collecting', { cause: new ServiceError('Workflow Update failed', { cause: grpcError(14, 'UNAVAILABLE', 'unavailable') }) })],
    ])('%s → temporal', (_what, err) => {
      expect(outageOf(err)).toBe('temporal');
    });
  });

  describe('worker', () => {
    it('an update the server rejected because the worker completed its task without processing it (exact SDK shape)', () => {
      const failure = ApplicationFailure.create({
        message: "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
        type: 'UnprocessedUpdate', nonRetryable: true,
      });
      expect(outageOf(new WorkflowUpdateFailedError('Workflow Update failed', failure))).toBe('worker');
    });

    it('an update whose workflow task failed after it was sent (FAILED_PRECONDITION, WorkflowNotReady)', () => {
      const err = new ServiceError('Workflow Update failed', { cause: grpcError(9, 'FAILED_PRECONDITION', 'Unable to perform workflow execution update due to unexpected workflow task failure.') });
      expect(outageOf(err)).toBe('worker');
    });

    it('an update aborted because the run was reloaded (retryable UNAVAILABLE, after the SDK gave up)', () => {
      const err = new ServiceError('Workflow Update failed', { cause: grpcError(14, 'UNAVAILABLE', 'workflow update was aborted') });
      expect(outageOf(err)).toBe('worker');
    });
  });

  describe('database', () => {
    it.each([
      ['a refused connection (pg via knex)', withCode('connect ECONNREFUSED 127.0.0.1:5999', 'ECONNREFUSED')],
      ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
      ['a connect timeout at the socket', withCode('connect ETIMEDOUT 10.0.0.1:5432', 'ETIMEDOUT')],
      ['an unreachable host', withCode('connect EHOSTUNREACH 10.0.0.1:5432', 'EHOSTUNREACH')],
      ['localhost tried on IPv4 and IPv6 (AggregateError)', Object.assign(new AggregateError([withCode('connect ECONNREFUSED ::1:5999', 'ECONNREFUSED'), withCode('connect ECONNREFUSED 127.0.0.1:5999', 'ECONNREFUSED')]), { code: 'ECONNREFUSED' })],
      ['the same without a code on the aggregate', new AggregateError([withCode('connect ECONNREFUSED ::1:5999', 'ECONNREFUSED')])],
      ['SQLSTATE 08006 connection_failure', withCode('connection failure', '08006', 'error')],
      ['SQLSTATE 08001 cannot connect now', withCode('could not connect', '08001', 'error')],
      ['SQLSTATE 57P01 admin_shutdown', withCode('terminating connection due to administrator command', '57P01', 'error')],
      ['SQLSTATE 57P02 crash_shutdown', withCode('terminating connection because of crash of another server process', '57P02', 'error')],
      ['SQLSTATE 57P03 cannot_connect_now (starting up)', withCode('the database system is starting up', '57P03', 'error')],
      ['the pool gave up (KnexTimeoutError)', Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'), { name: 'KnexTimeoutError' })],
      ['pg lost its connection', new Error('Connection terminated unexpectedly')],
      ['pg ended a connection', new Error('Connection terminated')],
      ['pg connectionTimeoutMillis', new Error('timeout expired')],
      ['an error from another realm (Node core under jest, a worker thread)', runInNewContext("Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' })") as Error],
      ['pg-pool connectionTimeoutMillis', new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') })],
    ])('%s → database', (_what, err) => {
      expect(outageOf(err)).toBe('database');
    });
  });

  describe('not an outage', () => {
    it.each([
      ['a unique violation', withCode('duplicate key value violates unique constraint', '23505', 'error')],
      ['a refused jsonb value (\\u0000)', withCode('unsupported Unicode escape sequence', '22P05', 'error')],
      ['an unknown run', new WorkflowNotFoundError('Workflow not found', 'copay-x', undefined)],
      ['a workflow already started elsewhere (ALREADY_EXISTS)', new ServiceError('Failed to start Workflow', { cause: grpcError(6, 'ALREADY_EXISTS', 'Workflow execution already started') })],
      ['FAILED_PRECONDITION for another reason', new ServiceError('Workflow Update failed', { cause: grpcError(9, 'FAILED_PRECONDITION', 'Namespace is not active') })],
      ['an update the workflow refused', new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'This collection was cancelled.', type: 'Conflict', nonRetryable: true }))],
      ['a workflow failure quoting pg', new WorkflowUpdateFailedError('Workflow Update failed', new ActivityFailure('activity failed', 'recordPayment', '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'worker', ApplicationFailure.create({ message: 'Connection terminated unexpectedly' })))],
      ['an AppError', new AppError(409, 'conflict', 'Conflict', 'No.')],
      ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
      ['not an Error', { code: 'ECONNREFUSED' }],
      ['undefined', undefined],
    ])('%s', (_what, err) => {
      expect(outageOf(err)).toBeUndefined();
    });

    it('follows causes only a few levels (no loop on a cyclic cause)', () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      expect(outageOf(a)).toBeUndefined();
    });
  });
});

describe('unavailableFor', () => {
  it.each(['temporal', 'database', 'worker'] as const)('%s: 503 problem named unavailable, plain words, Retry-After', (kind) => {
    const err = unavailableFor(kind);
    expect(err).toMatchObject({ status: 503, type: 'unavailable', title: 'Service unavailable', retryAfterSeconds: RETRY_AFTER_SECONDS[kind] });
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(err.message).toMatch({ temporal: /Temporal/, database: /database/, worker: /worker/ }[kind]);
    expect(err.message).not.toMatch(/ECONN|grpc|UNAVAILABLE|\d{4,}/);
  });
});
