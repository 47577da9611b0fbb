/** RFC 9457 problem details. Every error answer of the API goes through here: no stack traces, no PHI. */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { appErrorOf } from '../app/errors';
import { AppError, printable, type FieldProblem } from '../lib/errors';
import { safeError, type Logger } from '../lib/logger';
import { outageOf, unavailableFor } from '../lib/outage';
import { requestFaultOf } from './request-faults';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

/** Sends an AppError as problem+json, with `Retry-After` when it says when to retry. */
export function sendAppError(res: Response, err: AppError, instance?: string): void {
  if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  sendProblem(res, problemOf(err, instance));
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').json(printableProblem(problem));
}

export function problemOf(err: AppError, instance?: string): Problem {
  return printableProblem({
    type: `/problems/${err.type}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    ...(instance ? { instance } : {}),
    ...(err.fields ? { errors: err.fields } : {}),
  });
}

/** A second line of defence behind validationFailed: what a problem echoes goes out printable (lib/errors.ts), so it
 *  can be sent, logged and stored (idempotent and webhook answers) whatever the caller sent. */
function printableProblem(problem: Problem): Problem {
  return {
    ...problem,
    detail: printable(problem.detail, 2000),
    ...(problem.instance !== undefined ? { instance: printable(problem.instance, 300) } : {}),
    ...(problem.errors ? { errors: problem.errors.map((f) => ({ field: printable(f.field), reason: printable(f.reason, 300) })) } : {}),
  };
}

export const notFoundHandler: RequestHandler = (req, res) =>
  sendProblem(res, { type: '/problems/not-found', title: 'Not found', status: 404, detail: `No route for ${req.method} ${req.path}.`, instance: req.path });

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (caught: unknown, req, res, next) => {
    if (res.headersSent) return next(caught);
    const err = appErrorOf(caught); // what db/ raised, as the app layer answers it
    // Ours, or a request the body parsers or the router refused before any handler (http/request-faults.ts).
    const known = err instanceof AppError ? err : requestFaultOf(err)?.error;
    if (known) return sendAppError(res, known, req.path);
    // A dependency is down: say so at once (503 + Retry-After) rather than 500. The kind is enough to act on; the
    // error's class and scrubbed message help tell a refused connection from a timeout.
    const outage = outageOf(err);
    if (outage) {
      log.warn({ outage, error: safeError(err), reqId: req.id }, 'dependency unavailable');
      return sendAppError(res, unavailableFor(outage), req.path);
    }
    // Unexpected: log the error's class and scrubbed message only (never the request body), answer without details.
    log.error({ error: safeError(err), reqId: req.id }, 'unhandled error');
    sendProblem(res, { type: '/problems/internal', title: 'Internal error', status: 500, detail: 'Something went wrong on our side. It has been logged.', instance: req.path });
  };
}
