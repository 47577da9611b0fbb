/**
 * Every side effect lives in an activity. createActivities builds them from injected dependencies so tests and
 * the worker wire them the same way. Each activity is idempotent by a business key enforced in PostgreSQL.
 */
import type { Db } from '../db/connection';
import type { EhrAdapter } from '../ehr/adapter';
import { createOutboxNotifier, type Notifier } from '../lib/notifier';
import type { CardProcessor } from '../processor/card-processor';
import { createBalanceActivities } from './balance';
import { createBenchActivities } from './bench';
import { createCardChargeActivities } from './card-charges';
import { createCreditNoticeActivities } from './credit-notices';
import { createEhrActivities } from './ehr';
import { createLedgerActivities } from './ledger';
import { createReceiptActivities } from './receipts';
import { createNotificationFallbackActivities } from './notification-fallback';
import { createPaymentPlanActivities } from './payment-plans';
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
  /** Charges cards on file (issue 18: processor/); absent, a card-on-file charge waits (retried) until a worker has one. */
  processor?: CardProcessor;
  /** PAY_LINK_SECRET: signs the "pay another way" link of a card-on-file notice. */
  linkSecret?: string;
}

export function createActivities(deps: ActivityDeps) {
  const notifier = deps.notifier ?? createOutboxNotifier(deps.db);
  return {
    ...createWiringCheckActivities(deps),
    ...createEhrActivities(deps),
    ...createLedgerActivities(deps),
    ...createStatementActivities({ db: deps.db, notifier }),
    ...createReceiptActivities({ db: deps.db, notifier, publicBaseUrl: deps.publicBaseUrl }),
    ...createNotificationFallbackActivities({ db: deps.db, notifier, publicBaseUrl: deps.publicBaseUrl }),
    ...createBalanceActivities(deps),
    ...createRefundActivities(deps),
    ...createCardChargeActivities({ db: deps.db, notifier, processor: deps.processor, publicBaseUrl: deps.publicBaseUrl, linkSecret: deps.linkSecret }),
    ...createCreditNoticeActivities({ db: deps.db, notifier, publicBaseUrl: deps.publicBaseUrl }),
    ...createPaymentPlanActivities({ db: deps.db, processor: deps.processor }),
    ...createBenchActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
