/** Migrations listed explicitly, so they run the same under tsx, jest and compiled JavaScript. */
import type { Knex } from 'knex';
import * as m001 from './001_domain_schema';
import * as m002 from './002_wiring_checks';
import * as m003 from './003_collections_and_staff';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

const migrations: Record<string, Migration> = {
  '001_domain_schema': m001,
  '002_wiring_checks': m002,
  '003_collections_and_staff': m003,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations)),
  getMigrationName: (name) => name,
  getMigration: (name) => Promise.resolve(migrations[name] as Migration),
};
