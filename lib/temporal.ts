/** Connection settings for Temporal, shared by the API (client) and the worker. */
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
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

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The SDK's retry of UNAVAILABLE & co., except that it does not start a backoff that would end past the call's
 * deadline. The stock interceptor sleeps up to 5 s between attempts and only then notices the deadline, so a request
 * with a 4 s budget answered after 5-6 s (measured); with this one it ends at the last attempt that fits, with the
 * last attempt's error. Calls without a deadline (the worker's, scripts') retry exactly as before.
 */
export function deadlineAwareRetryInterceptor(): GrpcInterceptor {
  const stock = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const deadline = options.deadline instanceof Date ? options.deadline.getTime() : typeof options.deadline === 'number' ? options.deadline : Infinity;
    let delayMs = 0;
    return makeGrpcRetryInterceptor({
      retryableDecider(attempt, status) {
        if (!stock.retryableDecider(attempt, status)) return false;
        delayMs = stock.delayFunction(attempt, status);
        return Date.now() + delayMs < deadline;
      },
      delayFunction: () => delayMs,
    })(options, nextCall);
  };
}
