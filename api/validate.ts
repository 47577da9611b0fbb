/** Request validation with zod: unknown fields are refused, every problem names its field. */
import type { z } from 'zod';
import { validationFailed } from '../lib/errors';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
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

/** Path parameters that must be UUIDs: anything else is simply not found (never a 500 from PostgreSQL). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
