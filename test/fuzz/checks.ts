/**
 * What every answer must satisfy, and how "nothing was written" is measured.
 *
 * Writes: a fingerprint of every table of the schema (row count and an md5 of all rows as text), taken just before
 * and just after each request, with the stack quiet (client.ts waits for background work after a successful write).
 * Any change on a 4xx is a write, unless it is one of the writes the design calls for (LEGITIMATE_4XX_WRITES).
 */
import type { Db } from '../../db/connection';
import type { Answer } from './client';
import type { FuzzRequest, Operation } from './requests';

export interface Fingerprint { tables: Record<string, string>; auditMaxId: number }

let fingerprintSql: string | undefined;

export async function fingerprint(db: Db): Promise<Fingerprint> {
  if (!fingerprintSql) {
    // rate_limits: the credential counters (http/credential-limits.ts) count a presented token before comparing it and
    // give it back once accepted, on every request: bookkeeping of the authentication, not a write of the request.
    const tables: string[] = (await db.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'knex_%' and table_name <> 'rate_limits' order by table_name`))
      .rows.map((r: { table_name: string }) => r.table_name);
    // When a token or a session was last used is what authenticating records, not a write of the request.
    const row = `(to_jsonb(x) - 'last_used_at' - 'last_seen_at')::text`;
    fingerprintSql = `${tables.map((t) => `select '${t}' as t, count(*)::text || ':' || md5(coalesce(string_agg(${row}, E'\\n' order by ${row}), '')) as f from "${t}" x`).join('\nunion all\n')}
      union all select '#audit_max_id', coalesce(max(id), 0)::text from audit_log`;
  }
  const rows: { t: string; f: string }[] = (await db.raw(fingerprintSql)).rows;
  const tables: Record<string, string> = {};
  let auditMaxId = 0;
  for (const r of rows) {
    if (r.t === '#audit_max_id') auditMaxId = Number(r.f);
    else tables[r.t] = r.f;
  }
  return { tables, auditMaxId };
}

export function changedTables(a: Fingerprint, b: Fingerprint): string[] {
  return [...new Set([...Object.keys(a.tables), ...Object.keys(b.tables)])].filter((t) => a.tables[t] !== b.tables[t]).sort();
}

/** Waits until nothing changes for a moment (runs started by a successful request write after it answered). */
export async function quiet(db: Db, timeoutMs = 15_000): Promise<Fingerprint> {
  const deadline = Date.now() + timeoutMs;
  let last = await fingerprint(db);
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await fingerprint(db);
    if (changedTables(last, now).length === 0 || Date.now() > deadline) return now;
    last = now;
  }
}

/**
 * Writes a refused request may make by design:
 * - a failed portal lookup (403) counts the failure against the account and the client address, may lock them,
 *   and is audited (docs: lock-out tables; issue 13 item 6 narrows the audit to one row per lock);
 * - a refused staff or codec sign-in (401/429) may count the attempt (rate limit of issue 13 item 8);
 * - a Collect Now request (a card authorisation, a payment plan) with a well-formed Idempotency-Key stores its final
 *   answer, 4xx included, so a retry replays it (api/idempotency.ts);
 * - a signed, valid webhook event is stored once by its id with its answer, a refusal (409/422) included, so a
 *   redelivery gets the same answer (api/routes/webhooks.ts); an invalid one (400/401/413/415, validation) is not.
 */
export function legitimateWrite(r: FuzzRequest, a: Answer, tables: string[], newAuditActions: string[]): boolean {
  const limiter = (t: string) => /attempt|lock|limit|rate|throttl/.test(t);
  const onlyAudit = (re: RegExp) => newAuditActions.every((x) => re.test(x));
  if (r.op === 'POST /portal/lookup' && (a.status === 403 || a.status === 429)) {
    return tables.every((t) => limiter(t) || t.startsWith('portal_') || t === 'audit_log') && onlyAudit(/^portal\./);
  }
  if ((r.op === 'POST /staff/sign-in' || r.op === 'POST /codec/session') && [401, 403, 429].includes(a.status)) {
    return tables.every((t) => limiter(t) || t === 'audit_log') && onlyAudit(/sign|login|lock|limit|rate/);
  }
  // Routes that honour Idempotency-Key store their final answer, a 4xx included, so a retry gets it again (api/idempotency.ts).
  if (/copay-collections|balance-collections|card-authorisations|payment-plans|\/cancel$|\/resolve$/.test(r.op) && r.headers.some(([h, v]) => h === 'Idempotency-Key' && /^[A-Za-z0-9._:-]{8,100}$/.test(v))) {
    return tables.every((t) => t === 'idempotency_keys');
  }
  // A remittance file refused as a whole (422, 409) is remembered for staff: its hash and the problem (docs/remittances.md#staff-pages).
  if ((r.op === 'POST /v1/remittances' || r.op === 'POST /staff/remittances') && [409, 422].includes(a.status)) {
    return tables.every((t) => t === 'remittance_refusals');
  }
  if (r.op.startsWith('POST /webhooks/')) {
    const type = problemOf(a)?.type;
    const stored = [409, 422].includes(a.status) && typeof type === 'string' && !['/problems/validation-failed', '/problems/malformed-json'].includes(type);
    return stored && tables.every((t) => t === 'webhook_inbox');
  }
  return false;
}

const problemOf = (a: Answer): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(a.text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A stack frame, a source path, a module path: the marks of an internal error leaking out. */
const STACK_TRACE = /\bat (?:async )?[\w$.<>[\] ]*\(?(?:\/|file:|node:)[^)\s]*:\d+:\d+|node_modules\/|\/work\/|\.ts:\d+:\d+|\bError: .*\n\s+at /;

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push(k); strings(x, out); }
  return out;
}

const visible = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** The properties of one answer (not the write check, not the process check): a list of what is wrong. */
export function judge(r: FuzzRequest, op: Operation, a: Answer): string[] {
  const sentType = r.contentType ?? (r.body && 'json' in r.body ? 'application/json' : '');
  const wrong: string[] = [];
  const type = String(a.headers['content-type'] ?? '');
  if (a.status >= 500) wrong.push(`answered ${a.status}`);
  if (a.status < 100 || a.status >= 600) wrong.push(`answered a status outside HTTP: ${a.status}`);
  const location = a.headers.location;
  if (typeof location === 'string' && RAW_CONTROL.test(location)) wrong.push(`Location carries a control character: ${visible(location)}`);
  if (r.method === 'HEAD' || a.status < 400) return wrong;

  if (STACK_TRACE.test(a.text)) wrong.push(`the answer shows a stack trace or a source path: ${visible(STACK_TRACE.exec(a.text)![0])}`);
  if (RAW_CONTROL.test(a.text)) wrong.push(`the answer carries a raw control character at ${a.text.search(RAW_CONTROL)}: ${visible(a.text.slice(Math.max(0, a.text.search(RAW_CONTROL) - 30), a.text.search(RAW_CONTROL) + 10))}`);

  const documented = r.method === op.method && r.op === `${op.method} ${op.path}`;
  const isProblem = /^application\/problem\+json/.test(type);
  const isHtml = /^text\/html/.test(type);
  const pagesArea = op.path.startsWith('/staff') || op.path.startsWith('/portal');
  if (op.path.startsWith('/codec/session')) {
    if (!isProblem && !isHtml) wrong.push(`a ${a.status} of the codec sign-in is neither problem+json nor HTML (${type || 'no content type'})`);
  } else if (pagesArea && documented && !/json/i.test(sentType)) {
    // A page or form answers with a page; a client that sent JSON (no browser does) may get the API's problem+json, and
    // a path that matches no route at all (e.g. an empty id) the API's 404.
    const detail = problemOf(a)?.detail;
    const noRoute = isProblem && a.status === 404 && typeof detail === 'string' && detail.startsWith('No route for ');
    if (!isHtml && !noRoute) wrong.push(`a ${a.status} of a page or form is not an HTML page (${type || 'no content type'})`);
  } else if (!isProblem && !(op.html && isHtml)) {
    // JSON routes answer problem+json; so does any method a page does not have (the API's 404).
    wrong.push(`a ${a.status} is not application/problem+json (${type || 'no content type'})`);
  }
  if (isProblem) {
    const p = problemOf(a);
    if (!p) wrong.push('the problem+json body is not a JSON object');
    else {
      if (p.status !== a.status) wrong.push(`the problem's status ${String(p.status)} is not the answer's ${a.status}`);
      for (const k of ['type', 'title', 'detail']) if (typeof p[k] !== 'string') wrong.push(`the problem has no string ${k}`);
      const echoed = strings(p).find((s) => ANY_CONTROL.test(s));
      if (echoed !== undefined) wrong.push(`the problem echoes a control character: ${visible(echoed)}`);
    }
  }
  return wrong;
}
