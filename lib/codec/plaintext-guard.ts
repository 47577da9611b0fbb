/**
 * Refuses unencrypted payloads on their way into the worker and the clients. Every payload this service writes is
 * encrypted (aes-gcm-codec.ts), so an unencrypted one was written by someone else: anyone who can reach Temporal
 * could otherwise send a plain-JSON capture that a run records.
 *
 * The refusal happens where the value is read, not in the decode itself: the decode swaps each unencrypted payload
 * for an empty one whose encoding no converter knows (REFUSED_ENCODING), so reading it fails with
 * "Unknown encoding: refused: unencrypted payload…". Failing the decode would fail the run's whole workflow task: an
 * update would then be neither accepted nor rejected (its sender waits, measured), and the run would stall while it
 * is pending. Where the value is read:
 *   - an update: rejected before it is accepted (the SDK's rule for undecodable input); nothing is recorded, the
 *     sender gets the error, the run goes on;
 *   - a signal, an activity result or input: that workflow task (or activity) fails and is retried, with the error in
 *     the worker log; nothing in it is acted upon (an engineer resets the run to before a forged signal:
 *     docs/operations.md).
 * Payloads Temporal writes without our codec never reach the decode: search attributes and headers are skipped by
 * the SDK, patch markers and timers are handled by its core.
 * PAYLOAD_ACCEPT_PLAINTEXT=true lets plaintext in again: only to migrate histories written before encryption.
 * The engineers' codec endpoint (api/routes/codec.ts) uses the codec itself, which passes plaintext through: it only
 * shows payloads to an engineer, and the Temporal UI sends it plain ones too.
 */
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { isEncrypted } from './aes-gcm-codec';

/** Read back by the SDK's error message ("Unknown encoding: …"): it says what happened. */
export const REFUSED_ENCODING = 'refused: unencrypted payload, not written by payflow (PAYLOAD_ACCEPT_PLAINTEXT)';

const refused: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(REFUSED_ENCODING, 'utf8') }, data: new Uint8Array() };

export class PlaintextRefusingCodec implements PayloadCodec {
  constructor(private readonly inner: PayloadCodec) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.inner.encode(payloads);
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return this.inner.decode(payloads.map((p) => (isEncrypted(p) ? p : refused)));
  }
}
