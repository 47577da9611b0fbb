/**
 * `Idempotency-Key` on POSTs: the first request with a key runs and its final response is stored (not a 5xx or a
 * 202); a retry with the same key and body gets the stored response replayed; the same key while the first is still
 * running → 409 with `Retry-After`; the same key with a different body → 422. Keys are scoped to the staff user.
 * A request holds its key for a lease (`IDEMPOTENCY_LEASE`): if its process dies, a retry after the lease takes the key
 * over and runs again, and the handlers (idempotent by their business key: one collection per visit) answer it from
 * what the first run left. A handler whose answer must not be kept (an API token's secret) stores what replays answer
 * instead (`replayInstead`).
 */
import { createHash } from 'node:crypto';
import type { Application, RequestHandler, Response } from 'express';
import type { Db } from '../db/connection';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../db/queries/idempotency';
import { AppError, badRequest, conflict } from '../lib/errors';
import { safeError } from '../lib/logger';
import { MAX_JSON_DEPTH, nestedDeeperThan, tooDeep } from '../http/json-body';

const KEY = /^[A-Za-z0-9._:-]{8,100}$/;

export interface IdempotencySettings {
  /** How long a request holds its key before a retry may take it over (ms). */
  leaseMs: number;
}

export const DEFAULT_IDEMPOTENCY_SETTINGS: IdempotencySettings = { leaseMs: 30_000 };
const APP_SETTINGS = 'idempotency';

/** Called by createApp: the settings every `idempotency()` middleware of this app uses unless given its own. */
export function setIdempotencySettings(app: Application, settings: Partial<IdempotencySettings> = {}): void {
  app.locals[APP_SETTINGS] = { ...DEFAULT_IDEMPOTENCY_SETTINGS, ...settings };
}

/** What identifies "the same request": method, URL and body. JSON.stringify recurses, so a body nested deeper than
 *  the JSON parser lets through (http/json-body.ts) is refused here too rather than overflowing the stack. */
export function idempotencyRequestHash(method: string, originalUrl: string, body: unknown): string {
  if (nestedDeeperThan(body, MAX_JSON_DEPTH)) throw tooDeep();
  return createHash('sha256').update(`${method} ${originalUrl}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

/** What a replay of this request answers instead of its own answer, when that must not be stored. */
export interface IdempotentReplay { status: number; body: unknown }
const REPLAY_INSTEAD = 'idempotentReplay';

/** Called by a handler before it answers: the key's replays get `replay` (e.g. a 409 problem), not this answer. */
export function replayInstead(res: Response, replay: IdempotentReplay): void {
  res.locals[REPLAY_INSTEAD] = replay;
}

export function idempotency(db: Db, own?: Partial<IdempotencySettings>): RequestHandler {
  return async (req, res, next) => {
    const key = req.header('Idempotency-Key');
    if (key === undefined) return next();
    if (!KEY.test(key)) throw badRequest('Idempotency-Key must be 8-100 letters, digits or . _ : -', [{ field: 'Idempotency-Key', reason: 'malformed' }]);
    const settings: IdempotencySettings = { ...DEFAULT_IDEMPOTENCY_SETTINGS, ...(req.app.locals[APP_SETTINGS] as Partial<IdempotencySettings> | undefined), ...own };
    const principal = `${req.staff?.practiceId ?? 'anonymous'}:${req.staff?.id ?? 'anonymous'}`;
    const hash = idempotencyRequestHash(req.method, req.originalUrl, req.body);

    const outcome = await claimIdempotencyKey(db, principal, key, hash, settings.leaseMs);
    if (outcome.kind === 'in_progress') throw conflict('A request with this Idempotency-Key is still being processed; retry shortly.', outcome.retryAfterSeconds);
    if (outcome.kind === 'mismatch') throw new AppError(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request body.');
    if (outcome.kind === 'replay') {
      res.status(outcome.status).setHeader('Idempotent-Replayed', 'true');
      res.type(outcome.status >= 400 ? 'application/problem+json' : 'application/json').send(JSON.stringify(outcome.body));
      return;
    }

    // Record what we answer, once the handler has answered. A 5xx releases the key so the client may retry; so does a
    // 202 (accepted, its result still coming, e.g. Collect Now before the payment link): replayed, it would repeat
    // "pending" forever, run again it is answered from what exists by then. If the answer cannot be stored
    // (PostgreSQL refuses it, or is gone), the key is released too and the answer still sent. `answer` never rejects:
    // an unhandled rejection here would end the process for every request in flight (issue 13).
    const { lockId } = outcome;
    const json = res.json.bind(res);
    const settle = async (body: unknown) => {
      if (res.statusCode >= 500 || res.statusCode === 202) return releaseIdempotencyKey(db, principal, key, lockId);
      // A handler whose answer must not be stored (an API token's secret, shown once) names what a replay answers.
      const replay = res.locals[REPLAY_INSTEAD] as IdempotentReplay | undefined;
      try {
        await completeIdempotencyKey(db, principal, key, lockId, replay?.status ?? res.statusCode, replay ? replay.body : body);
      } catch (err) {
        req.log?.warn({ error: safeError(err) }, 'idempotency: the answer could not be stored; key released');
        await releaseIdempotencyKey(db, principal, key, lockId);
      }
    };
    const answer = async (body: unknown) => {
      try {
        await settle(body);
      } catch (err) {
        req.log?.warn({ error: safeError(err) }, 'idempotency: the key could not be released; it frees itself after its lease');
      }
      try {
        json(body);
      } catch (err) {
        req.log?.error({ error: safeError(err) }, 'idempotency: the answer could not be sent');
        try {
          if (!res.headersSent) res.status(500).end();
        } catch {
          // The connection is gone: nothing left to tell the client.
        }
      }
    };
    res.json = (body: unknown) => {
      void answer(body);
      return res;
    };
    next();
  };
}
