/**
 * A JSON answer typed by its response schema (contracts/): `body` must have the shape the schema describes (a Date
 * where it says a string), so TypeScript flags a handler whose answer drifts from the description. Nothing is checked
 * or changed at run time: the bytes are `res.status(status).json(body)`'s. The integration tests check the bodies
 * against the schemas as well (server/response-check.ts).
 */
import type { Response } from 'express';
import type { z } from 'zod';
import type { ResponseBody } from '../contracts/operation';

export function sendJson<S extends z.ZodType>(res: Response, status: number, _schema: S, body: ResponseBody<S>): void {
  res.status(status).json(body);
}
