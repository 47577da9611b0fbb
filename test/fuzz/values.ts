/**
 * Hostile values for the HTTP fuzz test: control characters (\u0000 first), lone surrogates, markup, SQL, paths,
 * huge / negative / fractional numbers, deep nesting, prototype keys, bad JSON, raw bytes. JSON bodies are built as
 * text (not with JSON.stringify of an object), so duplicate keys and `__proto__` keys really reach the server.
 */
import fc from 'fast-check';

export const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\u0000\u0000\u0000', '\u0001\u0002\u0003\u0004', '\u0007\u0008', '\u000b\u000c', '\u001b[31mred\u001b[0m', '\r\n', '\n', '\t',
  '\u007f', '\u0085', '\u009b', '\u2028\u2029', '\u202e', '\ufeff', '\ud800', '\udfff', 'a\ud83d', '😀', 'ß', 'İı', 'Ω', '\u0301',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' OR '1'='1", '1; DROP TABLE payments; --', '\\', '\\u0000', '"', "'",
  '../../../../etc/passwd', '%00', '%', '%zz', '%E0%A4%A', '${7*7}', '{{7*7}}', '#{7*7}', '__proto__', 'constructor', 'prototype', 'toString',
  'null', 'undefined', 'NaN', 'Infinity', '-Infinity', 'true', '[]', '{}', '-1', '0', '-0', '1e309', '0x10', ' 12 ', '12.345', '-0.01', '1,000.00', '$5.00',
  '99999999999999999999', '2026-13-45', '2026-02-30', '2026-13-45T99:99:99.000000Z', '0000-00-00', '9999-12-31', '1899-12-31', '13/45/1984',
  'x'.repeat(257), 'x'.repeat(5000), 'é'.repeat(2000), '🙂'.repeat(600), 'a,b', 'a;b', 'a=b', 'a&b=c',
];

/** Characters a header value may carry on the wire (Node refuses the rest before sending). */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;
export const headerSafe = (s: string) => HEADER_SAFE.test(s);

const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
/** Any string, with control characters and \u0000 much more often than chance would give them. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 5 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.array(fc.oneof(controlChar, fc.constantFrom('a', '0', ' ', '\u0000', 'é', '\ud800')), { maxLength: 20 }).map((cs) => cs.join('')), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 1 },
);

/** Strings that can travel in a header value. */
export const nastyHeaderString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS.filter(headerSafe).filter((s) => s.length <= 2000)),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 60 }),
);

/** Numbers as JSON text: huge, negative, fractional, beyond doubles, beyond int32/int64, exponents. */
export const NUMBER_TEXTS = [
  '0', '-0', '1', '-1', '0.5', '1.5', '-1.5', '12.34', '2500', '2500.0', '10000000', '10000001', '2147483647', '2147483648', '-2147483649',
  '9007199254740991', '9007199254740993', '1e308', '1e309', '-1e309', '1E2', '1e-7', '0.1e-400', '123456789012345678901234567890', '-123456789012345678901234567890',
];
export const numberText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NUMBER_TEXTS), weight: 4 },
  { arbitrary: fc.integer().map(String), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)), weight: 1 },
);

export const KEYS = [
  '__proto__', 'constructor', 'prototype', '\u0000', 'a\u0000', '', ' ', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'then',
  'x'.repeat(300), 'unknownField', 'amountCents', 'note', 'csrf', '$where', '0', 'é', '\ud800',
];
export const nastyKey: fc.Arbitrary<string> = fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 3 }, { arbitrary: nastyString, weight: 1 });

/** Any JSON value as text (objects may repeat keys and carry prototype keys). */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; arr: string; obj: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    nastyString.map((s) => JSON.stringify(s)), numberText, fc.constantFrom('true', 'false', 'null'), tie('arr'), tie('obj'),
  ),
  arr: fc.array(tie('value'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
  obj: fc.array(fc.tuple(nastyKey, tie('value')), { maxLength: 4 }).map((es) => `{${es.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
})).value;

/** Nesting far beyond what any schema expects (still within or just beyond the 64 kB body limit). */
export const deepJson: fc.Arbitrary<string> = fc.tuple(fc.constantFrom(10, 100, 1000, 5000, 12_000, 40_000), fc.constantFrom('array', 'object', 'mixed')).map(([n, kind]) =>
  kind === 'array' ? `${'['.repeat(n)}${']'.repeat(n)}` : kind === 'object' ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` : `{"amountCents":${'[{"x":'.repeat(Math.floor(n / 6))}0${'}]'.repeat(Math.floor(n / 6))}}`);

export const BAD_JSON = [
  '', ' ', '{', '}', '{"a":', '{"a":1,}', '[1,2', "{'a':1}", 'NaN', '{"a":NaN}', 'undefined', '\ufeff{}', '{"a":1}garbage', '{"a":"\\u00"}', '{"a":"\\x00"}',
  '"\\ud800"', 'null', 'true', '0', '-1', '"string"', '[]', '[{}]', '{}{}', '\u0000', '{"a":1}\u0000', '{"a":"\u0000"}', '{"\u0000":1}', '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"polluted":1}}}', '{"a":1,"a":2}', `{"pad":"${'x'.repeat(70 * 1024)}"}`,
];

/** Raw bytes, including invalid UTF-8, as base64 (readable in a counterexample). */
export const rawBytes: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
  fc.constantFrom(Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), Buffer.from([0xc3, 0x28]).toString('base64'), Buffer.from('{"a":"\xed\xa0\x80"}', 'latin1').toString('base64'), Buffer.from([0x1f, 0x8b, 0x08, 0x00]).toString('base64')),
);

export const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json;charset=bogus',
  'application/problem+json', 'application/merge-patch+json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', 'text/html',
  'application/xml', 'application/octet-stream', '', 'application/json, text/plain', 'APPLICATION/JSON', 'application/json; boundary=\u00ff', '*/*', 'application/',
];

export const BAD_IDEMPOTENCY_KEYS = ['', ' ', 'short', 'x'.repeat(101), 'has space', 'ünïcödé-key', 'key,with,commas', 'key/with/slash', '../../../x', 'key\twith\ttab', '%00%00%00%00', '\u00ff'.repeat(10)];

export const BAD_AUTH = [
  '', 'Bearer', 'Bearer ', 'Bearer short', 'bearer lower-case-token-xxxxxxxx', 'Basic dXNlcjpwYXNz', `Bearer ${'a'.repeat(201)}`, `Bearer ${'a'.repeat(5000)}`,
  'Bearer \u00ff\u00fe\u00fd\u00fc\u00fb\u00fa\u00f9\u00f8\u00f7\u00f6\u00f5\u00f4\u00f3\u00f2\u00f1\u00f0', 'Bearer  doublespace-token-xxxx', "Bearer ' OR '1'='1' -- xxxxx", 'Bearer null-null-null-null-null',
];

/** A paging cursor: well formed, or with an impossible date (issue 13 item 7), or not a cursor at all. */
export const cursorText: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(
    fc.constantFrom('2026-01-01T00:00:00.000000Z', '2026-13-45T99:99:99.000000Z', '2026-02-30T00:00:00.000000Z', '0000-00-00T00:00:00.000000Z', '9999-99-99T99:99:99.999999Z', '2026-01-01T24:00:00.000000Z'),
    fc.oneof(fc.uuid(), fc.constant('00000000-0000-0000-0000-000000000000')),
  ).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  jsonText.map((t) => Buffer.from(t).toString('base64url')),
  nastyString,
);
