/**
 * For the tests: every 2xx JSON answer the app sends is checked against the response schema its operation declares
 * (contracts/, the same schemas the OpenAPI document is generated from). On only when createApp is asked to
 * (`checkResponses`, or PAYFLOW_CHECK_RESPONSES=1, which the jest global setup sets): in production nothing is wrapped
 * and the answers go out as they are.
 *
 * It wraps `res.send`, which `res.json`, the webhooks' stored answers and the idempotency replays all end in, and reads
 * the JSON text about to be sent (a Date is already its ISO string then). An answer of a route no operation describes,
 * of a status the operation does not declare, or that does not match its schema is logged (route, status, the
 * schema's complaints; never the body) and replaced by a 500 problem, so the test that caused it fails where it is.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Operation } from '../contracts/operation';
import type { Logger } from '../lib/logger';

/** The operation key of the route that answered: `GET /v1/collections/{collectionId}`; undefined outside a route. */
function routeKey(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return undefined;
  // Express answers HEAD with the GET handler: its operation is the GET's.
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  return `${method} ${`${req.baseUrl}${path}`.replace(/:(\w+)/g, '{$1}')}`;
}

function jsonSchemaOf(op: Operation | undefined, status: number): z.ZodType | undefined {
  const answer = op?.responses[status];
  return answer && 'content' in answer ? answer.content?.['application/json']?.schema : undefined;
}

/** What is wrong with this answer; undefined when it matches (or is not a 2xx JSON answer). */
export function contractProblems(ops: Map<string, Operation>, key: string | undefined, status: number, contentType: string | undefined, body: unknown): string[] | undefined {
  if (status < 200 || status > 299 || !/^application\/json\b/.test(contentType ?? '')) return undefined;
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return undefined; // res.send(object) comes back as JSON text
  if (key === undefined) return ['a 2xx JSON answer outside any route'];
  const op = ops.get(key);
  if (!op) return [`no operation describes ${key}`];
  const schema = jsonSchemaOf(op, status);
  if (!schema) return [`${key} declares no JSON answer for ${status}`];
  let value: unknown;
  try {
    value = JSON.parse(body.toString());
  } catch {
    return ['the body is not JSON'];
  }
  const result = schema.safeParse(value);
  return result.success ? undefined : result.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
}

export function responseCheck(operations: Operation[], log: Logger): RequestHandler {
  const ops = new Map(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o]));
  return (req, res, next) => {
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => {
      const key = routeKey(req);
      const status = res.statusCode;
      const problems = contractProblems(ops, key, status, res.get('Content-Type'), body);
      if (!problems) return send(body);
      log.error({ route: key, status, problems }, 'response check: the answer does not match its contract (contracts/)');
      res.status(500).type('application/problem+json');
      return send(JSON.stringify({
        type: '/problems/response-contract', title: 'Answer does not match its contract', status: 500,
        detail: `${key ?? req.method} ${status}: ${problems.slice(0, 10).join('; ')}`,
      }));
    }) as Response['send'];
    next();
  };
}
