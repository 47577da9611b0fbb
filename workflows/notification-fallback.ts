/**
 * The postal fallback of one failed message, durably (issue 17): a statement's or reminder's text the provider reported
 * failed, or its email reported bounced. Started by the webhook that recorded the failure (POST /webhooks/sms,
 * POST /webhooks/email), after its transaction committed: workflow id `notification-fallback-<notificationId>`, one
 * activity retried with backoff until the print-and-mail service took the letter (an outage only delays it). The letter
 * is written once whatever happens (`fallBackOnce`, app/notification-fallback.ts: its business key and the unique
 * `fallback_of`), so a webhook redelivered, two failure reports or a second run write no second letter.
 * No PHI: the outbox row's id only.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { fallBackNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export const notificationFallbackWorkflowId = (notificationId: string) => `notification-fallback-${notificationId}`;

export interface NotificationFallbackResult { fallbackId: string | null; created: boolean }

export async function notificationFallback(input: { notificationId: string }): Promise<NotificationFallbackResult> {
  setCurrentDetails(`sending message ${input.notificationId} by postal mail instead (its delivery failed)`);
  const outcome = await fallBackNotification({ notificationId: input.notificationId });
  setCurrentDetails(outcome.fallbackId
    ? `letter ${outcome.fallbackId} ${outcome.created ? 'written and handed to the print-and-mail service' : 'was already written'}`
    : 'no letter needed (already mailed, not a statement message, or not failed)');
  return outcome;
}
