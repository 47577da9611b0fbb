/**
 * Issue 14: the OpenAPI document is generated from contracts/ (server/openapi.ts) and describes everything the app
 * mounts. Checked without servers, on the app server/app.ts builds (stub dependencies: nothing is called):
 *   every route of its router stack is in the document with its method, and every operation of the document is a
 *   route (or one of the few things mounted as middleware or on the metrics listener);
 *   every 2xx answer with a body names its media type and schema, and every JSON operation (the API under /v1, the
 *   webhooks, the probes, this document, the codec) has a 2xx JSON answer with a schema;
 *   the document served at GET /openapi.json is the generated one;
 *   the response check (server/response-check.ts) passes a matching answer and names what is wrong with one that
 *   does not.
 */
import express from 'express';
import request from 'supertest';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Db } from '../../db/connection';
import { createLogger } from '../../lib/logger';
import { createApp } from '../../server/app';
import { openApiDocument, operations } from '../../server/openapi';
import { contractProblems, responseCheck } from '../../server/response-check';
import type { Operation } from '../../contracts/operation';
import type { CollectionWindows } from '../../workflows/starts/collection';

interface RouteLayer { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: RouteLayer[] }; rawPath?: unknown }

/** Every route of an Express router stack, with its mount prefix, in OpenAPI form (`{param}`). */
function routesOf(layers: RouteLayer[], prefix = ''): string[] {
  return layers.flatMap((layer) => {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      return paths.flatMap((p) => Object.entries(layer.route!.methods).filter(([m, on]) => on && m !== '_all')
        .map(([method]) => `${method.toUpperCase()} ${`${prefix}${p}`.replace(/:(\w+)/g, '{$1}')}`));
    }
    if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      return routesOf(layer.handle.stack, prefix + mount);
    }
    return [];
  });
}

const app = createApp({
  db: {} as Db,
  // Only the request deadline's wrapper is ever called (server/app.ts temporalRequestDeadline).
  temporal: { connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() } } as unknown as Client,
  taskQueue: 'unused',
  log: createLogger('silent', 'payflow-test'),
  webhookSecrets: { ehr: ['unused'], clearinghouse: ['unused'] },
  windows: {} as CollectionWindows,
  codec: { codec: {} as PayloadCodec, engineerTokens: [], uiOrigins: [], secureCookies: false },
  checkResponses: false,
});
const routes = routesOf((app as unknown as { router: { stack: RouteLayer[] } }).router.stack);

type DocResponse = { content?: Record<string, { schema?: unknown }>; $ref?: string };
type DocOperation = { responses: Record<string, DocResponse> };
const doc = openApiDocument as unknown as { paths: Record<string, Record<string, DocOperation>> };
const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })));

/** Described, but not a route of the app's router: served by the metrics listener, or by express.static. */
const NOT_ROUTES = ['GET /metrics', 'GET /portal/static/portal.css', 'GET /portal/static/statement.css'];
/** The JSON API: every operation here answers JSON, except the pages and files it names (the operator's pages, /platform/sign-in…, are HTML). */
const JSON_API = /^(\/v1\/|\/platform\/practices$|\/webhooks\/|\/healthz$|\/readyz$|\/openapi\.json$|\/codec\/(en|de)code$)/;
const twoHundreds = (op: DocOperation) => Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));

