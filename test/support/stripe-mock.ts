/**
 * Stripe's mock server for tests (scripts/stripe-mock.ts builds and starts it), behind a small recording proxy:
 *
 *   const stripe = useStripeMock();            // in a describe: started in beforeAll, stopped in afterAll
 *   createStripeProcessor({ secretKey: STRIPE_MOCK_KEY, apiBase: stripe.url })
 *   stripe.requests                            // every request the SDK sent: method, path, headers, form fields
 *   stripe.answerNext({ path: /^\/v1\/setup_intents\//, with: (fixture) => ({ body: { ...fixture, status: 'succeeded' } }) })
 *
 * stripe-mock is stateless: it validates each request against Stripe's OpenAPI description (a malformed one is
 * refused, 400) and answers a fixture. The proxy forwards every request to it first, so each one is validated, and
 * can then replace a valid answer with what stripe-mock cannot hold (a SetupIntent the patient completed, a card
 * decline, an outage). A request stripe-mock refused is always answered as it answered.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStripeMock, STRIPE_MOCK_KEY, type RunningStripeMock } from '../../scripts/stripe-mock';

export { STRIPE_MOCK_KEY };

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The form-encoded body's fields (`metadata[visit]`, `expand[0]`), or the query string's for a GET. */
  form: Record<string, string>;
  /** What stripe-mock answered (before any replacement). */
  mockStatus: number;
  /** What the SDK got. */
  status: number;
}

export interface Replacement {
  method?: string;
  path: RegExp;
  /** What to answer instead, from stripe-mock's (valid) answer body. */
  with: (fixture: Record<string, unknown>) => { status?: number; body: unknown; headers?: Record<string, string> };
}

export interface TestStripeMock {
  /** The proxy's base: STRIPE_API_BASE for the adapter. */
  url: string;
  /** stripe-mock itself. */
  mockUrl: string;
  /** Every request so far, oldest first. */
  requests: RecordedRequest[];
  /** The next request matching answers with this instead of stripe-mock's answer (when stripe-mock accepted it). */
  answerNext(replacement: Replacement): void;
  /** Forgets recorded requests and pending replacements. */
  reset(): void;
  stop(): Promise<void>;
}

function bodyOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts stripe-mock and the recording proxy in front of it. */
export async function startTestStripeMock(): Promise<TestStripeMock> {
  const mock: RunningStripeMock = await startStripeMock();
  const requests: RecordedRequest[] = [];
  let replacements: Replacement[] = [];

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await bodyOf(req);
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', mock.url);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const forward: Record<string, string> = { ...headers };
      delete forward.host;
      delete forward['content-length'];
      delete forward.connection;
      const upstream = await fetch(url, { method, headers: forward, ...(raw.length > 0 ? { body: raw } : {}) });
      const text = await upstream.text();
      let status = upstream.status;
      let body = text;
      const answerHeaders: Record<string, string> = { 'content-type': 'application/json' };
      const idempotencyKey = upstream.headers.get('idempotency-key');
      if (idempotencyKey) answerHeaders['idempotency-key'] = idempotencyKey;
      if (status >= 200 && status < 300) {
        const index = replacements.findIndex((r) => (r.method ?? method) === method && r.path.test(url.pathname));
        if (index >= 0) {
          const [replacement] = replacements.splice(index, 1);
          const replaced = replacement!.with(JSON.parse(text) as Record<string, unknown>);
          status = replaced.status ?? 200;
          body = JSON.stringify(replaced.body);
          Object.assign(answerHeaders, replaced.headers ?? {});
        }
      }
      const form = Object.fromEntries(new URLSearchParams(method === 'GET' ? url.search : raw.toString('utf8')));
      requests.push({ method, path: url.pathname, headers, form, mockStatus: upstream.status, status });
      res.writeHead(status, answerHeaders).end(body);
    })().catch((err: Error) => {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy error: ${err.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    mockUrl: mock.url,
    requests,
    answerNext: (replacement) => {
      replacements.push(replacement);
    },
    reset: () => {
      requests.length = 0;
      replacements = [];
    },
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await mock.stop();
    },
  };
}

/** In a describe block: stripe-mock (and its proxy) for the block's tests; the getters read the running one. */
export function useStripeMock(): TestStripeMock {
  let running: TestStripeMock | undefined;
  beforeAll(async () => {
    running = await startTestStripeMock();
  }, 120_000);
  afterAll(async () => {
    await running?.stop();
  });
  const get = () => {
    if (!running) throw new Error('stripe-mock is not running (useStripeMock starts it in beforeAll)');
    return running;
  };
  return {
    get url() { return get().url; },
    get mockUrl() { return get().mockUrl; },
    get requests() { return get().requests; },
    answerNext: (r) => get().answerNext(r),
    reset: () => get().reset(),
    stop: () => get().stop(),
  };
}
