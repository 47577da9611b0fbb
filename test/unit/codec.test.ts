/** The payload codec (AES-256-GCM, key id in the metadata, rotation) and its configuration. */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec, dataConverterFor, ENCRYPTED_ENCODING, KEY_ID_METADATA, parsePayloadKeys, payloadCodecFor, payloadCodecFromEnv, REFUSED_ENCODING,
} from '../../lib/codec';
import { parseEnv, SECRET_VARIABLES, serviceEnvSchema } from '../../lib/config';

const key = (id: string) => ({ id, key: randomBytes(32) });
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const phi = { firstName: 'Casey', lastName: 'Testpatient', dateOfBirth: '1980-02-03', accountId: 'K7M2Q9X4TR' };
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

describe('AES-256-GCM payload codec', () => {
  const k1 = key('k2026-01');
  const k2 = key('k2026-07');

  it('round-trips a payload and hides everything, the original encoding included', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const [encoded] = await codec.encode([payloadOf(phi)]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![KEY_ID_METADATA])).toBe('k2026-01');
    expect(text(encoded!.metadata!['encryption-cipher'])).toBe('AES-256-GCM');
    const raw = Buffer.from(encoded!.data!).toString('latin1');
    for (const v of [...Object.values(phi), 'json/plain']) expect(raw).not.toContain(v);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(phi);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV every time: the same value never encrypts to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const [a, b] = await codec.encode([payloadOf('same'), payloadOf('same')]);
    expect(Buffer.compare(Buffer.from(a!.data!), Buffer.from(b!.data!))).not.toBe(0);
  });

  it('rotates: encrypts with the current key, decrypts with any configured key', async () => {
    const before = new AesGcmPayloadCodec([k1]);
    const during = new AesGcmPayloadCodec([k1, k2], 'k2026-07');
    const [old] = await before.encode([payloadOf('written before the rotation')]);
    const [fresh] = await during.encode([payloadOf('written after')]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('k2026-07');
    const decoded = await during.decode([old!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['written before the rotation', 'written after']);
    // A process that never got the new key cannot read the new payloads, and says which key it lacks.
    await expect(before.decode([fresh!])).rejects.toThrow('payload encrypted with key "k2026-07", which is not configured (PAYLOAD_KEYS)');
  });

  it('refuses a tampered payload and a payload passed off under another key id', async () => {
    const codec = new AesGcmPayloadCodec([k1, k2]);
    const [p] = await codec.encode([payloadOf(phi)]);
    const flipped = Buffer.from(p!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...p!, data: flipped }])).rejects.toThrow('failed authentication');
    const relabelled = { ...p!, metadata: { ...p!.metadata, [KEY_ID_METADATA]: Buffer.from('k2026-07') } };
    await expect(codec.decode([relabelled])).rejects.toThrow('failed authentication');
  });

  it('leaves payloads that were never encrypted as they are: the engineers\' codec endpoint shows them', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const plain = payloadOf({ collectionId: 'c-1' });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('the data converter of clients and workers refuses unencrypted payloads where they are read', async () => {
    const [guard] = dataConverterFor(new AesGcmPayloadCodec([k1])).payloadCodecs!;
    const [encrypted] = await guard!.encode([payloadOf(phi)]);
    const [forged, decrypted] = await guard!.decode([payloadOf({ collectionId: 'c-1', amountCents: 2500 }), encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decrypted!)).toEqual(phi);
    // Nothing of the forged payload goes on; reading it fails with a message that says why.
    expect(forged!.data).toEqual(new Uint8Array());
    expect(() => defaultPayloadConverter.fromPayload(forged!)).toThrow(`Unknown encoding: ${REFUSED_ENCODING}`);
    expect(REFUSED_ENCODING).toBe('refused: unencrypted payload, not written by payflow (PAYLOAD_ACCEPT_PLAINTEXT)');
  });

  it('PAYLOAD_ACCEPT_PLAINTEXT=true lets them through, to migrate histories written before encryption', async () => {
    const config = parseEnv(serviceEnvSchema, { DATABASE_URL: 'postgres://u:p@localhost/x', PAYLOAD_ACCEPT_PLAINTEXT: 'true' });
    const [codec] = dataConverterFor(payloadCodecFor(config)).payloadCodecs!;
    const plain = payloadOf({ collectionId: 'c-1' });
    expect(await codec!.decode([plain])).toEqual([plain]);
    expect(payloadCodecFromEnv({ PAYLOAD_ACCEPT_PLAINTEXT: 'true' }).acceptPlaintext).toBe(true);
    expect(payloadCodecFromEnv({}).acceptPlaintext).toBe(false);
  });

  it('refuses a current key that is not configured, and keys of the wrong size', () => {
    expect(() => new AesGcmPayloadCodec([k1], 'nope')).toThrow('not among the configured keys');
    expect(() => new AesGcmPayloadCodec([{ id: 'short', key: randomBytes(16) }])).toThrow('32 bytes');
  });
});

