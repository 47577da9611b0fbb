/**
 * A superbill copay's activities, mocked over an in-memory world (the EHR request, the payment, the visit's claim), and
 * the run started exactly as the API starts it (workflows/starts/collection.ts, with the service's default windows).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../activities';
import { collectionStart, collectionWindowsOf } from '../../workflows/starts/collection';
import type { ClaimState, PaymentState } from '../../domain/application-rules';
import type { CaptureInput } from '../../workflows/collection-messages';
import type { superbillCopay } from '../../workflows/superbill-copay';
import { DEFAULTS, type Mocks } from './support';

export const COPAY_CENTS = 2_500;
export const DATE_OF_SERVICE = '2026-03-02';
const PATIENT = 'patient-1';
const VISIT = 'visit-1';

export interface CopayWorld {
  /** The visit's claim; null before the clearinghouse has sent it. */
  claim: ClaimState | null;
  /** The claim's clearinghouse version: every change bumps it. */
  claimVersion: number;
  payment?: PaymentState;
  /** Automatic applications standing on the claim (ids). */
  standing: { id: string; amountCents: number }[];
  autoReversals: number;
  /** What the EHR answers when asked to cancel the payment request. */
  cancelOutcome: 'cancelled' | 'already_closed';
}

export function newWorld(over: Partial<CopayWorld> = {}): CopayWorld {
  return {
    claim: {
      claimId: 'claim-1', visitId: VISIT, patientId: PATIENT, responsibility: 'payer', dateOfService: DATE_OF_SERVICE,
      patientResponsibilityCents: 4_000, appliedCents: 0,
    },
    claimVersion: 1, standing: [], autoReversals: 0, cancelOutcome: 'cancelled', ...over,
  };
}

/** The clearinghouse changes who holds the claim (the run hears of it by a message, or by re-reading the claim). */
export function moveClaim(world: CopayWorld, responsibility: 'payer' | 'patient'): void {
  world.claim!.responsibility = responsibility;
  world.claimVersion++;
}

export function copayMocks(mocks: Mocks, world: CopayWorld): Partial<Activities> {
  return mocks.activities({
    openPaymentRequest: (i) => ({ requestId: `req-${i.collectionId}`, url: `https://ehr.example.test/pay/req-${i.collectionId}` }),
    cancelPaymentRequest: () => ({ outcome: world.cancelOutcome }),
    setCollectionStatus: () => ({ changed: true, path: 'copay' }),
    sendPaymentReceipt: () => ({ channel: 'email' as const, messageId: 'receipt-1' }),
    recordCapturedPayment: (i) => {
      world.payment ??= {
        paymentId: `pay-${i.externalPaymentId}`, patientId: PATIENT, reason: 'copay', visitId: VISIT, amountCents: i.amountCents,
        appliedCents: 0, refundedCents: 0, paymentDate: DATE_OF_SERVICE,
      };
      return { paymentId: world.payment.paymentId, paymentDate: DATE_OF_SERVICE, created: true };
    },
    loadCopayState: () => ({
      payment: { ...world.payment! }, claim: world.claim ? { ...world.claim } : null, round: 1 + world.autoReversals,
      claimVersion: world.claim ? world.claimVersion : null,
    }),
    applyDecision: (i) => {
      const applicationIds = i.applications.map((a) => {
        const id = `app-${a.businessKey}`;
        world.standing.push({ id, amountCents: a.amountCents });
        world.payment!.appliedCents += a.amountCents;
        world.claim!.appliedCents += a.amountCents;
        return id;
      });
      return { applicationIds, taskId: i.task ? `task-${i.task.reason}-${i.taskKeySuffix}` : null };
    },
    reverseAutoApplications: () => {
      const reversed = world.standing.splice(0);
      const cents = reversed.reduce((s, a) => s + a.amountCents, 0);
      world.payment!.appliedCents -= cents;
      world.claim!.appliedCents -= cents;
      if (reversed.length > 0) world.autoReversals++;
      return { reversedApplicationIds: reversed.map((a) => a.id), tasks: [] };
    },
    resolveTask: () => ({ resolved: true }),
  });
}

/** Starts the copay's run as Collect Now does: same workflow, input (the default windows), id and search attributes. */
export async function startCopay(
  env: TestWorkflowEnvironment, taskQueue: string,
): Promise<{ handle: WorkflowHandle<typeof superbillCopay>; collectionId: string; t0: number }> {
  const now = new Date(await env.currentTimeMs());
  const { workflow, options } = collectionStart({
    id: `collection-${taskQueue}`, practice_id: 'practice-1', patient_id: PATIENT, visit_id: VISIT, path: 'copay', workflow_id: `copay-${taskQueue}`,
    requested_amount_cents: COPAY_CENTS, status: 'starting', payment_request_id: null, payment_request_url: null, created_by: 'front-desk-1',
    created_at: now, updated_at: now,
  }, collectionWindowsOf(DEFAULTS), 'America/Los_Angeles', taskQueue);
  const handle = (await env.client.workflow.start(workflow, options)) as WorkflowHandle<typeof superbillCopay>;
  return { handle, collectionId: `collection-${taskQueue}`, t0: (await handle.describe()).startTime.getTime() };
}

export const captureOf = (collectionId: string, paidAt: number, id = 'ehr-pay-1'): CaptureInput => ({
  collectionId, eventId: `ev-${id}`, externalPaymentId: id, amountCents: COPAY_CENTS, method: 'card', paidAt: new Date(paidAt).toISOString(),
});
