/**
 * Payload encryption in tests: the development defaults of lib/config.ts (public key `dev-2026-01`, engineer token
 * `dev-engineer-codec-token`), so the harness's client and worker and any API or worker process a test spawns
 * with the default configuration read each other's payloads.
 */
import { parseEnv, serviceEnvSchema } from '../../lib/config';
import { dataConverterFor, payloadCodecFor } from '../../lib/codec';
import type { CodecEndpointDeps } from '../../api/routes/codec';

const defaults = parseEnv(serviceEnvSchema, { DATABASE_URL: 'postgres://unused@localhost/unused' });

export const TEST_CODEC = payloadCodecFor(defaults);
export const TEST_DATA_CONVERTER = dataConverterFor(TEST_CODEC);
export const TEST_ENGINEER_TOKEN = defaults.CODEC_ENGINEER_TOKENS[0]!;
export const TEST_UI_ORIGIN = defaults.TEMPORAL_UI_ORIGIN[0]!;
export const TEST_CODEC_ENDPOINT: CodecEndpointDeps = {
  codec: TEST_CODEC, engineerTokens: defaults.CODEC_ENGINEER_TOKENS, uiOrigins: defaults.TEMPORAL_UI_ORIGIN, secureCookies: false,
};
