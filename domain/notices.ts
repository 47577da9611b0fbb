/**
 * A patient's notices: the channels a patient can be reached on (mail always; email and text when on file), the kinds
 * sent (a statement, its reminders, a payment receipt) and the delivery states of a message. Texts wait for the
 * practice's quiet hours (domain/quiet-hours.ts).
 */
export const NOTIFICATION_CHANNELS = ['email', 'text', 'mail'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** card_notice: before a card on file is charged, and after a charge that could not be made; credit_notice: a credit went onto a new balance (issue 18). */
export const NOTIFICATION_KINDS = ['statement', 'reminder', 'receipt', 'card_notice', 'credit_notice'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * pending: written, not delivered yet; sent: handed to the provider (or, for the outbox-only notifier, the row is the
 * delivery); failed: the last hand-over failed and is retried; rejected: refused for good (a 5xx to the recipient, a
 * bounce, a 4xx of the print-and-mail service, no address of record); suppressed: not sent on purpose (consent
 * withdrawn); delivered / undelivered: a text message as its provider reported it later (migration 020).
 */
export const DELIVERY_STATES = ['pending', 'sent', 'failed', 'rejected', 'suppressed', 'delivered', 'undelivered'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
