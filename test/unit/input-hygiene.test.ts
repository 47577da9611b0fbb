/**
 * Issue 13, items 2, 7 and 8 in isolation: what a caller sent is echoed printable; values PostgreSQL cannot store are
 * refused naming their field; cursors must name an instant that exists; the process guards log without PHI; the limits
 * on refused tokens count per client address (IPv6 by its /64) and token prefix, and refuse before comparing.
 */
import { Writable } from 'node:stream';
import type { Request } from 'express';
import { z } from 'zod';
import { printable, validationFailed } from '../../lib/errors';
import { createLogger, installProcessGuards } from '../../lib/logger';
import { parseBody } from '../../lib/validate';
import { decodeCursor, isInstant } from '../../app/work-queue';
import { addressKey, createCredentialGuard } from '../../http/credential-limits';
import { escapeHtml, html } from '../../lib/html';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../http/json-body';
import { idempotencyRequestHash } from '../../api/idempotency';
import { requestFaultOf } from '../../http/request-faults';

describe('printable', () => {
  it('escapes control, formatting and lone surrogate characters visibly, keeps the rest, and cuts long text', () => {
    expect(printable('\u0000')).toBe('\\x00');
    expect(printable('a\u001b[31mb\u007f')).toBe('a\\x1b[31mb\\x7f');
    expect(printable('x\u202ey\u2028z\ufeff')).toBe('x\\u202ey\\u2028z\\ufeff');
    expect(printable('\ud83d')).toBe('\\ud83d');
    expect(printable('claimIds.0 · Ünïcødé 😀')).toBe('claimIds.0 · Ünïcødé 😀');
    expect(printable('k'.repeat(500))).toBe(`${'k'.repeat(100)}…`);
    expect(printable(printable('k'.repeat(500)))).toBe(printable('k'.repeat(500)));
  });

  it('validationFailed echoes field names printable, in the fields and in the detail', () => {
    const err = validationFailed([{ field: 'a\u0000b', reason: 'unknown field' }]);
    expect(err.fields).toEqual([{ field: 'a\\x00b', reason: 'unknown field' }]);
    expect(err.message).toBe('a\\x00b: unknown field');
  });
});

