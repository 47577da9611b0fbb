/** Turns a failed update into the HTTP answer a person understands: validator Conflict → 409, Invalid or a
 *  ledger rule → 422, an unknown run → 404; what db/ raised as app/errors.ts says. Anything else is ours (500). */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, ActivityFailure } from '@temporalio/common';
import { AppError, conflict, notFound } from '../lib/errors';
import { appErrorOf } from './errors';

function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  let cause: unknown = err;
  for (let depth = 0; cause && depth < 5; depth++) {
    if (cause instanceof ApplicationFailure) return cause;
    if (cause instanceof WorkflowUpdateFailedError || cause instanceof ActivityFailure) cause = cause.cause;
    else return undefined;
  }
  return undefined;
}

/** The type a run refused an update with (workflows/update-refusals.ts), or undefined when it did not refuse. */
export const refusalTypeOf = (err: unknown): string | undefined => applicationFailureOf(err)?.type ?? undefined;

export function updateFailureToAppError(err: unknown, what = 'collection'): unknown {
  if (err instanceof WorkflowNotFoundError) return notFound(what);
  const failure = applicationFailureOf(err);
  if (!failure) return appErrorOf(err);
  switch (failure.type) {
    case 'Conflict':
    case 'TaskNotHeld':
    case 'LedgerConflict':
      return conflict(failure.message);
    case 'Invalid':
    case 'LedgerRuleError':
      return new AppError(422, 'rule-violation', 'Not allowed', failure.message);
    case 'CollectionClosed':
      return conflict(failure.message);
    default:
      return err;
  }
}
