/**
 * The codec endpoint for engineers, Temporal's remote-codec protocol: POST /codec/encode and /codec/decode take and
 * answer { payloads: [{ metadata: { k: base64 }, data: base64 }] }; and the engineers' sign-in for the Temporal UI.
 */
import { z } from 'zod';
import { formBody, htmlPage, json, jsonBody, noContent, problem, type Operation } from './operation';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const b64 = z.string().regex(BASE64, { error: 'must be base64' }).max(8_000_000).meta({ contentEncoding: 'base64' });

export const codecPayloadsBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), b64).optional(), data: b64.optional() }).loose()).max(10_000),
});
export const codecPayloadsSchema = z.strictObject({
  payloads: z.array(z.strictObject({ metadata: z.record(z.string(), z.string()), data: z.string() })),
});

const token = z.object({ token: z.string() });
const tags = ['engineers'];
const engineer: Record<string, string[]>[] = [{ engineerToken: [] }, { codecSession: [] }];

const codecOperations = (op: 'encode' | 'decode'): Operation[] => [
  {
    method: 'post', path: `/codec/${op}`,
    summary: `Temporal remote codec: ${op} payloads (engineers only; browsers only from TEMPORAL_UI_ORIGIN)`,
    tags, security: engineer,
    request: { headers: z.object({ 'X-Namespace': z.string().optional().meta({ description: 'sent by the Temporal UI; not used' }) }), body: jsonBody(codecPayloadsBody) },
    responses: { 200: json(`the payloads, ${op}d`, codecPayloadsSchema), 401: problem, 403: problem, 413: problem, 422: problem },
  },
  {
    method: 'options', path: `/codec/${op}`, summary: 'CORS preflight (the Temporal UI origin only; others 403)', tags, security: [],
    responses: { 204: noContent('allowed'), 403: problem },
  },
];

export const engineerOperations: Operation[] = [
  ...codecOperations('encode'),
  ...codecOperations('decode'),
  {
    method: 'get', path: '/codec/session', summary: 'Engineer sign-in page for the Temporal UI (sets the codec session cookie)', tags, security: [],
    responses: { 200: htmlPage('HTML page') },
  },
  {
    method: 'post', path: '/codec/session',
    summary: 'Sign in with an engineer codec token: sets payflow_codec_session (HttpOnly, SameSite=Strict, Path=/codec, 8 h)', tags, security: [],
    request: { body: { required: true, content: { ...formBody(token).content, ...jsonBody(token).content } } },
    responses: { 200: htmlPage('signed in (form)'), 204: noContent('signed in (JSON)'), 401: { description: 'not an engineer token' }, 403: problem },
  },
  {
    method: 'post', path: '/codec/session/end', summary: 'Sign out: clears the codec session cookie', tags, security: [],
    responses: { 200: htmlPage('signed out'), 403: problem },
  },
];

export const engineerSecuritySchemes = {
  engineerToken: { type: 'http', scheme: 'bearer', description: 'An engineer codec token (CODEC_ENGINEER_TOKENS); staff tokens do not work here.' },
  codecSession: { type: 'apiKey', in: 'cookie', name: 'payflow_codec_session', description: 'Set by POST /codec/session.' },
} as const;
