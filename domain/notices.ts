/**
 * A statement's notices: the channels a patient can be reached on (mail always; email and text when on file) and the
 * kinds sent (the statement, then its reminders). Texts wait for the practice's quiet hours (domain/quiet-hours.ts).
 */
export const NOTIFICATION_CHANNELS = ['email', 'text', 'mail'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const NOTIFICATION_KINDS = ['statement', 'reminder'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
