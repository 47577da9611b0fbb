/**
 * How the app layer answers what db/ raised (db/errors.ts): the one mapping from a storage error to the caller's
 * problem (lib/errors.ts). The HTTP adapters pass every error they catch through `appErrorOf` before deciding, so an
 * answer never depends on which layer noticed the problem.
 */
import { LedgerConflict, LedgerRuleError, RowNotFound, StateConflict } from '../db/errors';
import { AppError, conflict, notFound } from '../lib/errors';

export function appErrorOf(err: unknown): unknown {
  if (err instanceof RowNotFound) return notFound(err.what);
  if (err instanceof LedgerRuleError) return new AppError(422, 'ledger-rule', 'Ledger rule violated', err.message);
  if (err instanceof LedgerConflict || err instanceof StateConflict) return conflict(err.message);
  return err;
}
