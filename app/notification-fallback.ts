/**
 * The fallback of a failed message (issue 17): a statement or reminder whose email was refused (SMTP 5xx), reported
 * bounced, or whose text message was reported failed goes by postal mail, ONCE. Business key
 * `<the failed message's key>:fallback:mail`; `notification_outbox.fallback_of` is unique, so however many times the
 * failure is reported (an activity retry, a provider's repeated callback, two reports at the same moment) one letter
 * is written, and it is delivered once by the print-mail notifier (idempotent by that key).
 *
 * Called where a delivery failure is recorded: mail/smtp-notifier.ts (a 5xx refusal, inside its activity). A failure
 * reported later by a provider's webhook (a failed text: POST /webhooks/sms; a bounce: POST /webhooks/email) is recorded
 * in the webhook's transaction and then handed to a DURABLE step in the worker (`startDurableFallback` → workflow
 * `notificationFallback`, whose activity calls `fallBackOnce`), never sent from the webhook. `send` is the postal-mail notifier
 * (`printMailFallback(db, config)`); without it (no PRINT_MAIL_URL) the letter stays in the outbox, `sent` as every
 * outbox-only message. Receipts have no paper fallback (no paper receipt unless the patient asked for mail), and a
 * letter does not fall back.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { enqueueRunMessage } from '../db/queries/run-messages';
import {
  markOutboxDelivered, outboxRowById, putFallbackMessage, recordDeliveryFailure, statementMessageOn, wantsFallback,
} from '../db/queries/notifications';
import { notificationFallbackStart, notificationFallbackWorkflowId } from '../workflows/starts/notification-fallback';
import { statementDocument } from '../db/queries/statements';
import { fallbackChannel } from '../domain/receipt-channel';
import { renderNotice } from '../activities/statement-notices';
import type { ServiceConfig } from '../lib/config';
import type { Notifier, OutgoingMessage } from '../lib/notifier';
import { createPrintMailNotifier } from '../mail/print-mail-notifier';

export interface FallbackOptions {
  /** Base of the portal and print links in the letter (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  /** The postal-mail notifier; absent: the letter stays in the outbox (`sent`). */
  send?: Notifier['send'];
}

export interface FallbackOutcome { fallbackId: string; created: boolean }

/**
 * Falls the failed message back to postal mail once; undefined when it has no fallback (a receipt, a letter, a
 * fallback itself) or has not failed. Safe to call again: it finds the letter and (re)delivers it if still pending.
 */
export async function fallBackOnce(db: Db, notificationId: string, o: FallbackOptions): Promise<FallbackOutcome | undefined> {
  const row = await outboxRowById(db, notificationId);
  if (!row || row.fallback_of || !row.statement_id) return undefined;
  if (row.state !== 'rejected' && row.state !== 'failed' && row.state !== 'undelivered') return undefined;
  const channel = fallbackChannel({ channel: row.channel, kind: row.kind, hasStatement: true });
  if (!channel) return undefined;
  // The same statement or reminder already went by that channel (no preferred channel: mail goes always): nothing to do.
  if (await statementMessageOn(db, { statementId: row.statement_id, kind: row.kind, sequence: row.sequence, channel })) return undefined;
  const doc = await statementDocument(db, row.statement_id);
  if (!doc) return undefined;
  const notice = renderNotice(doc, { channel, kind: row.kind, sequence: row.sequence, publicBaseUrl: o.publicBaseUrl });
  if (!notice) return undefined;
  const message: OutgoingMessage = {
    channel, kind: row.kind, sequence: row.sequence, practiceId: row.practice_id, patientId: row.patient_id, statementId: row.statement_id,
    ...notice, businessKey: `${row.business_key}:fallback:${channel}`, publicBaseUrl: o.publicBaseUrl,
  };
  const put = await putFallbackMessage(db, row.id, message);
  if (put.state === 'pending' || put.state === 'failed') { // not handed over yet, or the last try failed (retried here)
    if (o.send) await o.send(message);
    else await markOutboxDelivered(db, put.id);
  }
  return { fallbackId: put.id, created: put.created };
}

/**
 * A failure reported after the hand-over (a bounce, a text the carrier could not deliver): recorded on the message
 * (`rejected`, a reason code: never the provider's text), then the fallback, once.
 */
export async function reportDeliveryFailure(db: Db, notificationId: string, reason: string, o?: FallbackOptions, actor?: string): Promise<FallbackOutcome | undefined> {
  if (!/^[A-Z0-9_]{2,40}$/.test(reason)) throw new TypeError('reason must be a code like BOUNCED or UNDELIVERED');
  await recordDeliveryFailure(db, notificationId, reason, actor);
  // Without options: recorded only; the durable fallback (startDurableFallback) sends the letter from the worker.
  return o ? fallBackOnce(db, notificationId, o) : undefined;
}

/**
 * Starts the durable fallback of a failed message (workflows/notification-fallback.ts) when it still wants one
 * (db/queries/notifications.ts wantsFallback): called by a webhook AFTER its transaction committed, and again on a
 * redelivery (the stored answer does not say whether the start happened). A run under way is joined (USE_EXISTING).
 * Temporal unreachable: the error is thrown (the route answers 503 with Retry-After, the provider retries).
 */
export async function startDurableFallback(deps: { db: Db; temporal: Client; taskQueue: string }, notificationId: string): Promise<boolean> {
  if (!(await wantsFallback(deps.db, notificationId))) return false;
  const start = notificationFallbackStart(notificationId, deps.taskQueue);
  await deps.temporal.workflow.start(start.workflow, start.options);
  return true;
}

/**
 * The same start, written in the webhook's transaction as a run message (delivered by the worker's outbox relay): the
 * failure and the start of its fallback commit together, so a provider that never retries still gets its letter. The
 * route's start after the commit (above) only makes it sooner, and answers 503 while Temporal is down.
 */
export async function enqueueDurableFallback(trx: Db, notificationId: string): Promise<void> {
  if (!(await wantsFallback(trx, notificationId))) return;
  await enqueueRunMessage(trx, {
    key: `notification-fallback:${notificationId}`, workflowId: notificationFallbackWorkflowId(notificationId), message: 'startNotificationFallback',
    payload: { notificationId },
  });
}

/** The fallback's options from the service configuration: the print-mail notifier when PRINT_MAIL_URL is set. */
export function fallbackOptionsFromConfig(db: Db, config: Pick<ServiceConfig, 'PRINT_MAIL_URL' | 'PRINT_MAIL_TOKEN' | 'PUBLIC_BASE_URL'>): FallbackOptions {
  const mail = config.PRINT_MAIL_URL
    ? createPrintMailNotifier({ db, url: config.PRINT_MAIL_URL, token: config.PRINT_MAIL_TOKEN, publicBaseUrl: config.PUBLIC_BASE_URL })
    : undefined;
  return { publicBaseUrl: config.PUBLIC_BASE_URL, ...(mail ? { send: (m: OutgoingMessage) => mail.send(m) } : {}) };
}
