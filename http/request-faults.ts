/**
 * Requests that fail before any handler reads them: the body parsers' errors (body-parser and raw-body, with zlib's or
 * brotli's underneath for a body that is not what its Content-Encoding says) and the router's path parameter that is
 * not valid percent-encoding. Each is the caller's doing, so each is a 4xx on every surface: the API's error handler
 * (http/problem.ts) sends `error` as problem+json, the staff pages and the portal show `page`. One table, so a parser
 * error cannot be mapped on one surface and a 500 on another (issue 13, fuzz-1 to fuzz-3). Nothing here echoes what
 * was sent (a header value, a path).
 */
import { AppError } from '../lib/errors';

export interface RequestFault {
  /** For the JSON API. */
  error: AppError;
  /** For a form's page: what went wrong and what to do, in the user's words. */
  page: { title: string; text: string };
}

const fault = (error: AppError, title: string, text: string): RequestFault => ({ error, page: { title, text } });

const tooLarge = (detail: string) => fault(new AppError(413, 'payload-too-large', 'Payload too large', detail),
  'Too much data', 'The form sent more than we accept. Go back, reload the page and try again.');
const unsupported = (detail: string) => fault(new AppError(415, 'unsupported-encoding', 'Unsupported encoding', detail),
  'This form could not be read', 'Your browser sent the form in a way we do not accept. Reload the page and try again.');
const unreadable = (detail: string, field: string, reason: string) => fault(new AppError(400, 'bad-request', 'Bad request', detail, [{ field, reason }]),
  'This form could not be read', 'The form did not arrive whole. Reload the page and try again.');

/** body-parser's and raw-body's error types. */
const BY_TYPE: Record<string, () => RequestFault> = {
  'entity.parse.failed': () => fault(new AppError(400, 'malformed-json', 'Malformed JSON', 'The request body is not valid JSON.', [{ field: 'body', reason: 'not valid JSON' }]),
    'This form could not be read', 'The form did not arrive whole. Reload the page and try again.'),
  'entity.too.large': () => tooLarge('The request body is larger than this endpoint accepts.'),
  'parameters.too.many': () => tooLarge('The form has more fields than this endpoint accepts.'),
  'encoding.unsupported': () => unsupported('This Content-Encoding is not supported: send the body uncompressed, or as gzip, deflate or br.'),
  'charset.unsupported': () => unsupported('Send the body as UTF-8.'),
  'request.aborted': () => unreadable('The request body ended early.', 'body', 'incomplete'),
  'request.size.invalid': () => unreadable('The request body is not as long as its Content-Length says.', 'Content-Length', 'does not match the body'),
};

export function requestFaultOf(err: unknown): RequestFault | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; code?: unknown };
  const byType = typeof e.type === 'string' ? BY_TYPE[e.type] : undefined;
  if (byType) return byType();
  // The router's URIError "Failed to decode param" (status 400): a path segment like %E0%A4%A or %FF%FE.
  if (err instanceof URIError && e.status === 400) {
    return fault(new AppError(400, 'bad-request', 'Bad request', 'The path is not valid percent-encoding.', [{ field: 'path', reason: 'not valid percent-encoding' }]),
      'This address is not valid', 'Part of this address could not be read. Go back and follow the link again.');
  }
  // A body that does not decompress as its Content-Encoding says (zlib's Z_DATA_ERROR "incorrect header check",
  // Z_BUF_ERROR "unexpected end of file", brotli's ERR__ERROR_FORMAT_… "Decompression failed"): body-parser gives it
  // status 400 and no type. Any other client error it raises comes the same way (http-errors' `expose`, a 4xx): its
  // status, not a 500.
  if (e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    if (e.status === 400 && typeof e.code === 'string') return unreadable('The request body could not be decoded as its Content-Encoding says.', 'Content-Encoding', 'does not match the body');
    return fault(new AppError(e.status, 'bad-request', 'Bad request', 'The request could not be read.'),
      'This form could not be read', 'Reload the page and try again.');
  }
  return undefined;
}
