/**
 * Limits on guessing staff and engineer credentials (issue 13): too many tokens refused from one client address, or
 * sharing a token prefix, within a window → further attempts are refused with 429 and `Retry-After` *before* the token
 * is compared, until the window ends.
 *
 * Sign-in (the staff page's, the codec's) counts the attempt first and gives it back when the token is accepted: parallel
 * guesses cannot slip past the limit between a check and a count. Bearer tokens on every request (`/v1`, the codec's
 * encode and decode) count only refusals (machine traffic runs many requests at once from one address; counting those
 * in flight would refuse an integrator's burst), and are refused before the comparison once over the limit; a burst of
 * parallel guesses may overshoot by its size, which random 16-200 character tokens make harmless. Only a presented
 * token counts: a request without one (a browser, the Temporal UI before its engineer signs in) guesses nothing. One set
 * of counters per app, shared by all three surfaces.
 *
 * Counters are kept in memory per API process (rate-limiter-flexible): N replicas allow N times the limits. The client
 * address is the portal's (PORTAL_TRUSTED_PROXY_HOPS), an IPv6 address counted by its /64 (one host usually holds a
 * whole /64). Keys are hashed: no token prefix sits in memory in clear.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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
}

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

export function createCredentialGuard(limits: Partial<CredentialLimits> = {}, trustedProxyHops = 0): CredentialGuard {
  const l = { ...DEFAULT_CREDENTIAL_LIMITS, ...limits };
  const duration = Math.max(1, Math.ceil(l.windowMs / 1000));
  const byClient = new RateLimiterMemory({ keyPrefix: 'credential-client', points: l.perClient, duration });
  const byPrefix = new RateLimiterMemory({ keyPrefix: 'credential-prefix', points: l.perTokenPrefix, duration });
  const keys = (req: Request, token: string | undefined) => ({
    client: hashed('client', addressKey(clientAddress(req, trustedProxyHops))),
    prefix: token ? hashed('prefix', token.slice(0, PREFIX_LENGTH)) : undefined,
  });
  /** consume() rejects with the limiter's answer when over the limit (and with an Error only if the store fails). */
  const consume = (limiter: RateLimiterMemory, key: string) =>
    limiter.consume(key).then(() => undefined, (res: unknown) => (res instanceof RateLimiterRes ? secondsOf(res) : undefined));
  const waitOf = async (limiter: RateLimiterMemory, key: string, limit: number) => {
    const res = await limiter.get(key);
    return res && res.consumedPoints >= limit ? secondsOf(res) : undefined;
  };
  const longest = (waits: (number | undefined)[]) => {
    const set = waits.filter((w): w is number => w !== undefined);
    return set.length > 0 ? Math.max(...set) : undefined;
  };

  return {
    async attempt(req, token) {
      const k = keys(req, token);
      return longest(await Promise.all([consume(byClient, k.client), k.prefix ? consume(byPrefix, k.prefix) : undefined]));
    },
    async accepted(req, token) {
      const k = keys(req, token);
      await Promise.all([byClient.reward(k.client), k.prefix ? byPrefix.reward(k.prefix) : undefined]);
    },
    async blocked(req, token) {
      const k = keys(req, token);
      return longest(await Promise.all([waitOf(byClient, k.client, l.perClient), k.prefix ? waitOf(byPrefix, k.prefix, l.perTokenPrefix) : undefined]));
    },
    async refused(req, token) {
      const k = keys(req, token);
      await Promise.all([consume(byClient, k.client), k.prefix ? consume(byPrefix, k.prefix) : undefined]);
    },
  };
}
