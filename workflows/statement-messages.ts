/**
 * Messages of the statement workflow (one run per statement, `statement-<statementId>`), declared next to it.
 * - registerPayment (update): the portal announces a payment it is sending to the practice's payment page. Only
 *   registered collections are this statement's: a capture for any other collection is refused.
 * - capture (update, the collections' `captureUpdate`): the processor's `payment.captured`, delivered by our webhook.
 * - resolve (update, the collections' `resolveUpdate`): staff resolve a `credit_remaining` task of a payment.
 * - statementStatus (query).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Cents } from '../domain/money';

export type StatementRunStatus = 'sending' | 'awaiting_payment' | 'paid' | 'unpaid';

export interface RegisterPaymentInput { collectionId: string; amountCents: Cents }
export interface RegisterPaymentResult { registered: true; collectionId: string }

export interface StatementPaymentView {
  collectionId: string;
  amountCents: Cents;
  state: 'pending' | 'captured' | 'recorded' | 'expired';
}

export interface StatementView {
  status: StatementRunStatus;
  /** What is still due, as of the last payment or reminder. */
  dueCents: Cents;
  /** Captured through this statement. */
  paidCents: Cents;
  remindersSent: number;
  /** ISO instants, from workflow time. */
  nextReminderAt?: string;
  /** A text held back by the quiet hours goes out then. */
  deferredTextAt?: string;
  payments: StatementPaymentView[];
  openTaskIds: string[];
  unpaidTaskId?: string;
}

export const registerPaymentUpdate = defineUpdate<RegisterPaymentResult, [RegisterPaymentInput]>('registerPayment');
export const statementStatusQuery = defineQuery<StatementView>('statementStatus');
