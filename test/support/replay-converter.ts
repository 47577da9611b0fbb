/**
 * The data converter to replay a recorded history with, as a worker would have to be configured for it: the
 * service's (plaintext refused) for histories recorded with encryption; for those recorded before payloads were
 * encrypted (their start input is plain), the migration flag PAYLOAD_ACCEPT_PLAINTEXT=true (docs/operations.md,
 * "Unencrypted payloads").
 */
import type { DataConverter } from '@temporalio/common';
import { dataConverterFor, ENCRYPTED_ENCODING, payloadCodecFor } from '../../lib/codec';
import { parseEnv, serviceEnvSchema } from '../../lib/config';
import { TEST_DATA_CONVERTER } from './codec';

export const MIGRATION_DATA_CONVERTER: DataConverter = dataConverterFor(payloadCodecFor(
  parseEnv(serviceEnvSchema, { DATABASE_URL: 'postgres://unused@localhost/unused', PAYLOAD_ACCEPT_PLAINTEXT: 'true' }),
));

type StartedEvent = { workflowExecutionStartedEventAttributes?: { input?: { payloads?: { metadata?: { encoding?: string } }[] } } };

/** `history` as parsed from a recorded JSON file (payload metadata in base64). */
export function replayDataConverterFor(history: unknown): DataConverter {
  const started = (history as { events?: StartedEvent[] }).events?.[0]?.workflowExecutionStartedEventAttributes;
  const encoding = started?.input?.payloads?.[0]?.metadata?.encoding;
  const plain = encoding !== undefined && Buffer.from(encoding, 'base64').toString('utf8') !== ENCRYPTED_ENCODING;
  return plain ? MIGRATION_DATA_CONVERTER : TEST_DATA_CONVERTER;
}
