/**
 * The description (OpenAPI 3.1) of everything this server mounts (server/app.ts): the JSON API (api/), the staff pages
 * and the portal (web/), served at GET /openapi.json (api/routes/openapi.ts). Generated with
 * `@asteasolutions/zod-to-openapi` from contracts/: the schemas that validate the requests and type the answers are the
 * ones described, so the two cannot drift. Tests check every route is in it and every JSON answer has its schema
 * (test/unit/openapi.test.ts), and generate a typed client from it (test/unit/openapi-client.test.ts).
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { clearinghouseEventSchema, ehrEventSchema } from '../ehr/events';
import { allOperations, documentInfo, problemSchema, securitySchemes } from '../contracts';
import type { Operation } from '../contracts/operation';

/** Every operation of the server, with the webhooks' events. */
export const operations: Operation[] = allOperations({ ehr: ehrEventSchema, clearinghouse: clearinghouseEventSchema });

export function buildOpenApiDocument(ops: Operation[] = operations) {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(securitySchemes)) registry.registerComponent('securitySchemes', name, scheme);
  registry.registerComponent('responses', 'Problem', {
    description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  });
  for (const op of ops) registry.registerPath(op);
  // The problem schema is components.schemas.Problem by its own `id` (contracts/index.ts).
  const document = new OpenApiGeneratorV31([...registry.definitions, { type: 'schema', schema: problemSchema }]).generateDocument({
    openapi: '3.1.0', info: documentInfo, security: [{ staffToken: [] }],
  });
  return document;
}

export const openApiDocument = buildOpenApiDocument();
