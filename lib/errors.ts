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

/** The characters `printable` escapes (pages escape the same ones, lib/html.ts): control, invisible formatting,
 *  unpaired surrogates, line and paragraph separators. */
export const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu;
/** One such character as visible text: `\x00`, `\u202e`. */
export function visibleEscape(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text that echoes what the caller sent (a field name, an unknown parameter) as it may safely travel: control,
 * invisible formatting and unpaired surrogate characters become visible escapes (`\x00`, `\u202e`), so none reaches a
 * terminal, a log line or PostgreSQL (which refuses NUL and lone surrogates, e.g. in a stored idempotent answer), and a
 * huge name is cut.
 */
export function printable(text: string, max = 100): string {
  const escaped = text.replace(UNPRINTABLE, visibleEscape);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

export const validationFailed = (given: FieldProblem[]) => {
  const fields = given.map((f) => ({ field: printable(f.field), reason: printable(f.reason, 300) }));
  return new AppError(422, 'validation-failed', 'Validation failed', fields.map((f) => `${f.field}: ${f.reason}`).join('; '), fields);
};
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new AppError(429, 'too-many-requests', 'Too many requests', detail, undefined, retryAfterSeconds);
export const notFound = (what = 'resource') => new AppError(404, 'not-found', 'Not found', `No such ${what}.`);
export const unauthorized = (detail = 'Missing or invalid credentials.') =>
  new AppError(401, 'unauthorized', 'Unauthorized', detail);
export const forbidden = (detail = 'Your role does not allow this.') => new AppError(403, 'forbidden', 'Forbidden', detail);
export const conflict = (detail: string, retryAfterSeconds?: number) =>
  new AppError(409, 'conflict', 'Conflict', detail, undefined, retryAfterSeconds);
export const unavailable = (detail: string, retryAfterSeconds?: number) =>
  new AppError(503, 'unavailable', 'Service unavailable', detail, undefined, retryAfterSeconds);
