/** Probes, this description itself, and the metrics of the internal listener. */
import { z } from 'zod';
import { json, plainText, problem, type Operation } from './operation';

export const livenessSchema = z.strictObject({ status: z.literal('ok') });
const reachable = z.enum(['ok', 'unreachable']);
export const readinessSchema = z.strictObject({
  status: z.literal('ready'),
  checks: z.strictObject({ postgres: reachable, temporal: reachable, draining: z.boolean() }),
});
/** The OpenAPI document (server/openapi.ts); its parts are not restated here. */
export const openApiDocumentSchema = z.object({
  openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()).optional(),
});

export const healthOperations: Operation[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', security: [], responses: { 200: json('process up', livenessSchema) } },
  {
    method: 'get', path: '/readyz', summary: 'Readiness: PostgreSQL and Temporal reachable', security: [],
    responses: { 200: json('ready', readinessSchema), 503: problem },
  },
  { method: 'get', path: '/openapi.json', summary: 'This document', security: [], responses: { 200: json('OpenAPI document', openApiDocumentSchema) } },
  {
    method: 'get', path: '/metrics',
    summary: 'Prometheus metrics: HTTP latency by route template and status; in-flight collections and open manual tasks from PostgreSQL',
    description: 'Served on the internal metrics listener (API_METRICS_HOST:API_METRICS_PORT, 127.0.0.1:9465 by default), not on the public port, which answers 404.',
    tags: ['engineers'], security: [], responses: { 200: plainText('text exposition format') },
  },
];
