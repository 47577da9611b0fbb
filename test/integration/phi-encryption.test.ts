/**
 * PHI in Temporal: payloads are encrypted by the codec (lib/codec), so the history stored by the server holds only
 * ciphertext; the codec endpoint (/codec/*) decodes for engineers only, and only from the Temporal UI's origin.
 * Runs real collections on the real server, then reads their raw histories twice: with the SDK WITHOUT the codec,
 * and with the Temporal CLI (`temporal workflow show --output json`), as an engineer would.
 */
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import type { temporal } from '@temporalio/proto';
import { useTestStack } from '../support/harness';
import { seedScenario, transferToPatient, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, remit, startCopay } from '../support/copay-driver';
import { sharedStack } from '../support/shared-stack';
import { TEST_ENGINEER_TOKEN, TEST_UI_ORIGIN } from '../support/codec';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../lib/codec';

type RawPayload = { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null };

/** Every payload in a history object, with where it sits (search attributes and headers are not payload-encoded). */
function payloadsIn(value: unknown, path = ''): { path: string; payload: RawPayload }[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const o = value as Record<string, unknown>;
  if (o.data instanceof Uint8Array && typeof o.metadata === 'object' && o.metadata !== null) return [{ path, payload: o }];
  return Object.entries(o).flatMap(([k, v]) => payloadsIn(v, `${path}.${k}`));
}

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

async function phiOf(stack: ReturnType<typeof useTestStack>, s: Scenario) {
  const p = await stack.db('patients').where({ id: s.patientId }).first<{ first_name: string; last_name: string; date_of_birth: string; account_id: string }>();
  return [p.first_name, p.last_name, p.date_of_birth, p.account_id];
}

/** PHI must not appear anywhere: not in the raw JSON, not in any payload's bytes read as text. */
function expectNoPhi(label: string, haystacks: string[], phi: string[]) {
  for (const h of haystacks) for (const v of phi) if (h.includes(v)) throw new Error(`${label}: "${v}" appears in plain text`);
}

