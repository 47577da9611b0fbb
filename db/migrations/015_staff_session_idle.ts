/**
 * Staff sessions end after 30 minutes without a request as well as 8 hours after sign-in (issue 15): each session
 * records when it was last used (`last_seen_at`, moved forward at most once a minute by db/queries/staff-sessions.ts),
 * and how it was started (`via`: `token` or `oidc`), which the audit log also says.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('staff_sessions', (t) => {
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('via').notNullable().defaultTo('token');
    t.check(`via in ('token', 'oidc')`, [], 'staff_sessions_via');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('staff_sessions', (t) => {
    t.dropChecks(['staff_sessions_via']);
    t.dropColumn('via');
    t.dropColumn('last_seen_at');
  });
}
