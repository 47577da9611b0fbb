/**
 * One generated HTTP request per fast-check value, for any operation of the OpenAPI document the API serves. Path,
 * query and body fields come from the document (parameters, request-body schemas); what cannot be read there (which
 * ids fit a parameter, which session a page needs, a webhook's events) from the fixtures. Every request starts from
 * something valid and is then bent: a parameter, a field, a header, the content type, the method, the whole body.
 * Credentials, cookies, CSRF tokens and signatures stay symbolic (`auth: 'billing'`, `$CSRF`, `sign: 'valid'`) so a
 * shrunk counterexample reads as what it is; client.ts fills them in at send time.
 */
import fc from 'fast-check';
import {
  BAD_AUTH, BAD_IDEMPOTENCY_KEYS, BAD_JSON, CONTENT_TYPES, cursorText, deepJson, jsonText, nastyHeaderString, nastyKey, nastyString, numberText, rawBytes,
} from './values';

export type Who = 'frontDesk' | 'billing' | 'admin' | 'engineer' | 'otherPractice';
export type StaffSessionRef = 'billing' | 'frontDesk' | 'admin' | 'fresh' | 'none' | { cookie: string };
export type PortalSessionRef = 'session' | 'fresh' | 'csrfOnly' | 'none' | { cookie: string };

export interface FuzzRequest {
  /** The documented operation this request was made from, e.g. `POST /v1/visits/{visitId}/copay-collections`. */
  op: string;
  method: string;
  /** Path as sent (already percent-encoded). */
  path: string;
  /** Query string as sent, with its `?`, or ''. */
  query: string;
  auth?: Who | 'none' | { header: string };
  staff?: StaffSessionRef;
  portal?: PortalSessionRef;
  /** Extra headers (header-safe values). `$SELF` in a value is the API's own origin. */
  headers: [string, string][];
  body?: { json: string } | { form: [string, string][] } | { text: string } | { base64: string };
  /** Content-Type to send; undefined: the body's natural one; '' none at all. */
  contentType?: string;
  /** Webhooks: Payflow-Signature over the exact bytes sent. */
  sign?: 'valid' | 'stale' | 'wrongSecret' | 'none' | { header: string };
}

export interface FuzzFixtures {
  ids: { visit: string[]; patient: string[]; collection: string[]; task: string[]; statement: string[]; claim: string[]; staff: string[]; otherPractice: string[] };
  patientExternalIds: string[];
  /** Account ids the fuzzer may look up (never the signed-in patient's: its lock-out would end the portal tests). */
  lookupAccountIds: string[];
  /** A signed receipt reference of a real statement payment. */
  receiptRef: string;
  /** A valid codec request body. */
  codecBody: unknown;
  webhook: { practiceExternalId: string; patientExternalId: string; visitExternalId: string; claimExternalId: string; captureCollectionId: string; captureRequestId: string };
}

interface Schema { type?: string; format?: string; enum?: unknown[]; const?: unknown; oneOf?: Schema[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; minimum?: number; maximum?: number; minItems?: number; maxItems?: number; minLength?: number; maxLength?: number }
interface Parameter { name: string; in: string; schema?: Schema; required?: boolean }
export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  jsonBody?: Schema;
  formBody?: Schema;
  /** Answers documented as HTML pages. */
  html: boolean;
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'options', 'head'];
export const opKey = (o: { method: string; path: string }) => `${o.method.toUpperCase()} ${o.path}`;

/** Every operation of the served document. */
export function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const content = (op.requestBody?.content ?? {}) as Record<string, { schema?: Schema }>;
      const responses = Object.values((op.responses ?? {}) as Record<string, any>);
      ops.push({
        method: method.toUpperCase(), path, parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])] as Parameter[],
        jsonBody: content['application/json']?.schema, formBody: content['application/x-www-form-urlencoded']?.schema,
        html: path.startsWith('/staff') || path.startsWith('/portal') || responses.some((r) => r?.content?.['text/html']),
      });
    }
  }
  return ops;
}

