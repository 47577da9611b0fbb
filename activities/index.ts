/**
 * Every side effect lives in an activity. createActivities builds them from injected dependencies so tests and
 * the worker wire them the same way. Each activity is idempotent by a business key enforced in PostgreSQL.
 */
import type { Db } from '../db/connection';
import type { EhrAdapter } from '../ehr/adapter';
import { createBenchActivities } from './bench';
import { createEhrActivities } from './ehr';
import { createLedgerActivities } from './ledger';
import { createWiringCheckActivities } from './wiring-check';

export interface ActivityDeps {
  db: Db;
  ehr: EhrAdapter;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createWiringCheckActivities(deps),
    ...createEhrActivities(deps),
    ...createLedgerActivities(deps),
    ...createBenchActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