describe('the OpenAPI document (generated from contracts/)', () => {
  it('finds the routes it checks (a broken walk would pass vacuously)', () => {
    expect(routes.length).toBeGreaterThan(60);
    expect(routes).toEqual(expect.arrayContaining([
      'POST /v1/visits/{visitId}/copay-collections', 'POST /webhooks/ehr', 'GET /healthz', 'POST /codec/decode', 'OPTIONS /codec/encode',
      'GET /staff/tasks/{taskId}', 'POST /portal/pay', 'GET /v1/statements/{statementId}/print',
    ]));
    expect(documented.length).toBe(operations.length);
  });

  it('describes every route the app registers, with each method; and describes nothing else', () => {
    const keys = new Set(documented.map((d) => d.key));
    expect(routes.filter((r) => !keys.has(r))).toEqual([]);
    const mounted = new Set(routes);
    expect(documented.map((d) => d.key).filter((k) => !mounted.has(k) && !NOT_ROUTES.includes(k))).toEqual([]);
  });

  it('every 2xx answer with a body says its media type and schema; every JSON operation has a JSON 2xx schema', () => {
    const bodiless = (status: string) => status === '204';
    const without = documented.flatMap(({ key, op }) => twoHundreds(op)
      .filter(([status, r]) => !bodiless(status) && (!r.content || Object.values(r.content).some((c) => !c.schema)))
      .map(([status]) => `${key} ${status}`));
    expect(without).toEqual([]);

    const json = documented.filter(({ path, method }) => JSON_API.test(path) && method !== 'options');
    const isFile = ({ op }: (typeof documented)[number]) => twoHundreds(op).every(([, r]) => Object.keys(r.content ?? {}).every((t) => t === 'text/html' || t === 'text/csv'));
    const jsonOps = json.filter((d) => !isFile(d));
    const withJsonSchema = jsonOps.filter(({ op }) => twoHundreds(op).some(([, r]) => r.content?.['application/json']?.schema));
    expect(jsonOps.filter((d) => !withJsonSchema.includes(d)).map((d) => d.key)).toEqual([]);
    // The HTML and CSV answers under /v1 are the ones known to be files, nothing more.
    expect(json.filter(isFile).map((d) => d.key).sort()).toEqual([
      'GET /v1/reports/manual-tasks.csv', 'GET /v1/reports/open-credits.csv', 'GET /v1/statements/{statementId}/print',
    ]);
    expect(jsonOps.length).toBe(60); // 31, + 3 API tokens, + 5 staff, + 2 identity provider, + 2 platform (issue 15), + 4 remittances (issue 16: + match by hand), + the SMS and email webhooks (issue 17), + 4 card on file and 7 payment plans (issue 18)
  });

  it('errors are the shared problem+json answer', () => {
    const problem = (openApiDocument as unknown as { components: { responses: Record<string, { content: Record<string, unknown> }> } }).components.responses.Problem;
    expect(Object.keys(problem!.content)).toEqual(['application/problem+json']);
    const copay = doc.paths['/v1/visits/{visitId}/copay-collections']!.post!;
    expect(copay.responses['422']).toEqual({ $ref: '#/components/responses/Problem' });
    expect(Object.keys(copay.responses).filter((s) => /^2/.test(s)).sort()).toEqual(['200', '201', '202']);
  });

  it('is what GET /openapi.json serves', async () => {
    const res = await request(app).get('/openapi.json').expect(200).expect('Content-Type', /application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    expect(res.body.openapi).toBe('3.1.0');
  });
});

describe('the response check (server/response-check.ts)', () => {
  const ops = new Map(operations.map((o: Operation) => [`${o.method.toUpperCase()} ${o.path}`, o]));
  const key = 'POST /v1/collections/{collectionId}/cancel';
  const id = '5b0c6a0e-5d0c-4c1e-9a59-3d3f0b7f3f11';

  it('passes an answer that matches, and what is not a 2xx JSON answer', () => {
    expect(contractProblems(ops, key, 200, 'application/json; charset=utf-8', JSON.stringify({ collectionId: id, cancelled: true }))).toBeUndefined();
    expect(contractProblems(ops, key, 409, 'application/problem+json; charset=utf-8', '{}')).toBeUndefined();
    expect(contractProblems(ops, 'GET /staff/queue', 200, 'text/html; charset=utf-8', '<p>')).toBeUndefined();
  });

  it('names a wrong type, an unknown field, an undeclared status and an undescribed route', () => {
    expect(contractProblems(ops, key, 200, 'application/json', JSON.stringify({ collectionId: id, cancelled: 'yes' }))).toEqual([expect.stringMatching(/^cancelled: /)]);
    expect(contractProblems(ops, key, 200, 'application/json', JSON.stringify({ collectionId: id, cancelled: true, extra: 1 }))).toEqual([expect.stringMatching(/extra/)]);
    expect(contractProblems(ops, key, 201, 'application/json', JSON.stringify({ collectionId: id, cancelled: true }))).toEqual([`${key} declares no JSON answer for 201`]);
    expect(contractProblems(ops, 'GET /v1/nowhere', 200, 'application/json', '{}')).toEqual(['no operation describes GET /v1/nowhere']);
  });

  it('answers 500 problem+json in place of an answer that does not match; a matching one goes out as it is', async () => {
    const probe = express();
    probe.use(responseCheck(operations, createLogger('silent', 'payflow-test')));
    probe.post('/v1/collections/:collectionId/cancel', (req, res) => {
      res.json(req.query.wrong ? { collectionId: req.params.collectionId, cancelled: 'yes' } : { collectionId: req.params.collectionId, cancelled: true });
    });
    await request(probe).post(`/v1/collections/${id}/cancel`).expect(200, { collectionId: id, cancelled: true });
    const refused = await request(probe).post(`/v1/collections/${id}/cancel?wrong=1`).expect(500).expect('Content-Type', /application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: '/problems/response-contract', status: 500 });
    expect(refused.body.detail).toContain(`${key} 200: cancelled:`);
  });
});
