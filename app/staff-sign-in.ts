/**
 * Staff sign-in through the practice's own identity provider (OpenID Connect, authorization code + PKCE) with
 * `openid-client`, the maintained certified relying party. Per practice (db/queries/identity-providers.ts): issuer,
 * client id, the sealed client secret, the email domain its staff must have.
 *
 * begin: a random state, nonce and PKCE verifier; the state's hash, the nonce and the verifier are kept for 10 minutes
 *   (db/queries/staff-sign-ins.ts), the state goes to the browser (a cookie, compared at the callback: the callback
 *   must come back to the browser that started it) and to the provider.
 * complete: the state must be the browser's and still waiting (it is consumed: a replayed callback finds nothing);
 *   openid-client checks the answer's `iss`, exchanges the code with the verifier and checks the ID token's signature,
 *   `iss`, `aud`, expiry and nonce. The identity is matched to a staff row of THAT practice: by subject, else (first
 *   sign-in) by a verified email without a subject yet, which is then recorded. An email outside the practice's domain,
 *   an unknown or deactivated person, or a system owner is refused, audited, and nothing is created.
 * A provider that cannot be reached is IdentityProviderUnavailable (the page says so; sessions are not touched).
 */
import * as oidc from 'openid-client';
import type { Db } from '../db/connection';
import type { Staff } from '../db/queries/staff';
import { identityProviderOfPractice, practicesWithIdentityProviders, type IdentityProviderRow } from '../db/queries/identity-providers';
import { auditRefusedSignIn, linkSubject, saveSignIn, staffOfIdentity, takeSignIn } from '../db/queries/staff-sign-ins';
import { DEV_IDP_SECRET_KEY, openClientSecret } from './identity-providers';

export const SIGN_IN_TTL_MS = 10 * 60_000;
/** How long a provider's discovery document is reused. */
const DISCOVERY_TTL_MS = 10 * 60_000;
/** Seconds each call to the provider may take. */
const PROVIDER_TIMEOUT_S = 5;

export interface SignInDeps {
  db: Db;
  /** The key client secrets are sealed with (`IDP_SECRET_KEY`); the development one when omitted. */
  idpSecretKey?: string;
  /** `<PUBLIC_BASE_URL>/staff/oidc/callback`: registered with each practice's provider. */
  redirectUri: string;
}

export type RefusalReason = 'not_configured' | 'state' | 'provider' | 'domain' | 'unverified' | 'unknown' | 'deactivated';

/** The sign-in cannot go on; `reason` says which page to show. No session, no row created. */
export class SignInRefused extends Error {
  constructor(readonly reason: RefusalReason, message: string, readonly detail?: { allowedEmailDomain?: string }) {
    super(message);
    this.name = 'SignInRefused';
  }
}

/** The practice's identity provider did not answer (or answered 5xx / not as a provider). */
export class IdentityProviderUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityProviderUnavailable';
  }
}

/** The practices whose staff can sign in with an identity provider, for the sign-in page. */
export const signInChoices = (deps: { db: Db }) => practicesWithIdentityProviders(deps.db);

/** Plain http only to this machine (the local provider); anywhere else the provider must be https. */
const isLocal = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

const discovered = new Map<string, { config: oidc.Configuration; at: number }>();

