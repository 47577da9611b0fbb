/**
 * Every side effect lives in an activity. createActivities builds them from injected dependencies so tests and
 * the worker wire them the same way. Each activity is idempotent by a business key enforced in PostgreSQL.
 */
import type { Db } from '../db/connection';
import type { EhrAdapter } from '../ehr/adapter';
import { createOutboxNotifier, type Notifier } from '../lib/notifier';
import { createBalanceActivities } from './balance';
import { createBenchActivities } from './bench';
import { createEhrActivities } from './ehr';
import { createLedgerActivities } from './ledger';
import { createReceiptActivities } from './receipts';
import { createRefundActivities } from './refunds';
import { createStatementActivities } from './statements';
import { createWiringCheckActivities } from './wiring-check';

export interface ActivityDeps {
  db: Db;
  ehr: EhrAdapter;
  /** How statements and reminders reach patients; the local outbox (PostgreSQL) unless given. */
  notifier?: Notifier;
  /** COPAY_REVERSAL_WATCH: how long a copay watches for a payer reversal (runs whose row predates `waiting_until`). */
  reversalWatchMs?: number;
  /** PUBLIC_BASE_URL: the portal address in receipts (the statement path passes its run's own). */
  publicBaseUrl?: string;
}

export function createActivities(deps: ActivityDeps) {
  const notifier = deps.notifier ?? createOutboxNotifier(deps.db);
  return {
    ...createWiringCheckActivities(deps),
    ...createEhrActivities(deps),
    ...createLedgerActivities(deps),
    ...createStatementActivities({ db: deps.db, notifier }),
    ...createReceiptActivities({ db: deps.db, notifier, publicBaseUrl: deps.publicBaseUrl }),
    ...createBalanceActivities(deps),
    ...createRefundActivities(deps),
    ...createBenchActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