describe('PHI encryption of workflow payloads', () => {
  const stack = useTestStack();
  const runs: { workflowId: string; phi: string[] }[] = [];

  beforeAll(async () => {
    // 1. A copay flagged for staff and resolved with a note that names the patient (free text staff may well type).
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const phi = await phiOf(stack, s);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await remit(stack, transferToPatient(s, 0)); // paid in full by the payer: credit_remaining
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    await request(stack.app).post(`/v1/manual-tasks/${flagged.openTask.id}/resolve`).set(s.auth('billing'))
      .send({ action: 'credit', note: `Called ${phi[0]} ${phi[1]} (DOB ${phi[2]}, account ${phi[3]}): keep as credit` }).expect(200);
    await collectionWhen(stack, s, started.collectionId, 'resolved');
    runs.push({ workflowId: started.workflowId, phi });

    // 2. A copay cancelled with a reason that names the patient.
    const s2 = await seedScenario(stack.db);
    const phi2 = await phiOf(stack, s2);
    const started2 = await startCopay(stack, s2, 1500);
    await request(stack.app).post(`/v1/collections/${started2.collectionId}/cancel`).set(s2.auth('frontDesk'))
      .send({ reason: `${phi2[0]} ${phi2[1]}, born ${phi2[2]}, will pay by statement (account ${phi2[3]})` }).expect(200);
    await collectionWhen(stack, s2, started2.collectionId, 'cancelled');
    runs.push({ workflowId: started2.workflowId, phi: phi2 });
  });

  it('the raw history (read without the codec) holds no name, date of birth or account id, and every payload is encrypted', async () => {
    for (const run of runs) {
      // fetchHistory returns the history as stored: the client's codec is not applied to it.
      const history = await stack.client.workflow.getHandle(run.workflowId).fetchHistory();
      const found = payloadsIn(history);
      // Not payload-encoded, by design: search attributes (indexed), headers, and the patch markers Temporal's core
      // writes itself (they hold a patch id: checked below).
      const encoded = found.filter((p) => !/searchAttributes|\.header\.|markerRecordedEventAttributes\.details\.patch-data/.test(p.path));
      const patchData = found.filter((p) => p.path.includes('patch-data')).map((p) => text(p.payload.data));
      for (const d of patchData) expect(d).toMatch(/^\{"id":"[a-z-]+","deprecated":(true|false)\}$/);
      expect(encoded.length).toBeGreaterThan(10); // inputs, results, update args, summaries…
      for (const { path, payload } of encoded) {
        expect({ path, encoding: text(payload.metadata?.encoding) }).toEqual({ path, encoding: ENCRYPTED_ENCODING });
        expect({ path, key: text(payload.metadata?.[KEY_ID_METADATA]) }).toEqual({ path, key: 'dev-2026-01' });
      }
      // The summaries and the update/cancel arguments are among them.
      expect(encoded.some((p) => p.path.includes('userMetadata.summary'))).toBe(true);
      const history64 = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
      expectNoPhi(run.workflowId, [history64, ...found.map((p) => text(p.payload.data)), ...found.map((p) => Buffer.from(p.payload.data ?? []).toString('latin1'))], run.phi);
      // Search attributes are plain by design: they must carry nothing but path, status, practice and reason.
      const attrs = found.filter((p) => p.path.includes('searchAttributes')).map((p) => text(p.payload.data));
      expectNoPhi(`${run.workflowId} search attributes`, attrs, run.phi);
    }
  });

  it('the Temporal CLI shows the same: ciphertext only', () => {
    const { temporalCliPath, temporalAddress } = sharedStack();
    for (const run of runs) {
      const json = execFileSync(temporalCliPath, ['workflow', 'show', '--workflow-id', run.workflowId, '--address', temporalAddress, '--output', 'json'], { encoding: 'utf8' });
      const events = (JSON.parse(json) as { events: temporal.api.history.v1.IHistoryEvent[] }).events;
      expect(events.length).toBeGreaterThan(10);
      const data = [...json.matchAll(/"data":\s*"([^"]*)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
      expectNoPhi(`CLI ${run.workflowId}`, [json, ...data], run.phi);
      expect(json).toContain(Buffer.from(ENCRYPTED_ENCODING).toString('base64'));
      // Plain only: patch markers (a patch id, written by Temporal's core), search attributes (path, status,
      // practice id, manual reason, the patches a run took) and trace-context headers (ids of spans).
      const plain = [...json.matchAll(/"encoding":\s*"([^"]*)",?\s*(?:"[^"]*":\s*"[^"]*",?\s*)*\},\s*"data":\s*"([^"]*)"/g)]
        .filter((m) => Buffer.from(m[1]!, 'base64').toString() !== ENCRYPTED_ENCODING)
        .map((m) => Buffer.from(m[2]!, 'base64').toString());
      for (const d of plain) expect(d).toMatch(/^\{"id":"[a-z-]+","deprecated":(true|false)\}$|^"[a-z_]+"$|^"[0-9a-f-]{36}"$|^\{"traceparent":"[0-9a-f-]+"\}$|^\["[a-z-]+"(,"[a-z-]+")*\]$/);
    }
  });

  it('the client (with the codec) still reads everything: results and the summary', async () => {
    const handle = stack.client.workflow.getHandle(runs[1]!.workflowId);
    expect(await handle.result()).toMatchObject({ status: 'cancelled' });
    const description = await handle.describe();
    expect(await description.staticSummary()).toMatch(/^Superbill copay of \$15\.00 for visit [0-9a-f-]{36} \(collection [0-9a-f-]{36}\)$/);
  });
});

