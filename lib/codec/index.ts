/**
 * Payload encryption for every Temporal client and worker of the service (one place, so they cannot disagree):
 *   const codec = payloadCodecFor(config);            // AES-256-GCM with the configured keys
 *   new Client({ connection, dataConverter: dataConverterFor(codec) });
 *   Worker.create({ …, dataConverter: dataConverterFor(codec) });
 * The workflow bundle must carry the same failure converter (worker/bundle.ts passes FAILURE_CONVERTER_PATH).
 * The data converter refuses unencrypted payloads unless PAYLOAD_ACCEPT_PLAINTEXT is set (plaintext-guard.ts).
 */
import type { DataConverter } from '@temporalio/common';
import type { ServiceConfig } from '../config';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import { DEV_PAYLOAD_KEYS, parsePayloadKeys } from './payload-keys';
import { PlaintextRefusingCodec } from './plaintext-guard';

export { AesGcmPayloadCodec, CIPHER, ENCRYPTED_ENCODING, KEY_ID_METADATA, isEncrypted } from './aes-gcm-codec';
export { DEV_PAYLOAD_KEYS, parsePayloadKeys, type PayloadKey } from './payload-keys';
export { PlaintextRefusingCodec, REFUSED_ENCODING } from './plaintext-guard';

/** Loaded by path: by the bundler into the workflow sandbox, and by the worker and client with require(). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function payloadCodecFor(config: Pick<ServiceConfig, 'PAYLOAD_KEYS' | 'PAYLOAD_KEY_CURRENT' | 'PAYLOAD_ACCEPT_PLAINTEXT'>): AesGcmPayloadCodec {
  return new AesGcmPayloadCodec(config.PAYLOAD_KEYS, config.PAYLOAD_KEY_CURRENT, { acceptPlaintext: config.PAYLOAD_ACCEPT_PLAINTEXT });
}

/**
 * The codec from PAYLOAD_KEYS / PAYLOAD_KEY_CURRENT alone (development defaults when unset), for tools that talk to
 * Temporal without the service's full configuration (benchmarks, scripts). Services use payloadCodecFor(config).
 */
export function payloadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec {
  const keys = parsePayloadKeys(env.PAYLOAD_KEYS || DEV_PAYLOAD_KEYS);
  if (!keys) throw new TypeError('PAYLOAD_KEYS must be a comma-separated list of id:base64 entries, each key 32 bytes (AES-256)');
  return new AesGcmPayloadCodec(keys, env.PAYLOAD_KEY_CURRENT || undefined, { acceptPlaintext: ['true', '1'].includes(env.PAYLOAD_ACCEPT_PLAINTEXT ?? '') });
}

/** For clients and workers: payloads in are decrypted, and refused when unencrypted (unless the codec accepts plaintext). */
export function dataConverterFor(codec: AesGcmPayloadCodec): DataConverter {
  return { payloadCodecs: [codec.acceptPlaintext ? codec : new PlaintextRefusingCodec(codec)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
