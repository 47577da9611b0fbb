/**
 * Limits on guessing staff and engineer credentials (issue 13; on PostgreSQL since issue 15): too many tokens refused
 * from one client address, or sharing a token prefix, within a window → further attempts are refused with 429 and
 * `Retry-After` *before* the token is compared, until the window ends.
 *
 * Sign-in (the staff page's, the codec's) counts the attempt first and gives it back when the token is accepted: parallel
 * guesses cannot slip past the limit between a check and a count. Bearer tokens on `/v1` do the same (`bearer`): a token
 * this process has not yet accepted is counted before it is compared and given back once accepted, so a burst of
 * parallel guesses gets no more comparisons than the limit. Machine traffic is not throttled by that: a token this
 * process accepted within the window is only checked against the limits (not counted in flight), and parallel first
 * requests with one token from one client wait for the first one's answer (counted once). The codec's bearer tokens
 * (`blocked`/`refused`) count refusals only (compared in memory with the configured engineer tokens; a burst may
 * overshoot by its size, which random 16-200 character tokens make harmless). Only a presented token counts: a request
 * without one (a browser, the Temporal UI before its engineer signs in) guesses nothing. One set of counters per app,
 * shared by all three surfaces.
 *
 * The counters live in PostgreSQL (`rate_limits`, db/queries/rate-limits.ts) when the app gives its database: every API
 * process counts against the same limits, atomically (one upsert per count). If PostgreSQL cannot be reached the error
 * propagates and the request is answered 503 like any other outage (lib/outage.ts), never let through uncounted.
 * Without a database (unit tests, a route built on its own) they are kept in memory. The client address is the
 * portal's (PORTAL_TRUSTED_PROXY_HOPS), an IPv6 address counted by its /64 (one host usually holds a whole /64). Keys
 * are hashed: no token prefix is stored in clear.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Db } from '../db/connection';
import { postgresRateLimiter } from '../db/queries/rate-limits';
import { clientAddress } from './client-address';

export interface CredentialLimits {
  windowMs: number;
  /** Refused credentials from one client address within the window. */
  perClient: number;
  /** Refused credentials sharing their first PREFIX_LENGTH characters within the window. */
  perTokenPrefix: number;
}

export const DEFAULT_CREDENTIAL_LIMITS: CredentialLimits = { windowMs: 15 * 60_000, perClient: 30, perTokenPrefix: 10 };
const PREFIX_LENGTH = 8;

export interface CredentialGuard {
  /** Sign-in: counts this attempt; the seconds to wait when it is over a limit (then do not compare the token). */
  attempt(req: Request, token: string | undefined): Promise<number | undefined>;
  /** Sign-in: the token was accepted, the attempt is given back. */
  accepted(req: Request, token: string | undefined): Promise<void>;
  /** Bearer tokens: the seconds to wait when over a limit already (then do not compare the token). */
  blocked(req: Request, token: string | undefined): Promise<number | undefined>;
  /** Bearer tokens: this one was refused. */
  refused(req: Request, token: string | undefined): Promise<void>;
  /**
   * A bearer token on every request, atomically: `verify` (the comparison) runs only within the limits; a token not yet
   * accepted by this process is counted before it and given back when accepted.
   */
  bearer<T>(req: Request, token: string, verify: () => Promise<T | undefined>): Promise<BearerOutcome<T>>;
}

export type BearerOutcome<T> = { accepted: T } | { refused: true } | { wait: number };

/** Tokens accepted by this process, remembered (by their hash) for at most this many. */
const KNOWN_TOKENS_MAX = 10_000;

const hashed = (kind: string, value: string) => `${kind}:${createHash('sha256').update(value).digest('base64url')}`;

