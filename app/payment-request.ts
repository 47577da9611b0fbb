/**
 * Collect Now's one Temporal exchange: start (or attach to) the collection's run and wait, briefly, for its EHR payment
 * request. The wait is bounded so the caller is answered within seconds even when the EHR is slow or down (the run
 * keeps trying): then the run exists and the link follows; the caller polls the collection (202 + Location).
 */
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { unavailable } from '../lib/errors';
import { outageOf } from '../lib/outage';
import { updateFailureToAppError } from './temporal-errors';
import { paymentRequestUpdate, type PaymentRequestView } from '../workflows/collection-messages';
import type { CollectionStart } from '../workflows/starts/collection';

/** How long Collect Now waits for the EHR link before it answers 202 (PAYMENT_LINK_WAIT); the rest of a 5 s answer is the fallback check. */
export const PAYMENT_LINK_WAIT_MS = 3000;
const RUN_CHECK_MS = 1000;

/** The payment request, or `undefined` when the run is started but its request is not open yet. */
export async function startAndAwaitPaymentRequest(temporal: Client, start: CollectionStart, waitMs = PAYMENT_LINK_WAIT_MS): Promise<PaymentRequestView | undefined> {
  const operation = new WithStartWorkflowOperation(start.workflow, start.options);
  try {
    // Idempotent: the first press starts the run, later ones attach to it (USE_EXISTING) and get the same request.
    // A deadline, not an abort: the API's retry interceptor stops at a deadline, while an abort waits out its backoff.
    return await temporal.withDeadline(Date.now() + waitMs, () => temporal.workflow.executeUpdateWithStart(paymentRequestUpdate, { startWorkflowOperation: operation }));
  } catch (err) {
    if (outageOf(err) !== 'temporal') throw updateFailureToAppError(err);
  }
  // Out of time: the EHR is slow or down, no worker has taken the run yet, or Temporal is down. Answer now if the run
  // exists (the link follows); otherwise the answer is 503 and the caller retries.
  try {
    await temporal.withDeadline(Date.now() + RUN_CHECK_MS, () => temporal.workflow.getHandle(start.options.workflowId).describe());
    return undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw unavailable('The workflow service did not start this collection in time; retry with the same Idempotency-Key.', 2);
    throw err; // an outage: http/problem.ts answers 503 with Retry-After
  }
}
