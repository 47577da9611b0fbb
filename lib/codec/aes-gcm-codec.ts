/**
 * The payload codec: every payload the client or the worker hands to Temporal is encrypted with AES-256-GCM, so
 * the stored history (inputs, results, update and signal arguments, summaries, failure messages and stack traces)
 * holds only ciphertext. The whole payload (its metadata and data, protobuf-serialised) is encrypted: even the
 * original encoding is hidden. Metadata of an encrypted payload:
 *   encoding: binary/encrypted   encryption-cipher: AES-256-GCM   encryption-key-id: <id of the key used>
 * data = 12-byte random IV ‖ ciphertext ‖ 16-byte tag; the key id is authenticated data, so a payload cannot be
 * passed off as encrypted under another key.
 * Decoding here leaves payloads that are not encrypted as they are (the engineers' codec endpoint shows them as they
 * are); the worker's and the clients' data converters refuse them (plaintext-guard.ts, PAYLOAD_ACCEPT_PLAINTEXT).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKey } from './payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
export const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);
const aad = (keyId: string) => utf8(`payflow-payload:${keyId}`);

export function isEncrypted(p: Payload): boolean {
  return text(p.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;
  /** PAYLOAD_ACCEPT_PLAINTEXT: whether the data converters built with this codec let unencrypted payloads in (index.ts). */
  readonly acceptPlaintext: boolean;

  /** `current` defaults to the first key. */
  constructor(keys: readonly PayloadKey[], current?: string, opts: { acceptPlaintext?: boolean } = {}) {
    this.acceptPlaintext = opts.acceptPlaintext ?? false;
    if (keys.length === 0) throw new TypeError('AesGcmPayloadCodec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new TypeError(`payload key ${k.id} must be 32 bytes (AES-256)`);
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.currentKeyId = current ?? keys[0]!.id;
    if (!this.keys.has(this.currentKeyId)) throw new TypeError(`the current payload key ${this.currentKeyId} is not among the configured keys`);
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** A throw inside the executor becomes a rejection: callers always get a promise. */
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((p) => this.encrypt(p))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((p) => (isEncrypted(p) ? this.decrypt(p) : p))));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.currentKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, iv);
    cipher.setAAD(aad(keyId));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const body = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [CIPHER_METADATA]: utf8(CIPHER), [KEY_ID_METADATA]: utf8(keyId) },
      data: body,
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    const cipherName = text(payload.metadata?.[CIPHER_METADATA]);
    if (cipherName !== undefined && cipherName !== CIPHER) throw new ValueError(`unsupported payload cipher ${cipherName}`);
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    // The key id is not secret; naming it tells an operator which key to configure again.
    if (!key) throw new ValueError(`payload encrypted with key "${keyId ?? '(none)'}", which is not configured (PAYLOAD_KEYS)`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(aad(keyId!));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new ValueError(`encrypted payload failed authentication with key "${keyId}"`);
    }
    const decoded = temporal.api.common.v1.Payload.decode(plain);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}