describe('payload key configuration', () => {
  const base = { DATABASE_URL: 'postgres://u:p@localhost:5432/payflow' };
  const b64 = (n: number) => randomBytes(n).toString('base64');
  const messageFor = (env: Record<string, string>) => {
    try {
      parseEnv(serviceEnvSchema, env);
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('parses id:base64 lists and refuses malformed ones', () => {
    expect(parsePayloadKeys(`a:${b64(32)}, b:${b64(32)}`)?.map((k) => k.id)).toEqual(['a', 'b']);
    for (const bad of ['', 'nokey', `:${b64(32)}`, `a:${b64(16)}`, `a:${b64(32)},a:${b64(32)}`, 'a:not base64!']) expect(parsePayloadKeys(bad)).toBeUndefined();
  });

  it('names the variable and never echoes a key', () => {
    const secret = b64(16);
    const message = messageFor({ ...base, PAYLOAD_KEYS: `k1:${secret}` });
    expect(message).toBe('Configuration error: PAYLOAD_KEYS must be a comma-separated list of id:base64 entries, each key 32 bytes (AES-256), ids unique');
    expect(message).not.toContain(secret);
    expect(messageFor({ ...base, PAYLOAD_KEYS: `k1:${b64(32)}`, PAYLOAD_KEY_CURRENT: 'k2' })).toBe('Configuration error: PAYLOAD_KEY_CURRENT must be the id of one of the PAYLOAD_KEYS');
  });

  it('refuses the public development key and engineer token in production', () => {
    const generated = () => randomBytes(32).toString('base64');
    const prod = {
      ...base, NODE_ENV: 'production', ...Object.fromEntries(SECRET_VARIABLES.filter((n) => n !== 'CODEC_ENGINEER_TOKENS').map((n) => [n, generated()])),
    };
    expect(messageFor(prod)).toBe('Configuration error: CODEC_ENGINEER_TOKENS is a publicly known value: generate one with: openssl rand -base64 32');
    expect(messageFor({ ...prod, CODEC_ENGINEER_TOKENS: generated() }))
      .toBe('Configuration error: PAYLOAD_KEYS key "dev-2026-01" is a publicly known key: generate one with: npx tsx lib/codec/payload-keys.ts <id>');
    // Real values pass (another variable may still be missing for production: not ours to check here).
    expect(messageFor({ ...prod, CODEC_ENGINEER_TOKENS: generated(), PAYLOAD_KEYS: `k1:${b64(32)}` })).not.toMatch(/CODEC_ENGINEER_TOKENS|PAYLOAD_KEY/);
  });

  it('refuses unencrypted payloads by default; PAYLOAD_ACCEPT_PLAINTEXT=true (migration) lets them through', () => {
    expect(parseEnv(serviceEnvSchema, base).PAYLOAD_ACCEPT_PLAINTEXT).toBe(false);
    expect(parseEnv(serviceEnvSchema, { ...base, PAYLOAD_ACCEPT_PLAINTEXT: 'true' }).PAYLOAD_ACCEPT_PLAINTEXT).toBe(true);
    expect(messageFor({ ...base, PAYLOAD_ACCEPT_PLAINTEXT: 'yes' })).toBe('Configuration error: PAYLOAD_ACCEPT_PLAINTEXT must be true or false');
  });

  it('defaults: the development key, the local Temporal UI origin, worker metrics on 9464, tracing off', () => {
    const c = parseEnv(serviceEnvSchema, base);
    expect(c.PAYLOAD_KEYS.map((k) => k.id)).toEqual(['dev-2026-01']);
    expect(c.PAYLOAD_KEY_CURRENT).toBeUndefined();
    expect(c.TEMPORAL_UI_ORIGIN).toEqual(['http://localhost:8233']);
    expect(c.WORKER_METRICS_PORT).toBe(9464);
    expect(c.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(messageFor({ ...base, TEMPORAL_UI_ORIGIN: 'localhost:8233' })).toBe('Configuration error: TEMPORAL_UI_ORIGIN must be a comma-separated list of origins like http://localhost:8233');
  });
});
