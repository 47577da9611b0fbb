/**
 * The JSON body parser of every JSON route: express.json, then a bound on nesting before anything else touches the
 * value. JSON.parse itself takes any depth, but what comes after it (JSON.stringify for the idempotency hash, schema
 * validation, logging) recurses, and a 64 kB body can nest 30,000 deep: "Maximum call stack size exceeded", a 500
 * (issue 13, fuzz-5). No body we accept nests more than a few levels.
 */
import express, { type RequestHandler } from 'express';
import { validationFailed } from '../lib/errors';

export const MAX_JSON_DEPTH = 32;

/** True when `value` nests objects and arrays more than `limit` deep (one level per object or array). Iterative: it
 *  must not itself overflow the stack on what it is there to refuse. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export const tooDeep = () => validationFailed([{ field: 'body', reason: `nested more than ${MAX_JSON_DEPTH} levels deep` }]);

type JsonOptions = NonNullable<Parameters<typeof express.json>[0]>;

export function jsonBody(options: { limit: string; verify?: JsonOptions['verify'] }): RequestHandler {
  const parse = express.json({ limit: options.limit, type: ['application/json', 'application/*+json'], ...(options.verify ? { verify: options.verify } : {}) });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (nestedDeeperThan(req.body, MAX_JSON_DEPTH)) return next(tooDeep());
      next();
    });
  };
}
