/** The metrics endpoint and the codec endpoint in the OpenAPI document (server/openapi.ts spreads them into its paths). */
const problem = { $ref: '#/components/responses/Problem' };
const payloads = {
  type: 'object', required: ['payloads'],
  properties: {
    payloads: {
      type: 'array', maxItems: 10_000,
      items: { type: 'object', properties: { metadata: { type: 'object', additionalProperties: { type: 'string', contentEncoding: 'base64' } }, data: { type: 'string', contentEncoding: 'base64' } } },
    },
  },
};
const engineer = [{ engineerToken: [] }, { codecSession: [] }];
const tags = ['engineers'];
const codecOp = (what: string) => ({
  post: {
    summary: `Temporal remote codec: ${what} payloads (engineers only; browsers only from TEMPORAL_UI_ORIGIN)`,
    tags, security: engineer,
    parameters: [{ name: 'X-Namespace', in: 'header', schema: { type: 'string' }, description: 'sent by the Temporal UI; not used' }],
    requestBody: { required: true, content: { 'application/json': { schema: payloads } } },
    responses: { 200: { description: `the payloads, ${what}d`, content: { 'application/json': { schema: payloads } } }, 401: problem, 403: problem, 413: problem, 422: problem },
  },
  options: { summary: 'CORS preflight (the Temporal UI origin only; others 403)', tags, security: [], responses: { 204: { description: 'allowed' }, 403: problem } },
});

export const observabilityPaths = {
  '/metrics': {
    get: {
      summary: 'Prometheus metrics: HTTP latency by route template and status; in-flight collections and open manual tasks from PostgreSQL',
      description: 'Served on the internal metrics listener (API_METRICS_HOST:API_METRICS_PORT, 127.0.0.1:9465 by default), not on the public port, which answers 404.',
      tags, security: [], responses: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
  '/codec/encode': codecOp('encode'),
  '/codec/decode': codecOp('decode'),
  '/codec/session': {
    get: { summary: 'Engineer sign-in page for the Temporal UI (sets the codec session cookie)', tags, security: [], responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } } },
    post: {
      summary: 'Sign in with an engineer codec token: sets payflow_codec_session (HttpOnly, SameSite=Strict, Path=/codec, 8 h)',
      tags, security: [],
      requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } }, 'application/json': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } } } },
      responses: { 200: { description: 'signed in (form)' }, 204: { description: 'signed in (JSON)' }, 401: { description: 'not an engineer token' }, 403: problem },
    },
  },
  '/codec/session/end': { post: { summary: 'Sign out: clears the codec session cookie', tags, security: [], responses: { 200: { description: 'signed out' }, 403: problem } } },
} as const;

export const observabilitySecuritySchemes = {
  engineerToken: { type: 'http', scheme: 'bearer', description: 'An engineer codec token (CODEC_ENGINEER_TOKENS); staff tokens do not work here.' },
  codecSession: { type: 'apiKey', in: 'cookie', name: 'payflow_codec_session', description: 'Set by POST /codec/session.' },
} as const;
