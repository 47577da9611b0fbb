/**
 * The one place errors are defined. Each carries an HTTP status and a problem type for RFC 9457
 * `application/problem+json` answers. Messages are written for the caller and never contain PHI.
 */
export interface FieldProblem {
  /** JSON path of the offending field, e.g. `amountCents` or `lines.0.claimId`. */
  field: string;
  reason: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    message: string,
    readonly fields?: FieldProblem[],
    /** When the caller may usefully retry (an outage, a request still running): sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export const badRequest = (detail: string, fields?: FieldProblem[]) =>
  new AppError(400, 'bad-request', 'Bad request', detail, fields);
export const validationFailed = (fields: FieldProblem[]) =>
  new AppError(422, 'validation-failed', 'Validation failed', fields.map((f) => `${f.field}: ${f.reason}`).join('; '), fields);
export const notFound = (what = 'resource') => new AppError(404, 'not-found', 'Not found', `No such ${what}.`);
export const unauthorized = (detail = 'Missing or invalid credentials.') =>
  new AppError(401, 'unauthorized', 'Unauthorized', detail);
export const forbidden = (detail = 'Your role does not allow this.') => new AppError(403, 'forbidden', 'Forbidden', detail);
export const conflict = (detail: string, retryAfterSeconds?: number) =>
  new AppError(409, 'conflict', 'Conflict', detail, undefined, retryAfterSeconds);
export const unavailable = (detail: string, retryAfterSeconds?: number) =>
  new AppError(503, 'unavailable', 'Service unavailable', detail, undefined, retryAfterSeconds);
