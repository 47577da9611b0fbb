/**
 * The errors db/ raises: typed by what went wrong, never by how a caller answers it (no HTTP status here). The app
 * layer maps them (app/errors.ts); an activity lets them through, where each class's `name` becomes the failure's
 * type: LedgerRuleError and LedgerConflict are non-retryable by that name (workflows' retry policies).
 * Messages carry our ids and amounts only, never PHI.
 */
export abstract class DbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The row asked for does not exist (or is not the caller's practice's). */
export class RowNotFound extends DbError {
  constructor(readonly what: string) {
    super(`No such ${what}.`);
  }
}

/** A ledger invariant would break (over-application, payer-held claim, another patient's claim, …): nothing written. */
export class LedgerRuleError extends DbError {}

/** The same idempotency key (external payment id, business key) with different content: nothing written. */
export class LedgerConflict extends DbError {}

/** The row is no longer in a state that allows the change (e.g. assigning a task already resolved). */
export class StateConflict extends DbError {}
