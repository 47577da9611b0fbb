/**
 * `Idempotency-Key` on POSTs: the first request with a key runs and its response is stored; a retry with the same
 * key and body gets the stored response replayed; the same key while the first is still running → 409; the same
 * key with a different body → 422. Keys are scoped to the staff user.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Db } from '../db/connection';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../db/queries/idempotency';
import { AppError, badRequest, conflict } from '../lib/errors';

const KEY = /^[A-Za-z0-9._:-]{8,100}$/;

export function idempotency(db: Db): RequestHandler {
  return async (req, res, next) => {
    const key = req.header('Idempotency-Key');
    if (key === undefined) return next();
    if (!KEY.test(key)) throw badRequest('Idempotency-Key must be 8-100 letters, digits or . _ : -', [{ field: 'Idempotency-Key', reason: 'malformed' }]);
    const principal = `${req.staff?.practiceId ?? 'anonymous'}:${req.staff?.id ?? 'anonymous'}`;
    const hash = createHash('sha256').update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`).digest('hex');

    const outcome = await claimIdempotencyKey(db, principal, key, hash);
    if (outcome.kind === 'in_progress') throw conflict('A request with this Idempotency-Key is still being processed; retry shortly.');
    if (outcome.kind === 'mismatch') throw new AppError(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request body.');
    if (outcome.kind === 'replay') {
      res.status(outcome.status).setHeader('Idempotent-Replayed', 'true');
      res.type(outcome.status >= 400 ? 'application/problem+json' : 'application/json').send(JSON.stringify(outcome.body));
      return;
    }

    // Record what we answer, once the handler has answered; a 5xx releases the key so the client may retry.
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const settle = res.statusCode >= 500 ? releaseIdempotencyKey(db, principal, key) : completeIdempotencyKey(db, principal, key, res.statusCode, body);
      void settle.finally(() => json(body));
      return res;
    };
    next();
  };
}