async function configurationOf(deps: SignInDeps, idp: IdentityProviderRow): Promise<oidc.Configuration> {
  const key = `${idp.issuer}\n${idp.clientId}\n${idp.clientSecretEncrypted}`;
  const cached = discovered.get(key);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.config;
  const secret = openClientSecret(deps.idpSecretKey ?? DEV_IDP_SECRET_KEY, idp.practiceId, idp.clientSecretEncrypted);
  const issuer = new URL(idp.issuer);
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(issuer, idp.clientId, undefined, oidc.ClientSecretBasic(secret), {
      timeout: PROVIDER_TIMEOUT_S, ...(isLocal(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (err) {
    throw new IdentityProviderUnavailable(`The identity provider at ${issuer.origin} could not be reached (${describe(err)}).`, { cause: err });
  }
  // Client secret basic is the spec's default; a provider that does not list it gets the secret in the form body.
  const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
  if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
    config = new oidc.Configuration(config.serverMetadata(), idp.clientId, secret, oidc.ClientSecretPost(secret));
    if (isLocal(issuer)) oidc.allowInsecureRequests(config);
    config.timeout = PROVIDER_TIMEOUT_S;
  }
  discovered.set(key, { config, at: Date.now() });
  return config;
}

/** Starts a sign-in for the practice with this external id: where to send the browser, and the state for its cookie. */
/** What a practice's external id can be: printable text, not too long (a NUL byte would even make PostgreSQL refuse the lookup). */
const PRACTICE_EXTERNAL_ID = /^[^\p{Cc}]{1,200}$/u;

export async function beginSignIn(deps: SignInDeps, practiceExternalId: string): Promise<{ authorizationUrl: string; state: string }> {
  const idp = PRACTICE_EXTERNAL_ID.test(practiceExternalId) ? await identityProviderOfPractice(deps.db, { externalId: practiceExternalId }) : undefined;
  if (!idp) throw new SignInRefused('not_configured', 'This practice does not sign in with an identity provider here.');
  const config = await configurationOf(deps, idp);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  await saveSignIn(deps.db, { state, practiceId: idp.practiceId, nonce, codeVerifier, returnTo: '/staff/queue', ttlMs: SIGN_IN_TTL_MS });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: deps.redirectUri, scope: 'openid email profile', state, nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  return { authorizationUrl: url.href, state };
}

/**
 * Completes a sign-in from the provider's redirect (`query`: its query string) in the browser whose cookie holds
 * `browserState`: the staff member to start a session for, and where to go next.
 */
export async function completeSignIn(deps: SignInDeps, query: string, browserState: string | undefined): Promise<{ staff: Staff; returnTo: string }> {
  const currentUrl = new URL(deps.redirectUri);
  currentUrl.search = query;
  const state = currentUrl.searchParams.get('state') ?? '';
  if (!state || !browserState || state.length !== browserState.length || !safeEqual(state, browserState)) {
    throw new SignInRefused('state', 'This sign-in did not start in this browser, or it was already used.');
  }
  const pending = await takeSignIn(deps.db, state);
  if (!pending) throw new SignInRefused('state', 'This sign-in was already used or has expired.');
  const idp = await identityProviderOfPractice(deps.db, { practiceId: pending.practiceId });
  if (!idp) throw new SignInRefused('not_configured', 'This practice no longer signs in with an identity provider here.');
  const config = await configurationOf(deps, idp);

  let claims: { sub: string; email?: unknown; email_verified?: unknown };
  try {
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: pending.codeVerifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true,
    });
    claims = tokens.claims()!;
    // Providers that keep the ID token minimal (oidc-provider, Okta) give the email from the UserInfo endpoint, for the
    // same subject (openid-client checks it).
    if (typeof claims.email !== 'string' && config.serverMetadata().userinfo_endpoint) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      claims = { ...claims, email: info.email, email_verified: info.email_verified };
    }
  } catch (err) {
    if (unreachable(err)) {
      discovered.clear();
      throw new IdentityProviderUnavailable(`The identity provider at ${new URL(idp.issuer).origin} could not be reached (${describe(err)}).`, { cause: err });
    }
    await auditRefusedSignIn(deps.db, { practiceId: idp.practiceId, reason: `provider: ${describe(err)}`, issuer: idp.issuer });
    throw new SignInRefused('provider', `The identity provider did not sign you in (${describe(err)}).`);
  }

  const subject = claims.sub;
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : undefined;
  const refuse = async (reason: RefusalReason, message: string): Promise<never> => {
    await auditRefusedSignIn(deps.db, { practiceId: idp.practiceId, reason, ...(email ? { email } : {}), subject, issuer: idp.issuer });
    throw new SignInRefused(reason, message, { allowedEmailDomain: idp.allowedEmailDomain });
  };
  if (!email || email.slice(email.lastIndexOf('@') + 1) !== idp.allowedEmailDomain) {
    return refuse('domain', `Only ${idp.allowedEmailDomain} accounts can sign in to this practice.`);
  }
  const found = await staffOfIdentity(deps.db, idp.practiceId, subject, email);
  if (!found || found.kind !== 'person' || (found.oidcSubject !== null && found.oidcSubject !== subject)) {
    return refuse('unknown', 'No staff member of this practice has this account.');
  }
  if (found.deactivated) return refuse('deactivated', 'This staff member has been deactivated.');
  if (found.oidcSubject === null) {
    if (claims.email_verified !== true) return refuse('unverified', 'The identity provider has not verified this email address.');
    if (!(await linkSubject(deps.db, found, subject, idp.issuer))) return refuse('unknown', 'This staff member is linked to another account.');
  }
  return { staff: { id: found.id, practiceId: found.practiceId, role: found.role, displayName: found.displayName }, returnTo: pending.returnTo };
}

function safeEqual(a: string, b: string): boolean {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The error (or a cause of it) is the provider not answering: network, timeout, or a 5xx. */
function unreachable(err: unknown): boolean {
  // By shape, not instanceof: fetch's errors may come from another realm (jest's sandbox).
  const isError = (e: unknown): e is Error => typeof e === 'object' && e !== null && typeof (e as Error).name === 'string' && typeof (e as Error).message === 'string';
  for (let e: unknown = err, depth = 0; isError(e) && depth < 5; e = e.cause, depth++) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || (e.name === 'TypeError' && /fetch failed/i.test(e.message))) return true;
    if ('code' in e && typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|UND_ERR_)/.test(e.code)) return true;
    if ('status' in e && typeof e.status === 'number' && e.status >= 500) return true;
  }
  return false;
}

/** The provider's error code or our check that failed, without tokens or codes. */
function describe(err: unknown): string {
  if (err instanceof oidc.AuthorizationResponseError || err instanceof oidc.ResponseBodyError) return err.error;
  if (err instanceof Error) return 'code' in err && typeof err.code === 'string' ? err.code : err.message.slice(0, 120);
  return 'unknown error';
}
