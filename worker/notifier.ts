/**
 * Which notifier the worker's activities use: with SMTP_URL, emails go out over SMTP (mail/smtp-notifier.ts; the outbox
 * row is written first and keeps its delivery state); without it, every message stays in the notification outbox (the
 * development default before issue 17, and the behaviour of the channels without a provider yet).
 */
import type { Db } from '../db/connection';
import type { ServiceConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createOutboxNotifier, type Notifier } from '../lib/notifier';
import { createSmtpNotifier } from '../mail/smtp-notifier';

export function notifierFromConfig(db: Db, config: ServiceConfig, log: Logger): Notifier {
  if (!config.SMTP_URL) {
    log.info('email: SMTP_URL unset, messages stay in the notification outbox');
    return createOutboxNotifier(db);
  }
  // The host only: the URL may carry credentials.
  log.info({ smtpHost: new URL(config.SMTP_URL).host }, 'email: sending over SMTP');
  return createSmtpNotifier({
    db, smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, publicBaseUrl: config.PUBLIC_BASE_URL,
    payLinks: { secret: config.PAY_LINK_SECRET, ttlMs: config.PAY_LINK_TTL, maxUses: config.PAY_LINK_MAX_USES },
  });
}