/** An IPv6 address by its first four groups (its /64); IPv4 (also IPv4-mapped) as it is. */
export function addressKey(address: string): string {
  if (!address.includes(':') || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address.replace(/^::ffff:/i, '');
  const [head = '', tail] = address.split('::');
  const groups = head.split(':').filter(Boolean);
  if (tail !== undefined) {
    const rest = tail.split(':').filter(Boolean);
    groups.push(...Array<string>(Math.max(0, 8 - groups.length - rest.length)).fill('0'), ...rest);
  }
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

const secondsOf = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

export function createCredentialGuard(limits: Partial<CredentialLimits> = {}, trustedProxyHops = 0, db?: Db): CredentialGuard {
  const l = { ...DEFAULT_CREDENTIAL_LIMITS, ...limits };
  const duration = Math.max(1, Math.ceil(l.windowMs / 1000));
  const limiter = (keyPrefix: string, points: number, clearExpired: boolean): RateLimiterAbstract => (db
    ? postgresRateLimiter(db, { keyPrefix, points, duration, clearExpired })
    : new RateLimiterMemory({ keyPrefix, points, duration }));
  const byClient = limiter('credential-client', l.perClient, true);
  const byPrefix = limiter('credential-prefix', l.perTokenPrefix, false);
  const keys = (req: Request, token: string | undefined) => ({
    client: hashed('client', addressKey(clientAddress(req, trustedProxyHops))),
    prefix: token ? hashed('prefix', token.slice(0, PREFIX_LENGTH)) : undefined,
  });
  /** consume() rejects with the limiter's answer when over the limit, and with an Error when the store fails: that one
   *  is thrown on (an outage answers 503; an uncounted attempt must not be compared). */
  const consume = (limiter: RateLimiterAbstract, key: string) =>
    limiter.consume(key).then(() => undefined, (res: unknown) => {
      if (res instanceof RateLimiterRes) return secondsOf(res);
      throw res;
    });
  const waitOf = async (limiter: RateLimiterAbstract, key: string, limit: number) => {
    const res = await limiter.get(key);
    return res && res.consumedPoints >= limit ? secondsOf(res) : undefined;
  };
  const longest = (waits: (number | undefined)[]) => {
    const set = waits.filter((w): w is number => w !== undefined);
    return set.length > 0 ? Math.max(...set) : undefined;
  };
  type Keys = ReturnType<typeof keys>;
  const attemptBy = async (k: Keys) => longest(await Promise.all([consume(byClient, k.client), k.prefix ? consume(byPrefix, k.prefix) : undefined]));
  const giveBack = async (k: Keys) => {
    await Promise.all([byClient.reward(k.client), k.prefix ? byPrefix.reward(k.prefix) : undefined]);
  };
  const blockedBy = async (k: Keys) =>
    longest(await Promise.all([waitOf(byClient, k.client, l.perClient), k.prefix ? waitOf(byPrefix, k.prefix, l.perTokenPrefix) : undefined]));

  /** Token hash → until when this process trusts it not to be a guess (it was accepted). */
  const known = new Map<string, number>();
  /** Client and token hash → the first request's answer, which parallel requests with the same token share. */
  const inFlight = new Map<string, Promise<BearerOutcome<unknown>>>();
  const remember = (tokenKey: string) => {
    known.delete(tokenKey);
    if (known.size >= KNOWN_TOKENS_MAX) known.delete(known.keys().next().value!);
    known.set(tokenKey, Date.now() + l.windowMs);
  };

  return {
    attempt: (req, token) => attemptBy(keys(req, token)),
    accepted: (req, token) => giveBack(keys(req, token)),
    blocked: (req, token) => blockedBy(keys(req, token)),
    async refused(req, token) {
      await attemptBy(keys(req, token));
    },
    async bearer<T>(req: Request, token: string, verify: () => Promise<T | undefined>): Promise<BearerOutcome<T>> {
      const k = keys(req, token);
      const tokenKey = hashed('token', token);
      if ((known.get(tokenKey) ?? 0) > Date.now()) {
        const wait = await blockedBy(k);
        if (wait !== undefined) return { wait };
        const staff = await verify();
        if (staff !== undefined) return { accepted: staff };
        // Accepted before, refused now (revoked, expired): a refusal like any other.
        known.delete(tokenKey);
        const over = await attemptBy(k);
        return over === undefined ? { refused: true } : { wait: over };
      }
      const flightKey = `${k.client} ${tokenKey}`;
      const joined = inFlight.get(flightKey) as Promise<BearerOutcome<T>> | undefined;
      if (joined) return joined;
      const first = (async (): Promise<BearerOutcome<T>> => {
        const wait = await attemptBy(k);
        if (wait !== undefined) return { wait };
        const staff = await verify();
        if (staff === undefined) return { refused: true };
        await giveBack(k);
        remember(tokenKey);
        return { accepted: staff };
      })();
      inFlight.set(flightKey, first);
      try {
        return await first;
      } finally {
        inFlight.delete(flightKey);
      }
    },
  };
}
