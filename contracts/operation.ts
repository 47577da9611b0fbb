/**
 * How contracts/ describes one HTTP operation: plain data around zod schemas, shaped like the route configs of
 * `@asteasolutions/zod-to-openapi`, so server/openapi.ts registers each as it is and the description is generated from
 * the very schemas that validate the requests and type the answers. Also the small builders every family shares, and
 * `JsonOf`, the type a handler's answer must have for its JSON to match a response schema.
 *
 * Pure: zod (for its types) only.
 */
import { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'options';
export interface Reference { $ref: string }
/** Media type → the schema of the body in it. */
export type Content = Record<string, { schema: z.ZodType }>;
export interface Answer { description: string; headers?: z.ZodObject; content?: Content }

export interface Operation {
  method: Method;
  /** OpenAPI form: `/v1/collections/{collectionId}`. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** `[]`: public. Omitted: the document's default (the staff bearer token). */
  security?: Record<string, string[]>[];
  request?: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    headers?: z.ZodObject;
    body?: { required?: boolean; content: Content };
  };
  responses: Record<number, Answer | Reference>;
  /** OpenAPI specification extensions (none used; the generator's route type allows them). */
  [extension: `x-${string}`]: unknown;
}

// ── answers ──────────────────────────────────────────────────────────────────────────────────────────────────
/** RFC 9457 problem details (application/problem+json): components.responses.Problem of the document. */
export const problem: Reference = { $ref: '#/components/responses/Problem' };
/** The refusals of the JSON API; 503: a dependency (Temporal, PostgreSQL, a restarting worker) is unreachable, `Retry-After` says when to retry. */
export const apiErrors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 413: problem, 422: problem, 503: problem } as const;

export const json = (description: string, schema: z.ZodType, headers?: z.ZodObject): Answer => ({
  description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } },
});
const text = (type: string) => (description: string): Answer => ({ description, content: { [type]: { schema: z.string() } } });
export const htmlPage = text('text/html');
export const csvFile = text('text/csv');
export const stylesheet = text('text/css');
export const script = text('text/javascript');
export const plainText = text('text/plain');
/** 303 See Other (POST/redirect/GET, or to a sign-in page). */
export const seeOther = (description: string): Answer => ({ description, headers: z.object({ Location: z.string() }) });
export const noContent = (description: string): Answer => ({ description });

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────
/** Path parameters that are ids: anything else answers 404. */
export const pathIds = (...names: string[]): z.ZodObject => z.object(Object.fromEntries(names.map((n) => [n, z.uuid()])));
export const jsonBody = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': { schema } } });
export const formBody = (schema: z.ZodType) => ({ required: true, content: { 'application/x-www-form-urlencoded': { schema } } });
/** A body that must be an empty JSON object (or absent): any field is refused by name. */
export const emptyBody = z.strictObject({});
/** An optional `Idempotency-Key` header (api/idempotency.ts): a retry with the same key gets the first answer. */
export const idempotencyKey = z.object({ 'Idempotency-Key': z.string().optional() });

// ── typing the answers ───────────────────────────────────────────────────────────────────────────────────────
/**
 * What a handler may give `res.json` so that the JSON it sends is a `T`: the same shape, where a plain string may also
 * be a Date (Date#toJSON writes the ISO instant). String literals stay literal.
 */
export type JsonOf<T> = T extends string
  ? string extends T ? string | Date : T
  : T extends readonly (infer U)[] ? readonly JsonOf<U>[]
    : T extends object ? { [K in keyof T]: JsonOf<T[K]> } : T;

/** The answer a handler must give for the response schema `S`. */
export type ResponseBody<S extends z.ZodType> = JsonOf<z.output<S>>;
