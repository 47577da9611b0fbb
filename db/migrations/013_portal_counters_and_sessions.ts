/**
 * The portal's lock-out counts before it compares, and its sessions live on the server (issue 13):
 * - `portal_login_attempts` becomes one row per account or client key (it was one row per attempt, so unauthenticated
 *   requests grew it without bound, and its lock was read before the failures were written, so parallel guesses all
 *   got compared). Each row keeps the times of the lookups it let through within the window (at most the limit) and
 *   its lock; `portal_lockouts` is folded into it. The active locks are carried over; past failures are not.
 * - `portal_count_lookup(…)` counts one lookup for its client, then its account, in one statement under the rows'
 *   locks, and says whether the date of birth may be compared. Parallel lookups queue on the row: no more than the
 *   limit are ever let through. It also deletes a few rows that no lookup has needed for a window.
 * - `portal_sessions`: the session cookie carries a random value, only its SHA-256 is stored, with the session's own
 *   CSRF token; signing out deletes the row.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.dropTable('portal_login_attempts');
  await knex.schema.createTable('portal_login_attempts', (t) => {
    t.text('key').primary().comment('account:<hmac of the account id> or client:<hmac of the client address>');
    t.specificType('attempts', 'timestamptz[]').notNullable().defaultTo('{}')
      .comment('when the lookups let through to the comparison happened, oldest first, within the window (at most the limit)');
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['updated_at']);
  });
  await knex.raw(`
    insert into portal_login_attempts (key, locked_until)
    select key, locked_until from portal_lockouts where locked_until > now()`);
  await knex.schema.dropTable('portal_lockouts');

  await knex.raw(`
    create function portal_count_attempt(attempt_key text, max_attempts integer, lockout interval)
      returns table (admitted boolean, locked_now boolean, counted integer) language plpgsql as $$
    declare
      prev timestamptz[];
      prev_locked timestamptz;
      recent timestamptz[];
    begin
      -- Creates or locks the key's row: from here, parallel lookups of this key wait for this one.
      insert into portal_login_attempts as t (key) values (attempt_key)
        on conflict (key) do update set key = t.key
        returning t.attempts, t.locked_until into prev, prev_locked;
      recent := array(select x from unnest(prev) x where x > now() - lockout order by x);
      if prev_locked > now() or cardinality(recent) >= max_attempts then
        -- Refused: not compared, not counted again, and the lock is not extended.
        update portal_login_attempts set attempts = recent, updated_at = now() where key = attempt_key;
        return query select false, false, cardinality(recent);
        return;
      end if;
      recent := recent || now();
      update portal_login_attempts
         set attempts = recent, updated_at = now(),
             locked_until = case when cardinality(recent) >= max_attempts then now() + lockout else locked_until end
       where key = attempt_key;
      return query select true, cardinality(recent) >= max_attempts, cardinality(recent);
    end $$;

    create function portal_count_lookup(client_key text, client_max integer, account_key text, account_max integer, lockout interval)
      returns table (admitted boolean, refused_by text, client_locked_now boolean, account_locked_now boolean, account_attempts integer)
      language plpgsql as $$
    declare
      c record;
      a record;
    begin
      -- Rows no lookup has touched for a window and that hold no lock count nothing any more: a few go each time.
      delete from portal_login_attempts where key in (
        select s.key from portal_login_attempts s
         where s.updated_at < now() - lockout and coalesce(s.locked_until, '-infinity') <= now()
         order by s.updated_at limit 20 for update skip locked);
      -- The client first, then the account, in every lookup: one lock order, no deadlock. A refused client does not
      -- spend the account's attempts.
      select * into c from portal_count_attempt(client_key, client_max, lockout);
      if not c.admitted then
        return query select false, 'client'::text, false, false, null::integer;
        return;
      end if;
      select * into a from portal_count_attempt(account_key, account_max, lockout);
      return query select a.admitted, case when a.admitted then null else 'account' end, c.locked_now, a.locked_now, a.counted;
    end $$;
  `);

  await knex.schema.createTable('portal_sessions', (t) => {
    t.text('id_sha256').primary().comment('SHA-256 of the cookie value; the value itself is never stored');
    t.uuid('patient_id').notNullable().references('patients.id');
    t.text('csrf_token').notNullable().comment('random; every signed-in portal form must post it back');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['patient_id']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('portal_sessions');
  await knex.raw('drop function portal_count_lookup(text, integer, text, integer, interval)');
  await knex.raw('drop function portal_count_attempt(text, integer, interval)');
  await knex.schema.createTable('portal_lockouts', (t) => {
    t.text('key').primary().comment('account:<hmac> or client:<hmac>');
    t.timestamp('locked_until', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('insert into portal_lockouts (key, locked_until) select key, locked_until from portal_login_attempts where locked_until > now()');
  await knex.schema.dropTable('portal_login_attempts');
  await knex.schema.createTable('portal_login_attempts', (t) => {
    t.bigIncrements('id');
    t.text('account_key').notNullable().comment('HMAC of the normalised account id');
    t.text('client_key').notNullable().comment('HMAC of the client IP address');
    t.boolean('succeeded').notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_key', 'at']);
    t.index(['client_key', 'at']);
  });
}
