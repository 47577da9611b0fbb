/**
 * The activity of the durable postal fallback (workflows/notification-fallback.ts): `fallBackOnce` with the worker's own
 * notifier for the letter (worker/notifier.ts routes channel `mail` to the print-and-mail service when PRINT_MAIL_URL is
 * set). The print-and-mail service down throws the retryable PrintMailDeliveryFailed, which Temporal retries; the
 * letter is written once (its business key, the unique `fallback_of`). With the outbox-only notifier the letter row is
 * its delivery (`sent`). Returns ids only.
 */
import type { Db } from '../db/connection';
import { markPendingDelivered } from '../db/queries/notifications';
import { fallBackOnce } from '../app/notification-fallback';
import type { Notifier } from '../lib/notifier';

export function createNotificationFallbackActivities(deps: { db: Db; notifier: Notifier; publicBaseUrl?: string }) {
  return {
    async fallBackNotification(input: { notificationId: string }): Promise<{ fallbackId: string | null; created: boolean }> {
      const outcome = await fallBackOnce(deps.db, input.notificationId, {
        publicBaseUrl: deps.publicBaseUrl ?? 'http://localhost:3000',
        send: async (letter) => {
          const sent = await deps.notifier.send(letter);
          // The outbox-only notifier finds the written letter and leaves it: the row is the delivery.
          await markPendingDelivered(deps.db, sent.messageId);
          return sent;
        },
      });
      return { fallbackId: outcome?.fallbackId ?? null, created: outcome?.created ?? false };
    },
  };
}
