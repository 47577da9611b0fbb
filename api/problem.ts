/** RFC 9457 problem details. Every error answer of the API goes through here: no stack traces, no PHI. */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, type FieldProblem } from '../lib/errors';
import { safeError, type Logger } from '../lib/logger';
import { outageOf, unavailableFor } from '../lib/outage';

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
  res.status(problem.status).type('application/problem+json').json(problem);
}

export function problemOf(err: AppError, instance?: string): Problem {
  return {
    type: `/problems/${err.type}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    ...(instance ? { instance } : {}),
    ...(err.fields ? { errors: err.fields } : {}),
  };
}

/** Errors raised by express's body parser carry a `type`; map them to what the caller did wrong. */
function bodyParserProblem(err: { type?: string; status?: number }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed-json', 'Malformed JSON', 'The request body is not valid JSON.', [{ field: 'body', reason: 'not valid JSON' }]);
    case 'entity.too.large':
      return new AppError(413, 'payload-too-large', 'Payload too large', 'The request body is larger than this endpoint accepts.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported-encoding', 'Unsupported encoding', 'Send the body as UTF-8 JSON.');
    default:
      return undefined;
  }
}

export const notFoundHandler: RequestHandler = (req, res) =>
  sendProblem(res, { type: '/problems/not-found', title: 'Not found', status: 404, detail: `No route for ${req.method} ${req.path}.`, instance: req.path });

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const known = err instanceof AppError ? err : bodyParserProblem(err as { type?: string });
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
