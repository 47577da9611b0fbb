/**
 * How a run's update validators refuse, shared by the collection runs and the statement run. The type is what the app
 * layer reads (app/temporal-errors.ts), never the message, which is for people:
 *   Conflict    → 409: the run's state forbids it (cancelled, captured, resolved by someone else);
 *   Invalid     → 422: the request breaks a rule (domain/task-resolution.ts `checkResolution`);
 *   TaskNotHeld → 409 unless the app can act without the run: the task is not one this run holds (a task another run
 *                 or no run opened), so the app resolves it directly while it is open.
 * Rejected updates leave no history, so a change here needs no patch.
 */
import { ApplicationFailure } from '@temporalio/workflow';

export type UpdateRefusal = 'Conflict' | 'Invalid' | 'TaskNotHeld';

export function rejectUpdate(type: UpdateRefusal, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}
