/** Migrations listed explicitly, so they run the same under tsx, jest and compiled JavaScript. */
import type { Knex } from 'knex';
import * as m001 from './001_domain_schema';
import * as m002 from './002_wiring_checks';
import * as m003 from './003_collections_and_staff';
import * as m004 from './004_balance_collections';
import * as m005 from './005_statements_and_portal';
import * as m007 from './007_work_queue';
import * as m008 from './008_run_messages_outbox';
import * as m009 from './009_idempotency_lease';
import * as m010 from './010_collection_waits';
import * as m011 from './011_reversal_tasks_by_claim';
import * as m012 from './012_ledger_sums_enforced';
import * as m013 from './013_portal_counters_and_sessions';
import * as m014 from './014_staff_identity_and_api_tokens';
import * as m015 from './015_staff_session_idle';
import * as m016 from './016_remittances';
import * as m017 from './017_remittance_matching';
import * as m018 from './018_notification_delivery';
import * as m019 from './019_receipts_and_mail';
import * as m020 from './020_channel_consent';
import * as m021 from './021_channel_preferences';
import * as m022 from './022_card_on_file';
import * as m023 from './023_payment_plans';
import * as m024 from './024_payment_plan_claims';
import * as m025 from './025_plan_paid_otherwise';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

const migrations: Record<string, Migration> = {
  '001_domain_schema': m001,
  '002_wiring_checks': m002,
  '003_collections_and_staff': m003,
  '004_balance_collections': m004,
  '005_statements_and_portal': m005,
  '007_work_queue': m007,
  '008_run_messages_outbox': m008,
  '009_idempotency_lease': m009,
  '010_collection_waits': m010,
  '011_reversal_tasks_by_claim': m011,
  '012_ledger_sums_enforced': m012,
  '013_portal_counters_and_sessions': m013,
  '014_staff_identity_and_api_tokens': m014,
  '015_staff_session_idle': m015,
  '016_remittances': m016,
  '017_remittance_matching': m017,
  '018_notification_delivery': m018,
  '019_receipts_and_mail': m019,
  '020_channel_consent': m020,
  '021_channel_preferences': m021,
  '022_card_on_file': m022,
  '023_payment_plans': m023,
  '024_payment_plan_claims': m024,
  '025_plan_paid_otherwise': m025,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations)),
  getMigrationName: (name) => name,
  getMigration: (name) => Promise.resolve(migrations[name] as Migration),
};
