/**
 * The failure converter of the client, the worker AND the workflow bundle (it runs inside the workflow sandbox:
 * import nothing but @temporalio/common here). With `encodeCommonAttributes`, a failure's message and stack trace
 * travel as an encoded payload, which the payload codec then encrypts: the stored history shows "Encoded failure"
 * instead of the text. The client decodes them again, so API code still reads the real message.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
