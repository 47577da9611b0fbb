/** Request validation with zod: unknown fields are refused, every problem names its field (printable: lib/errors.ts). */
import type { z } from 'zod';
import { validationFailed, type FieldProblem } from './errors';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const unstorable = unstorableStrings(body);
  if (unstorable.length > 0) throw validationFailed(unstorable);
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw validationFailed(
    result.error.issues.flatMap((i) => {
      const at = i.path.map(String).join('.');
      // An unknown field is named by its own path, e.g. `data.foo`.
      if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ field: at ? `${at}.${k}` : k, reason: 'unknown field' }));
      return [{ field: at || 'body', reason: i.message }];
    }),
  );
}

/** NUL, and a surrogate half without its other half (`u`: a pair is one character): PostgreSQL stores neither. */
const LONE_SURROGATE = /\p{Cs}/u;
const unstorable = (text: string) => text.includes('\0') || LONE_SURROGATE.test(text);

/**
 * String values the database could not store: refused up front with their field (422) rather than failing in
 * PostgreSQL (a 500, or an activity retrying a write that can never succeed). Keys are left to the schema (an unknown
 * key is refused by name). Iterative, so deep nesting cannot overflow the stack; at most a few problems are named.
 */
function unstorableStrings(body: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const todo: { value: unknown; path: string }[] = [{ value: body, path: '' }];
  while (todo.length > 0 && problems.length < 5) {
    const { value, path } = todo.pop()!;
    if (typeof value === 'string') {
      if (unstorable(value)) problems.push({ field: path || 'body', reason: 'contains a character that cannot be stored (NUL or an unpaired surrogate)' });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => todo.push({ value: v, path: path ? `${path}.${i}` : String(i) }));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) todo.push({ value: v, path: path ? `${path}.${k}` : k });
    }
  }
  return problems;
}

/** Path parameters that must be UUIDs: anything else is simply not found (never a 500 from PostgreSQL). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
