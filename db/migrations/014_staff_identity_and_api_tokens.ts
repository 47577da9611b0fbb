/**
 * Staff identity and practice onboarding (issue 15):
 * - `staff_users` become people (and systems) of a practice rather than holders of a token: an email (lower case, one
 *   per practice) to invite and match them by, the identity provider's subject once they first sign in, who invited
 *   them, and `deactivated_at` (a deactivated member signs in nowhere and their tokens stop working). `kind` says
 *   whether the row is a person or a system (the owner of an API token created for the billing system).
 * - `api_tokens`: credentials for systems and scripts, one row per token: its practice, its owner, name, role and
 *   expiry, only a keyed hash of the secret (HMAC-SHA-256 with the server's pepper: app/api-tokens.ts), its first
 *   characters to recognise it in a list, when it was last used and when it was revoked. The tokens the staff rows held
 *   (`staff_users.token_sha256`, plain SHA-256) move here as they are, marked `legacy_sha256`, and keep working.
 * - `practice_identity_providers`: a practice's OpenID Connect settings (issuer, client id, the client secret
 *   encrypted by the app, the email domain its staff must have).
 * - `staff_sign_ins`: a sign-in on its way through the identity provider (state, nonce, PKCE verifier), for 10
 *   minutes, consumed once.
 * - `rate_limits`: the counters of rate-limiter-flexible's PostgreSQL store (its own layout), shared by every API
 *   process: failed sign-ins and token uses per client and per account.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('staff_users', (t) => {
    t.text('email').comment('lower case; how a practice admin invites and the sign-in matches a person');
    t.text('oidc_subject').comment("the identity provider's subject, recorded at the first sign-in");
    t.text('kind').notNullable().defaultTo('person');
    t.text('invited_by');
    t.timestamp('deactivated_at', { useTz: true });
    t.check(`kind in ('person', 'system')`, [], 'staff_users_kind');
    t.check('email is null or email = lower(email)', [], 'staff_users_email_lower');
  });
  await knex.raw('create unique index staff_users_email_per_practice on staff_users (practice_id, email) where email is not null');
  await knex.raw('create unique index staff_users_subject_per_practice on staff_users (practice_id, oidc_subject) where oidc_subject is not null');

  await knex.schema.createTable('api_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('practice_id').notNullable().references('practices.id');
    t.uuid('staff_user_id').notNullable().references('staff_users.id').comment('whose actions the token performs (a person or a system)');
    t.text('name').notNullable();
    t.text('role').notNullable();
    t.text('secret_hash').notNullable().unique().comment('hex HMAC-SHA-256 of the token with the server pepper (legacy rows: plain SHA-256)');
    t.text('hash_scheme').notNullable().defaultTo('hmac_sha256');
    t.text('prefix').notNullable().comment('the first characters of the token, to recognise it in a list');
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).comment('null: never (only the seeded demo tokens)');
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    t.check(`role in ('front_desk', 'billing', 'admin')`, [], 'api_tokens_role');
    t.check(`hash_scheme in ('hmac_sha256', 'legacy_sha256')`, [], 'api_tokens_hash_scheme');
    t.index(['practice_id', 'created_at']);
  });
  await knex.raw(`
    insert into api_tokens (practice_id, staff_user_id, name, role, secret_hash, hash_scheme, prefix, created_by, created_at)
    select practice_id, id, display_name, role, token_sha256, 'legacy_sha256', '', 'migration:014', created_at from staff_users`);
  await knex.schema.alterTable('staff_users', (t) => {
    t.dropColumn('token_sha256');
  });

  await knex.schema.createTable('practice_identity_providers', (t) => {
    t.uuid('practice_id').primary().references('practices.id');
    t.text('issuer').notNullable().comment("the OpenID provider's issuer URL (discovery at /.well-known/openid-configuration)");
    t.text('client_id').notNullable();
    t.text('client_secret_encrypted').notNullable().comment('AES-256-GCM, by the app; never returned by the API');
    t.text('allowed_email_domain').notNullable().comment('lower case, e.g. clinic.example');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('updated_by').notNullable();
  });

  await knex.schema.createTable('staff_sign_ins', (t) => {
    t.text('state_sha256').primary();
    t.uuid('practice_id').notNullable().references('practices.id');
    t.text('nonce').notNullable();
    t.text('code_verifier').notNullable();
    t.text('return_to').notNullable().defaultTo('/staff');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });

  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
  await knex.schema.dropTable('staff_sign_ins');
  await knex.schema.dropTable('practice_identity_providers');
  await knex.schema.alterTable('staff_users', (t) => {
    t.text('token_sha256').unique();
  });
  await knex.raw(`
    update staff_users u set token_sha256 = (
      select secret_hash from api_tokens a where a.staff_user_id = u.id and a.hash_scheme = 'legacy_sha256' order by a.created_at limit 1)`);
  await knex.raw(`update staff_users set token_sha256 = 'deactivated:' || id where token_sha256 is null`);
  await knex.raw('alter table staff_users alter column token_sha256 set not null');
  await knex.schema.dropTable('api_tokens');
  await knex.raw('drop index staff_users_subject_per_practice');
  await knex.raw('drop index staff_users_email_per_practice');
  await knex.schema.alterTable('staff_users', (t) => {
    t.dropChecks(['staff_users_kind', 'staff_users_email_lower']);
    t.dropColumn('deactivated_at');
    t.dropColumn('invited_by');
    t.dropColumn('kind');
    t.dropColumn('oidc_subject');
    t.dropColumn('email');
  });
}
