/** Connection settings for Temporal, shared by the API (client) and the worker. */
import { readFileSync } from 'node:fs';
import type { ServiceConfig } from './config';

type TemporalConfig = Pick<ServiceConfig, 'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH' | 'TEMPORAL_API_KEY'>;

/** Local dev server: plain gRPC. Temporal Cloud: TLS with an mTLS client certificate or an API key. */
export interface TemporalConnectionSettings {
  address: string;
  tls?: true | { clientCertPair: { crt: Buffer; key: Buffer } };
  apiKey?: string;
}

export function temporalConnectionOptions(config: TemporalConfig): TemporalConnectionSettings {
  const mtls =
    config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
      ? { clientCertPair: { crt: readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: readFileSync(config.TEMPORAL_TLS_KEY_PATH) } }
      : undefined;
  const tls = config.TEMPORAL_TLS || mtls || config.TEMPORAL_API_KEY ? (mtls ?? true) : undefined;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
