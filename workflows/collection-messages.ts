/**
 * Messages of the collection workflows, declared next to them. External events enter as messages:
 * the EHR capture and staff resolutions as updates with validators (the caller learns synchronously whether
 * they were accepted), responsibility changes as a signal carrying the event id (deduplicated by the workflow).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Cents } from '../domain/money';
import type { PaymentMethod } from '../domain/payments';
import type { ManualReason } from '../domain/application-rules';
import type { ResolutionClaim } from '../domain/task-resolution';

import type { CollectionStatus } from '../domain/collections';

export type { CollectionStatus };

export interface PaymentRequestView { requestId: string; url: string }

export interface CaptureInput {
  /** The collection the EHR captured for: a run refuses a capture meant for another collection. */
  collectionId: string;
  eventId: string;
  externalPaymentId: string;
  amountCents: Cents;
  method: PaymentMethod;
  /** ISO instant with offset, as the EHR reported it. */
  paidAt: string;
}
export interface CaptureResult { accepted: true; externalPaymentId: string }

export interface ResponsibilityChange { eventId: string; responsibility: 'payer' | 'patient' }

export interface ResolveInput {
  taskId: string;
  action: 'apply' | 'credit' | 'refund';
  applications?: { claimId: string; amountCents: Cents }[];
  refundCents?: Cents;
  note: string;
  actor: string;
  /**
   * The states of the claims named in `applications`, as the API read them (the validator does no I/O): whose claim,
   * who holds its balance, its open balance. Without them an application is refused. The ledger re-checks under locks.
   */
  claims?: ResolutionClaim[];
  /** The payment's unapplied amount as the API read it; the validator takes the smaller of it and the task's amount. */
  unappliedCents?: Cents;
}
export interface ResolveResult { resolved: true; taskId: string }

export interface CollectionView {
  status: CollectionStatus;
  paymentRequest?: PaymentRequestView;
  paymentId?: string;
  appliedCents: Cents;
  openTask?: { taskId: string; reason: ManualReason; amountCents: Cents };
  /** When the current wait ends, ISO instant (from workflow time). */
  waitingUntil?: string;
}

/** Waits until the EHR payment request exists and returns it (used with Update-with-Start by the API). */
export const paymentRequestUpdate = defineUpdate<PaymentRequestView>('paymentRequest');
export const captureUpdate = defineUpdate<CaptureResult, [CaptureInput]>('capture');
export interface CancelInput { collectionId: string; reason: string; actor: string }
export const cancelUpdate = defineUpdate<{ cancelled: true }, [CancelInput]>('cancel');
export const resolveUpdate = defineUpdate<ResolveResult, [ResolveInput]>('resolve');
export const responsibilityChangedSignal = defineSignal<[ResponsibilityChange]>('responsibilityChanged');
export const statusQuery = defineQuery<CollectionView>('status');