describe('codec endpoint (/codec/encode, /codec/decode)', () => {
  const stack = useTestStack({ worker: false });
  const bearer = { Authorization: `Bearer ${TEST_ENGINEER_TOKEN}` };
  const sample = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"firstName":"Casey"}').toString('base64') }] };

  it('refuses a request without an engineer credential (401) or with a staff token', async () => {
    const none = await request(stack.app).post('/codec/decode').send(sample).expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="payflow-codec"');
    expect(none.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    const s = await seedScenario(stack.db);
    await request(stack.app).post('/codec/decode').set(s.auth('admin')).send(sample).expect(401);
    await request(stack.app).post('/codec/encode').set('Authorization', 'Bearer not-an-engineer-token').send(sample).expect(401);
  });

  it('round-trips with the credential: encode gives ciphertext, decode gives the payload back', async () => {
    const enc = await request(stack.app).post('/codec/encode').set(bearer).send(sample).expect(200);
    const [p] = enc.body.payloads;
    expect(Buffer.from(p.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(p.metadata[KEY_ID_METADATA], 'base64').toString()).toBe('dev-2026-01');
    expect(Buffer.from(p.data, 'base64').toString('latin1')).not.toContain('Casey');
    const dec = await request(stack.app).post('/codec/decode').set(bearer).send(enc.body).expect(200);
    expect(dec.body).toEqual(sample);
    expect(dec.headers['cache-control']).toBe('no-store');
  });

  it('decodes what the worker wrote, with the X-Namespace header the UI sends', async () => {
    const s = await seedScenario(stack.db);
    await stack.startWorker();
    try {
      const started = await startCopay(stack, s, 2500);
      const history = await stack.client.workflow.getHandle(started.workflowId).fetchHistory();
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const body = { payloads: [{ metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(input.data!).toString('base64') }] };
      const dec = await request(stack.app).post('/codec/decode').set(bearer).set('X-Namespace', 'default').send(body).expect(200);
      const decoded = JSON.parse(Buffer.from(dec.body.payloads[0].data, 'base64').toString());
      expect(decoded).toMatchObject({ collectionId: started.collectionId, amountCents: 2500, timeZone: 'America/Los_Angeles' });
    } finally {
      await stack.stopWorker();
    }
  });

  it('allows CORS from the Temporal UI origin only, and answers its preflight', async () => {
    const pre = await request(stack.app).options('/codec/decode').set('Origin', TEST_UI_ORIGIN)
      .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,x-namespace').expect(204);
    expect(pre.headers).toMatchObject({
      'access-control-allow-origin': TEST_UI_ORIGIN, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'POST, OPTIONS',
    });
    expect(pre.headers['access-control-allow-headers']).toMatch(/X-Namespace/);
    const ok = await request(stack.app).post('/codec/decode').set('Origin', TEST_UI_ORIGIN).set(bearer).send(sample).expect(200);
    expect(ok.headers['access-control-allow-origin']).toBe(TEST_UI_ORIGIN);

    const evil = 'https://evil.example';
    const badPre = await request(stack.app).options('/codec/decode').set('Origin', evil).set('Access-Control-Request-Method', 'POST').expect(403);
    expect(badPre.headers['access-control-allow-origin']).toBeUndefined();
    // Even with a valid credential, a page from another origin gets nothing.
    const bad = await request(stack.app).post('/codec/decode').set('Origin', evil).set(bearer).send(sample).expect(403);
    expect(bad.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.stringify(bad.body)).not.toContain('Casey');
  });

  it('signs a browser in with the engineer token (cookie for the UI), and out again', async () => {
    const page = await request(stack.app).get('/codec/session').expect(200);
    expect(page.text).toContain('Engineer codec token');
    await request(stack.app).post('/codec/session').type('form').send({ token: 'wrong-token-000000' }).expect(401);
    const signIn = await request(stack.app).post('/codec/session').type('form').send({ token: TEST_ENGINEER_TOKEN }).expect(200);
    const cookie = String(signIn.headers['set-cookie']);
    expect(cookie).toMatch(/^payflow_codec_session=\d+\.[0-9a-f]{64}; Max-Age=28800; Path=\/codec; Expires=.+; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TEST_ENGINEER_TOKEN);
    const session = cookie.split(';')[0]!;
    // What the Temporal UI sends with "Include cross-origin credentials": the cookie, from its origin.
    await request(stack.app).post('/codec/decode').set('Origin', TEST_UI_ORIGIN).set('Cookie', session).send(sample).expect(200);
    await request(stack.app).post('/codec/decode').set('Cookie', 'payflow_codec_session=9999999999.' + '0'.repeat(64)).send(sample).expect(401);
    // Sign-in is same-origin only (no login from another site).
    await request(stack.app).post('/codec/session').set('Origin', 'https://evil.example').type('form').send({ token: TEST_ENGINEER_TOKEN }).expect(403);
    const out = await request(stack.app).post('/codec/session/end').expect(200);
    expect(String(out.headers['set-cookie'])).toMatch(/^payflow_codec_session=;/);
  });

  it('refuses malformed bodies and undecodable payloads with 422, echoing no payload', async () => {
    const malformed = await request(stack.app).post('/codec/decode').set(bearer).send({ payloads: [{ data: 'not base64!' }] }).expect(422);
    expect(malformed.body.type).toBe('/problems/validation-failed');
    const bad = { payloads: [{ metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING).toString('base64'), [KEY_ID_METADATA]: Buffer.from('gone-key').toString('base64') }, data: Buffer.alloc(40).toString('base64') }] };
    const res = await request(stack.app).post('/codec/decode').set(bearer).send(bad).expect(422);
    expect(res.body.detail).toBe('payload encrypted with key "gone-key", which is not configured (PAYLOAD_KEYS)');
  });
});
