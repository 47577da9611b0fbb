/** `npm run migrate [-- down]`: apply (or roll back) the schema on DATABASE_URL. */
import { loadServiceConfig } from '../lib/config';
import { createDb } from './connection';
import { migrateLatest, rollbackAll } from './migrate';

async function main() {
  const config = loadServiceConfig();
  const db = createDb(config.DATABASE_URL, 1);
  try {
    const names = process.argv[2] === 'down' ? await rollbackAll(db) : await migrateLatest(db);
    process.stdout.write(`${process.argv[2] === 'down' ? 'rolled back' : 'applied'}: ${names.join(', ') || 'nothing to do'}\n`);
  } finally {
    await db.destroy();
  }
}

void main().catch((err: Error) => {
  process.stderr.write(`migration failed: ${err.message}\n`);
  process.exit(1);
});