// ── encoding ─────────────────────────────────────────────────────────────────────────────────────────────────
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Percent-encodes any string byte by byte (lone surrogates become U+FFFD, as a browser would send them). */
export function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && UNRESERVED.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const queryOf = (pairs: [string, string][]) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`);

// ── building blocks ──────────────────────────────────────────────────────────────────────────────────────────
const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const weighted = <T>(...alts: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> => fc.oneof(...alts.map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** A pool of ids for a path or query parameter, by its name. */
function poolFor(f: FuzzFixtures, name: string): string[] {
  const n = name.toLowerCase();
  const all = Object.values(f.ids).flat();
  if (n.startsWith('visit')) return f.ids.visit;
  if (n.startsWith('patient')) return f.ids.patient;
  if (n.startsWith('collection')) return f.ids.collection;
  if (n.startsWith('task')) return f.ids.task;
  if (n.startsWith('statement')) return f.ids.statement;
  if (n.startsWith('claim')) return f.ids.claim;
  if (n === 'assignee') return f.ids.staff;
  return all;
}

function idArb(f: FuzzFixtures, name: string): fc.Arbitrary<string> {
  const pool = poolFor(f, name);
  const others = [...f.ids.otherPractice, ...Object.values(f.ids).flat()];
  return weighted<string>(
    [8, pick(pool)], [1, pick(pool).map((s) => s.toUpperCase())], [1, pick(others)], [1, fc.uuid()],
    [2, nastyString], [1, pick(['00000000-0000-0000-0000-000000000000', `${pool[0]}x`, ` ${pool[0]}`, `${pool[0]}\u0000`, '{}', '[]'])],
  );
}

/** A path parameter as it goes into the path: an id, or anything percent-encoded, or raw broken escapes. */
function pathParamArb(f: FuzzFixtures, name: string): fc.Arbitrary<string> {
  return weighted<string>(
    [10, idArb(f, name).map(pct)],
    [1, pick(['%E0%A4%A', '%zz', '%', '%%', '..', '%2e%2e', '%00', '%2F', 'a%00b', '%C0%AE', '%FF%FE', ';x=1', 'x'.repeat(3000)])],
  );
}

/** A valid value for a field or query parameter, by name and schema. */
function validText(f: FuzzFixtures, name: string, schema?: Schema): fc.Arbitrary<string> {
  switch (name) {
    case 'status': return pick((schema?.enum as string[] | undefined) ?? ['open']);
    case 'reason': return pick(['date_mismatch', 'credit_remaining', 'statement_unpaid', 'date_mismatch,credit_remaining', '']);
    case 'assignee': return fc.oneof(pick(['me', 'none', 'any']), pick(f.ids.staff));
    case 'minAgeDays': case 'maxAgeDays': return pick(['0', '7', '30', '36500']);
    case 'limit': return pick(['1', '25', '100', '500']);
    case 'cursor': return cursorText;
    case 'externalId': return pick(f.patientExternalIds);
    case 'notice': return pick(['expired', 'signed-out']);
    case 'ref': return pick([f.receiptRef]);
    case 'cancelled': return pick(['1']);
    case 'age': return pick(['7', '14', '30']);
    case 'accountId': return pick(f.lookupAccountIds);
    case 'dateOfBirth': return pick(['1990-01-01', '03/12/1984', '1984-03-12', '12/31/1999']);
    case 'amount': case 'refundAmount': return pick(['1.00', '0.01', '12.34', '170.50', '25', '']);
    case 'statementThreshold': return pick(['10.00', '0.01', '25']);
    case 'action': return pick(['apply', 'credit', 'refund', 'close']);
    case 'note': return pick(['checked with the patient', 'n']);
    case 'token': return pick(['$TOKEN', '$ENGINEER']);
    case 'csrf': return pick(['$CSRF']);
    default:
      if (schema?.enum) return pick(schema.enum.map(String));
      if (schema?.format === 'uuid' || /Id$/.test(name)) return pick(poolFor(f, name));
      return pick(['x', '1']);
  }
}

/** A valid JSON value for a schema (object properties by the same rules as fields). */
function validJson(f: FuzzFixtures, schema: Schema | undefined, name = ''): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant({});
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map((s) => validJson(f, s, name)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return pick(schema.enum);
  switch (schema.type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      return fc.tuple(...props.map(([k, s]) => (required.has(k) ? validJson(f, s, k).map((v) => [k, v] as const) : fc.option(validJson(f, s, k).map((v) => [k, v] as const), { nil: undefined }))))
        .map((entries) => Object.fromEntries(entries.filter((e): e is readonly [string, unknown] => e !== undefined)));
    }
    case 'array': {
      const items = schema.items ?? {};
      return fc.array(validJson(f, items, name.replace(/s$/, '')), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    }
    case 'integer': return fc.oneof(pick([1, 100, 1000, 2500]), fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1_000_000, 1_000_000_000) }));
    case 'number': return fc.integer({ min: 0, max: 1000 });
    case 'boolean': return fc.boolean();
    case 'string':
      if (schema.format === 'uuid') return pick(poolFor(f, name));
      return validText(f, name, schema);
    default: return fc.constant(null);
  }
}

// ── bending a valid JSON value ───────────────────────────────────────────────────────────────────────────────
type Path = (string | number)[];
function pathsOf(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}
type Mutation = { op: 'replace'; text: string } | { op: 'delete' } | { op: 'addKey'; key: string; text: string } | { op: 'duplicateKey' };

/** JSON text of `v` with one mutation at `target` (serialised by hand: duplicate and `__proto__` keys survive). */
function serialise(v: unknown, target: Path, m: Mutation, at: Path = []): string | undefined {
  const here = at.length === target.length && at.every((p, i) => p === target[i]);
  if (here && m.op === 'replace') return m.text;
  if (here && m.op === 'delete') return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x, i) => serialise(x, target, m, [...at, i])).filter((x): x is string => x !== undefined);
    if (here && m.op === 'addKey') items.push(m.text);
    return `[${items.join(',')}]`;
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).flatMap(([k, x]) => {
      const text = serialise(x, target, m, [...at, k]);
      return text === undefined ? [] : [`${JSON.stringify(k)}:${text}`];
    });
    if (here && m.op === 'addKey') entries.push(`${JSON.stringify(m.key)}:${m.text}`);
    if (here && m.op === 'duplicateKey' && entries.length > 0) entries.push(entries[0]!);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const mutationArb: fc.Arbitrary<Mutation> = weighted<Mutation>(
  [6, jsonText.map((text) => ({ op: 'replace' as const, text }))],
  [3, numberText.map((text) => ({ op: 'replace' as const, text }))],
  [1, deepJson.map((text) => ({ op: 'replace' as const, text }))],
  [2, fc.constant({ op: 'delete' as const })],
  [3, fc.tuple(nastyKey, jsonText).map(([key, text]) => ({ op: 'addKey' as const, key, text }))],
  [1, fc.constant({ op: 'duplicateKey' as const })],
);

/** A JSON body: valid, valid but bent in one place, or anything at all. */
function jsonBodyArb(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const bent = valid.chain((v) => fc.tuple(fc.constant(v), pick(pathsOf(v)), mutationArb)).map(([v, p, m]) => serialise(v, p, m) ?? '');
  return weighted<string>(
    [3, valid.map((v) => JSON.stringify(v))], [8, bent], [3, jsonText], [1, deepJson], [2, pick(BAD_JSON)],
  );
}

// ── headers, credentials, content types ──────────────────────────────────────────────────────────────────────
const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(weighted<[string, string]>(
  [2, nastyHeaderString.map((v) => ['X-Request-Id', v] as [string, string])],
  [1, fc.constantFrom('*/*', 'text/html', 'application/xml', 'application/problem+json', 'image/png').map((v) => ['Accept', v] as [string, string])],
  [1, nastyHeaderString.map((v) => ['Accept', v] as [string, string])],
  [2, fc.oneof(nastyHeaderString, pick(['198.51.100.7', '::1', '1.1.1.1, 2.2.2.2', 'unknown', ''])).map((v) => ['X-Forwarded-For', v] as [string, string])],
  [1, pick(['gzip', 'deflate', 'br', 'identity', 'x-bogus', 'gzip, gzip']).map((v) => ['Content-Encoding', v] as [string, string])],
  [1, nastyHeaderString.map((v) => ['Cookie', v] as [string, string])],
  [1, pick(['$SELF', 'https://evil.example', 'null', 'http://[::1', 'javascript:alert(1)', 'http://localhost:8233']).map((v) => ['Origin', v] as [string, string])],
  [1, fc.oneof(nastyHeaderString, pick(['$SELF/staff/queue', 'https://evil.example/'])).map((v) => ['Referer', v] as [string, string])],
  [1, pick(['DELETE', 'PUT', 'GET']).map((v) => ['X-HTTP-Method-Override', v] as [string, string])],
  [1, nastyHeaderString.map((v) => ['X-Namespace', v] as [string, string])],
), { maxLength: 2 });

const authArb = (preferred: Who[]): fc.Arbitrary<FuzzRequest['auth']> => weighted<FuzzRequest['auth']>(
  [12, pick(preferred)], [3, pick<Who>(['frontDesk', 'billing', 'admin'])], [1, fc.constant('otherPractice' as const)], [1, fc.constant('engineer' as const)],
  [2, fc.constant('none' as const)], [2, fc.oneof(pick(BAD_AUTH), nastyHeaderString.map((s) => `Bearer ${s}`)).map((header) => ({ header }))],
);
const staffArb = (preferred: StaffSessionRef[]): fc.Arbitrary<StaffSessionRef> => weighted<StaffSessionRef>(
  [12, pick(preferred)], [2, pick<StaffSessionRef>(['billing', 'frontDesk', 'admin'])], [1, fc.constant('none' as const)],
  [1, fc.oneof(nastyHeaderString, pick(['pf_staff=', `pf_staff=${'A'.repeat(43)}`, 'pf_staff=a; pf_staff=b'])).map((cookie) => ({ cookie }))],
);
const portalArb = (preferred: PortalSessionRef[]): fc.Arbitrary<PortalSessionRef> => weighted<PortalSessionRef>(
  [12, pick(preferred)], [2, pick<PortalSessionRef>(['session', 'csrfOnly', 'none'])],
  [1, fc.oneof(nastyHeaderString, pick(['pf_session=', 'pf_session=x.y', `pf_csrf=${'A'.repeat(43)}`, 'pf_session=a; pf_session=b'])).map((cookie) => ({ cookie }))],
);
const contentTypeArb = (natural: string): fc.Arbitrary<string | undefined> => weighted<string | undefined>([10, fc.constant(undefined)], [3, pick(CONTENT_TYPES)], [1, nastyHeaderString], [1, fc.constant(natural)]);

// ── forms ────────────────────────────────────────────────────────────────────────────────────────────────────
type FormMutation = { op: 'replace'; index: number; value: string } | { op: 'drop'; index: number } | { op: 'add'; key: string; value: string } | { op: 'repeat'; index: number } | { op: 'flood' };
function formArb(validPairs: fc.Arbitrary<[string, string][]>): fc.Arbitrary<[string, string][]> {
  return validPairs.chain((pairs) => {
    // Mostly the fields after the CSRF token (a form without a valid token stops at 403, before anything interesting).
    const fields = pairs.flatMap(([k], i) => (k === 'csrf' ? [] : [i]));
    const any = fc.nat({ max: Math.max(0, pairs.length - 1) });
    const index = fields.length > 0 ? weighted<number>([6, pick(fields)], [1, any]) : any;
    const mutation = weighted<FormMutation | undefined>(
      [3, fc.constant(undefined)],
      [6, fc.tuple(index, nastyString).map(([i, value]) => ({ op: 'replace' as const, index: i, value }))],
      [2, index.map((i) => ({ op: 'drop' as const, index: i }))],
      [3, fc.tuple(nastyKey, nastyString).map(([key, value]) => ({ op: 'add' as const, key, value }))],
      [1, index.map((i) => ({ op: 'repeat' as const, index: i }))],
      [1, fc.constant({ op: 'flood' as const })],
    );
    return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => {
      let out = [...pairs];
      for (const m of ms) {
        if (!m) continue;
        if (m.op === 'replace' && out[m.index]) out[m.index] = [out[m.index]![0], m.value];
        else if (m.op === 'drop') out = out.filter((_, i) => i !== m.index);
        else if (m.op === 'add') out.push([m.key, m.value]);
        else if (m.op === 'repeat' && out[m.index]) out.push(out[m.index]!);
        else if (m.op === 'flood') for (let i = 0; i < 250; i++) out.push([`p${i}`, '1']);
      }
      return out;
    });
  });
}

// ── webhooks ─────────────────────────────────────────────────────────────────────────────────────────────────
function webhookEvents(f: FuzzFixtures, source: 'ehr' | 'clearinghouse'): fc.Arbitrary<unknown> {
  const w = f.webhook;
  const eventId = fc.oneof(fc.uuid().map((u) => `fuzz-${u}`), fc.constant('fuzz-event-fixed'));
  const version = fc.integer({ min: 0, max: 1000 });
  const occurredAt = pick(['2026-11-21T16:30:00Z', '2026-11-21T08:30:00-08:00']);
  if (source === 'clearinghouse') {
    return fc.record({
      eventId, type: fc.constant('claim.upserted'), occurredAt,
      data: fc.record({
        practiceExternalId: fc.constant(w.practiceExternalId), visitExternalId: fc.constant(w.visitExternalId), externalId: fc.constant(w.claimExternalId), version,
        responsibility: pick(['payer', 'patient']), payerName: fc.constant('Fuzz Payer'), payerStatus: pick(['adjudicated', 'reprocessing', 'submitted']),
        patientResponsibilityCents: pick([0, 1000, 4500]),
        lines: fc.constant([{ lineNumber: 1, procedureCode: '99213', description: 'Office visit', chargeCents: 18000, insurerPaidCents: 9500, adjustmentCents: 4000, patientResponsibilityCents: 4500 }]),
      }),
    });
  }
  return fc.oneof(
    fc.record({
      eventId, type: fc.constant('payment.captured'), occurredAt,
      data: fc.record({
        requestId: fc.constant(w.captureRequestId), collectionId: pick([w.captureCollectionId, ...f.ids.collection]), externalPaymentId: fc.uuid().map((u) => `pay-${u}`),
        amountCents: pick([2500, 1, 10_000_000]), method: pick(['card', 'cash', 'check']), paidAt: occurredAt,
      }),
    }),
    fc.record({ eventId, type: fc.constant('practice.upserted'), occurredAt, data: fc.constant({ externalId: w.practiceExternalId, name: 'Fuzz Clinic', timeZone: 'America/New_York', paymentPageUrl: 'https://pay.example/x' }) }),
    fc.record({
      eventId, type: fc.constant('patient.upserted'), occurredAt,
      data: fc.record({ practiceExternalId: fc.constant(w.practiceExternalId), externalId: fc.constant(w.patientExternalId), version, firstName: fc.constant('Fuzz'), lastName: fc.constant('Patient'), dateOfBirth: fc.constant('1970-01-01'), email: fc.constant('fuzz@example.com'), phone: fc.constant('+1 555 0100') }),
    }),
    fc.record({
      eventId, type: fc.constant('visit.upserted'), occurredAt,
      data: fc.record({ practiceExternalId: fc.constant(w.practiceExternalId), patientExternalId: fc.constant(w.patientExternalId), externalId: fc.constant(w.visitExternalId), version, dateOfService: fc.constant('2026-10-01'), providerName: fc.constant('Dr. Fuzz') }),
    }),
  );
}

// ── per operation ────────────────────────────────────────────────────────────────────────────────────────────
const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

/** The roles an operation is for (the rest still get tried, less often). */
function rolesFor(op: Operation): Who[] {
  if (op.path.startsWith('/codec/')) return ['engineer'];
  if (op.path.startsWith('/v1/practice') || op.path.startsWith('/v1/diagnostics')) return ['admin'];
  if (op.method === 'GET') return ['billing', 'frontDesk', 'admin'];
  if (/copay-collections|balance-collections|\/cancel$/.test(op.path)) return ['frontDesk', 'billing'];
  return ['billing'];
}

export function requestArb(f: FuzzFixtures, op: Operation): fc.Arbitrary<FuzzRequest> {
  const key = opKey(op);
  const pathParams = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const queryParams = op.parameters.filter((p) => p.in === 'query');

  const method = weighted<string>([19, fc.constant(op.method)], [1, pick(OTHER_METHODS)]);
  const path = fc.tuple(...pathParams.map((name) => pathParamArb(f, name))).map((values) => pathParams.reduce((p, name, i) => p.replace(`{${name}}`, values[i]!), op.path));

  const queryPairs = fc.tuple(
    ...queryParams.map((p) => fc.option(weighted<string>([3, validText(f, p.name, p.schema)], [2, nastyString]).map((v) => [p.name, v] as [string, string]), { nil: undefined, freq: 2 })),
  ).chain((chosen) => fc.tuple(fc.constant(chosen.filter((x): x is [string, string] => x !== undefined)), fc.array(fc.tuple(nastyKey, nastyString), { maxLength: 2 })))
    .map(([doc, extra]) => [...doc, ...extra]);
  const query = weighted<string>(
    [queryParams.length > 0 ? 8 : 1, queryPairs.map(queryOf)],
    [3, fc.constant('')],
    [1, pick(['?%', '?a=%zz', '?a[b]=c', '?__proto__[admin]=1', '?constructor[prototype][x]=1', '?status=open&status=all', '?limit=1&limit=2', `?${'a=1&'.repeat(1500)}`, '?=&=&', '?%00=%00'])],
  );

  const base = { op: fc.constant(key), headers: extraHeaders };
  const isStaff = op.path.startsWith('/staff');
  const isPortal = op.path.startsWith('/portal');
  const isWebhook = op.path.startsWith('/webhooks/');
  const isCodecSession = op.path.startsWith('/codec/session');

  // Staff pages and their forms.
  if (isStaff) {
    const signInOut = op.path === '/staff/sign-in' || op.path === '/staff/sign-out';
    const staff = staffArb(op.path === '/staff/sign-out' ? ['fresh'] : signInOut ? ['none'] : op.path.includes('settings') ? ['admin']
      : /\/staff\/(tasks\/\{taskId\}\/|reports)/.test(op.path) ? ['billing', 'admin'] : ['billing', 'frontDesk', 'admin']);
    const formPairs = formFieldsArb(f, op);
    const body = op.formBody ? weighted<FuzzRequest['body']>([12, formArb(formPairs).map((form) => ({ form }))], [1, jsonText.map((json) => ({ json }))], [1, rawBytes.map((base64) => ({ base64 }))]) : fc.constant(undefined);
    const origin = op.method === 'POST' ? weighted<[string, string][]>([6, fc.constant([])], [3, fc.constant([['Origin', '$SELF']] as [string, string][])], [1, pick(['https://evil.example', 'null', '%', 'http://127.0.0.1']).map((o) => [['Origin', o]] as [string, string][])]) : fc.constant([] as [string, string][]);
    return fc.record({ ...base, method, path, query, staff, body, contentType: contentTypeArb('application/x-www-form-urlencoded'), origin })
      .map(({ origin: o, ...r }) => ({ ...r, headers: [...o, ...r.headers] }));
  }

  // Patient portal pages and forms.
  if (isPortal) {
    const portal = portalArb(op.path === '/portal/sign-out' ? ['fresh'] : op.path === '/portal/lookup' ? ['csrfOnly'] : ['session']);
    const body = op.formBody ? weighted<FuzzRequest['body']>([12, formArb(formFieldsArb(f, op)).map((form) => ({ form }))], [1, jsonText.map((json) => ({ json }))], [1, rawBytes.map((base64) => ({ base64 }))]) : fc.constant(undefined);
    return fc.record({ ...base, method, path, query, portal, body, contentType: contentTypeArb('application/x-www-form-urlencoded') });
  }

  // Signed webhooks.
  if (isWebhook) {
    const source = op.path.endsWith('/ehr') ? 'ehr' : 'clearinghouse';
    const body = weighted<FuzzRequest['body']>([10, jsonBodyArb(webhookEvents(f, source)).map((json) => ({ json }))], [1, rawBytes.map((base64) => ({ base64 }))]);
    const sign = weighted<FuzzRequest['sign']>([10, fc.constant('valid' as const)], [1, pick(['stale', 'wrongSecret', 'none'] as const)], [1, fc.oneof(nastyHeaderString, pick(['t=1,v1=00', `t=${'9'.repeat(13)},v1=${'0'.repeat(64)}`, `t=1${',v1='.repeat(20)}`])).map((header) => ({ header }))]);
    return fc.record({ ...base, method, path, query, body, contentType: contentTypeArb('application/json'), sign });
  }

  // The codec sign-in: a form or JSON; no staff token.
  if (isCodecSession) {
    const body = op.method === 'POST' && op.path === '/codec/session'
      ? weighted<FuzzRequest['body']>(
        [6, formArb(fc.constant([['token', '$ENGINEER']] as [string, string][])).map((form) => ({ form }))],
        [3, jsonBodyArb(fc.record({ token: pick(['$ENGINEER', 'not-a-token']) })).map((json) => ({ json }))], [1, rawBytes.map((base64) => ({ base64 }))])
      : weighted<FuzzRequest['body'] | undefined>([5, fc.constant(undefined)], [1, jsonText.map((json) => ({ json }))]);
    const auth = weighted<FuzzRequest['auth']>([6, fc.constant('none' as const)], [1, fc.constant('engineer' as const)], [1, pick(BAD_AUTH).map((header) => ({ header }))]);
    return fc.record({ ...base, method, path, query, auth, body, contentType: contentTypeArb('application/x-www-form-urlencoded') });
  }

  // JSON API (and probes, the document, metrics, the codec).
  const auth = authArb(rolesFor(op));
  const valid = op.path.startsWith('/codec/') ? fc.constant(f.codecBody) : validJson(f, op.jsonBody);
  const body = op.jsonBody || op.path.startsWith('/codec/')
    ? weighted<FuzzRequest['body']>([14, jsonBodyArb(valid).map((json) => ({ json }))], [1, rawBytes.map((base64) => ({ base64 }))], [1, formArb(fc.constant([['amountCents', '100']] as [string, string][])).map((form) => ({ form }))], [1, fc.constant(undefined)])
    : op.method === 'GET' ? weighted<FuzzRequest['body']>([8, fc.constant(undefined)], [1, jsonText.map((json) => ({ json }))])
      : weighted<FuzzRequest['body']>([3, fc.constant(undefined)], [1, fc.constant({ json: '{}' })], [2, jsonText.map((json) => ({ json }))]);
  const idempotency = op.parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')
    ? weighted<[string, string][]>([3, fc.constant([])], [3, fc.uuid().map((u) => [['Idempotency-Key', `fuzz-${u}`]] as [string, string][])], [2, fc.constant([['Idempotency-Key', 'fuzz-key-reused-0001']] as [string, string][])], [2, fc.oneof(pick(BAD_IDEMPOTENCY_KEYS), nastyHeaderString).map((k) => [['Idempotency-Key', k]] as [string, string][])])
    : fc.constant([] as [string, string][]);
  const origin = op.path.startsWith('/codec/') ? weighted<[string, string][]>([4, fc.constant([])], [1, pick(['http://localhost:8233', 'https://evil.example', 'null']).map((o) => [['Origin', o]] as [string, string][])]) : fc.constant([] as [string, string][]);
  return fc.record({ ...base, method, path, query, auth, body, contentType: contentTypeArb('application/json'), idempotency, origin })
    .map(({ idempotency: i, origin: o, ...r }) => ({ ...r, headers: [...i, ...o, ...r.headers] }));
}

/** The valid form fields of a form operation (from its documented schema, plus what the page adds). */
function formFieldsArb(f: FuzzFixtures, op: Operation): fc.Arbitrary<[string, string][]> {
  const props = Object.entries(op.formBody?.properties ?? {});
  const fields = props.map(([name, schema]) => {
    if (schema.type === 'array') return fc.array(validText(f, name.replace(/s$/, ''), schema.items), { maxLength: 2 }).map((vs) => vs.map((v) => [name, v] as [string, string]));
    return validText(f, name, schema).map((v) => [[name, v] as [string, string]]);
  });
  // The resolve form names each claim's amount `amount.<claimId>` (not expressible in the document's schema).
  if (op.path.endsWith('/resolve')) fields.push(fc.array(fc.tuple(pick(f.ids.claim), pick(['1.00', '5.00', '0'])).map(([c, v]) => [`amount.${c}`, v] as [string, string]), { maxLength: 2 }));
  return fc.tuple(...fields).map((groups) => groups.flat());
}