describe('pages escape what printable escapes (lib/html.ts)', () => {
  it('control and format characters become visible escapes in any interpolated value; tabs, line breaks and joiners stay', () => {
    expect(html`<input value="${'AB\u0000\u001bCD'}">`.value).toBe('<input value="AB\\x00\\x1bCD">');
    expect(escapeHtml('a\u0000\u0014b')).toBe('a\\x00\\x14b');
    expect(escapeHtml('x\u202ey\u2028z\ufeff\ud83d')).toBe('x\\u202ey\\u2028z\\ufeff\\ud83d');
    expect(escapeHtml('<a href="x">&\'`</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&#96;&lt;/a&gt;');
    expect(escapeHtml('line 1\r\n\tline 2 · Ünïcødé 😀 👩\u200d💻 می\u200cخواهم')).toBe('line 1\r\n\tline 2 · Ünïcødé 😀 👩\u200d💻 می\u200cخواهم');
  });
});

describe('JSON nesting (issue 13, fuzz-5)', () => {
  const nest = (n: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = i % 2 ? { a: v } : [v];
    return v;
  };

  it(`counts objects and arrays without recursion: ${MAX_JSON_DEPTH} levels pass, one more does not`, () => {
    expect(nestedDeeperThan(nest(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nest(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestedDeeperThan(nest(200_000), MAX_JSON_DEPTH)).toBe(true);
    expect(nestedDeeperThan({ amountCents: 1, claimIds: ['a', 'b'] }, MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(undefined, MAX_JSON_DEPTH)).toBe(false);
  });

  it('the idempotency hash refuses a body nested too deep (422 naming the body) instead of overflowing the stack', () => {
    expect(() => idempotencyRequestHash('POST', '/x', nest(200_000))).toThrow(expect.objectContaining({ status: 422, fields: [{ field: 'body', reason: `nested more than ${MAX_JSON_DEPTH} levels deep` }] }));
    expect(idempotencyRequestHash('POST', '/x', { amountCents: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('requests refused before any handler (issue 13, fuzz-1 to fuzz-3)', () => {
  const httpError = (status: number, props: object) => Object.assign(new Error('x'), { status, statusCode: status, expose: true, ...props });

  it.each([
    { what: 'a body that is not what its Content-Encoding says (zlib)', err: httpError(400, { code: 'Z_DATA_ERROR' }), status: 400, type: '/problems/bad-request' },
    { what: 'an empty gzip body', err: httpError(400, { code: 'Z_BUF_ERROR' }), status: 400, type: '/problems/bad-request' },
    { what: 'a brotli body that does not decompress', err: httpError(400, { code: 'ERR__ERROR_FORMAT_PADDING_2' }), status: 400, type: '/problems/bad-request' },
    { what: 'an encoding no parser takes', err: httpError(415, { type: 'encoding.unsupported' }), status: 415, type: '/problems/unsupported-encoding' },
    { what: 'a charset no parser takes', err: httpError(415, { type: 'charset.unsupported' }), status: 415, type: '/problems/unsupported-encoding' },
    { what: 'too many form fields', err: httpError(413, { type: 'parameters.too.many' }), status: 413, type: '/problems/payload-too-large' },
    { what: 'a body too large', err: httpError(413, { type: 'entity.too.large' }), status: 413, type: '/problems/payload-too-large' },
    { what: 'bad JSON', err: httpError(400, { type: 'entity.parse.failed' }), status: 400, type: '/problems/malformed-json' },
    { what: 'an aborted request', err: httpError(400, { type: 'request.aborted' }), status: 400, type: '/problems/bad-request' },
    { what: 'a path parameter that is not percent-encoding', err: Object.assign(new URIError("Failed to decode param '%FF%FE'"), { status: 400, statusCode: 400 }), status: 400, type: '/problems/bad-request' },
  ])('$what → $status', ({ err, status, type }) => {
    const fault = requestFaultOf(err)!;
    expect(fault.error.status).toBe(status);
    expect(`/problems/${fault.error.type}`).toBe(type);
    expect(fault.page.title).toBeTruthy();
    expect(JSON.stringify(fault)).not.toMatch(/%FF|x-bogus/);
  });

  it('anything else is not a request fault (a 500 stays a 500)', () => {
    expect(requestFaultOf(new Error('boom'))).toBeUndefined();
    expect(requestFaultOf(Object.assign(new Error('stream is not readable'), { status: 500, expose: false, type: 'stream.not.readable' }))).toBeUndefined();
    expect(requestFaultOf(new URIError('URI malformed'))).toBeUndefined();
    expect(requestFaultOf(undefined)).toBeUndefined();
  });
});

describe('parseBody', () => {
  const schema = z.strictObject({ note: z.string(), tags: z.array(z.string()).optional() });

  it('refuses a NUL or an unpaired surrogate in any string value, naming its field (422)', () => {
    expect(() => parseBody(schema, { note: 'a\u0000b' })).toThrow(expect.objectContaining({ status: 422, fields: [{ field: 'note', reason: expect.stringMatching(/cannot be stored/) }] }));
    expect(() => parseBody(schema, { note: 'ok', tags: ['fine', 'x\udc00'] })).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ field: 'tags.1' })] }));
    expect(parseBody(schema, { note: 'emoji 😀 and tabs\tand\nnewlines' }).note).toContain('😀');
  });

  it('an unknown key made of control characters is refused by a printable name', () => {
    expect(() => parseBody(schema, { note: 'x', '\u0000': 1 })).toThrow(expect.objectContaining({ fields: [{ field: '\\x00', reason: 'unknown field' }] }));
  });

  it('walks deep nesting without overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => parseBody(schema, { note: 'x', tags: deep })).toThrow(expect.objectContaining({ status: 422 }));
  });
});

describe('cursors', () => {
  it.each([
    ['2026-13-45T99:99:99.000000Z', false],
    ['2026-02-29T10:00:00.000000Z', false],
    ['2026-04-31T10:00:00.000000Z', false],
    ['2026-01-01T24:00:00.000000Z', false],
    ['0000-01-01T00:00:00.000000Z', false],
    ['2026-11-20T18:00:00.123Z', false],
    ['2024-02-29T23:59:59.999999Z', true],
    ['2026-11-20T18:00:00.123456Z', true],
  ])('%s is an instant: %s', (text, ok) => {
    expect(isInstant(text)).toBe(ok);
    const cursor = Buffer.from(JSON.stringify([text, '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    expect(decodeCursor(cursor) !== undefined).toBe(ok);
  });
});

describe('process guards', () => {
  function capture() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    return { log: createLogger('info', 'payflow-test', stream), lines };
  }

  it('logs an unhandled rejection and an uncaught exception without the PHI their messages quote, and exits only on the latter', () => {
    const { log, lines } = capture();
    const exits: number[] = [];
    const remove = installProcessGuards(log, (code) => exits.push(code));
    try {
      const pgError = Object.assign(new Error('invalid input syntax for type date: "Marisol Quintanilla"'), { code: '22007', detail: 'Key (name)=(Marisol)' });
      process.emit('unhandledRejection', pgError, Promise.resolve());
      expect(exits).toEqual([]);
      // Node's typings do not let code emit this one; Node itself does, with (error, origin).
      (process.emit as (event: string, ...args: unknown[]) => boolean)('uncaughtException', new TypeError('cannot read "1957-09-14"'), 'uncaughtException');
      expect(exits).toEqual([1]);
    } finally {
      remove();
    }
    const out = lines.join('\n');
    expect(out).not.toMatch(/Marisol|Quintanilla|1957-09-14/);
    const [rejection, exception] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejection).toMatchObject({ level: 50, msg: expect.stringMatching(/unhandled promise rejection/), error: { type: 'Error', code: '22007', message: 'invalid input syntax for type date: [redacted]' } });
    expect(rejection!.frames).toEqual(expect.arrayContaining([expect.stringMatching(/^at /)]));
    expect(exception).toMatchObject({ level: 60, error: { type: 'TypeError' }, origin: 'uncaughtException' });
  });
});

describe('credential limits', () => {
  const req = (address: string, forwardedFor?: string) =>
    ({ socket: { remoteAddress: address }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as Request;

  it('counts an IPv6 client by its /64, an IPv4 (or IPv4-mapped) one as it is', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(addressKey('10.0.0.7')).toBe('10.0.0.7');
  });

  it('sign-in: attempts are counted first (parallel ones too) and accepted ones given back', async () => {
    const guard = createCredentialGuard({ perClient: 3, perTokenPrefix: 100 });
    const client = req('192.0.2.1');
    // Ten at once: the first three pass, the rest are refused before any comparison.
    const waits = await Promise.all(Array.from({ length: 10 }, (_, i) => guard.attempt(client, `guess-${i}-xxxxxxxxxxxx`)));
    expect(waits.filter((w) => w === undefined)).toHaveLength(3);
    expect(waits.filter((w) => w !== undefined).every((w) => w > 0 && w <= 900)).toBe(true);
    // Another client is not affected; accepted attempts do not add up.
    const other = req('192.0.2.2');
    for (let i = 0; i < 5; i++) {
      expect(await guard.attempt(other, 'the-right-token-xxxxxxxx')).toBeUndefined();
      await guard.accepted(other, 'the-right-token-xxxxxxxx');
    }
  });

  it('bearer tokens: only refusals count; over the limit a client or a token prefix is blocked', async () => {
    const guard = createCredentialGuard({ perClient: 100, perTokenPrefix: 2 });
    const a = req('192.0.2.10');
    const b = req('192.0.2.11');
    expect(await guard.blocked(a, 'bl-abcdef-1111111111')).toBeUndefined();
    await guard.refused(a, 'bl-abcdef-1111111111');
    await guard.refused(b, 'bl-abcdef-2222222222');
    // The prefix `bl-abcde` is now blocked from anywhere; another prefix is not.
    expect(await guard.blocked(req('192.0.2.12'), 'bl-abcdef-3333333333')).toBeGreaterThan(0);
    expect(await guard.blocked(req('192.0.2.12'), 'fd-zzzzzz-3333333333')).toBeUndefined();
  });

  it('behind trusted proxies, the client is the X-Forwarded-For entry the proxies added', async () => {
    const guard = createCredentialGuard({ perClient: 1, perTokenPrefix: 100 }, 1);
    await guard.refused(req('10.0.0.1', '198.51.100.7'), undefined);
    expect(await guard.blocked(req('10.0.0.1', '198.51.100.7'), undefined)).toBeGreaterThan(0);
    expect(await guard.blocked(req('10.0.0.1', '198.51.100.8'), undefined)).toBeUndefined();
  });
});
