/**
 * Signed webhooks from the EHR (payments, reference data), the clearinghouse (claims and remittances), the SMS
 * provider (delivery statuses, replies: STOP / START) and the email provider (bounces, complaints).
 * Order of work: verify the signature (401, nothing stored) → validate (400/422, nothing stored) → claim the event in
 * the inbox by its id (a redelivery gets the stored answer; a concurrent duplicate waits for it) → act → store the answer.
 * A claim change is stored with its message to the waiting run in one transaction; the relay delivers it.
 * A capture is delivered to its workflow as an update, so the EHR learns synchronously whether it was accepted.
 * What each event does is app/ehr-events.ts; this file is the delivery protocol (signature, inbox, stored answers).
 */
import { Router, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import type { Db } from '../../db/connection';
import { receiveEvent, recordAnswer, releaseEvent, type Receipt, type StoredAnswer } from '../../db/queries/webhook-inbox';
import { clearinghouseEventSchema, ehrEventSchema, type EhrEvent } from '../../ehr/events';
import { recordCapture, recordClaimChange, upsertReferenceData } from '../../app/ehr-events';
import { updateFailureToAppError } from '../../app/temporal-errors';
import type { ResponseBody } from '../../contracts/operation';
import { claimAnswerSchema, ehrAnswerSchema, emailAnswerSchema, emailEventSchema, smsAnswerSchema, smsEventSchema } from '../../contracts/webhooks';
import { bouncedEmailOf, failedTextOf, recordEmailEvent, recordSmsEvent } from '../../app/channel-consents';
import { enqueueDurableFallback, startDurableFallback } from '../../app/notification-fallback';
import { AppError, unauthorized, unavailable } from '../../lib/errors';
import { parseBody } from '../../lib/validate';
import { verifyWebhook } from '../../lib/webhook-signature';
import { problemOf } from '../../http/problem';

export interface WebhookSecrets {
  ehr: string[];
  clearinghouse: string[];
  /** SMS_WEBHOOK_SECRETS: the SMS provider's delivery statuses and replies; none configured, /webhooks/sms refuses every event (401). */
  sms?: string[];
  /** EMAIL_WEBHOOK_SECRETS: the email provider's bounce and complaint reports; none configured, /webhooks/email refuses every event (401). */
  email?: string[];
}
interface Deps {
  db: Db;
  temporal: Client;
  secrets: WebhookSecrets;
  /** COPAY_REVERSAL_WATCH: how long a copay run watches for a reversal (db/queries/claim-reversals.ts). */
  reversalWatchMs: number;
  /** The task queue of the durable postal fallback (workflows/notification-fallback.ts) a failed text or bounce starts. */
  taskQueue?: string;
}

/** Reference data out of order (a visit before its patient): not stored, so the sender's retry succeeds later. */
const dependsOnUnknown = () => new AppError(409, 'depends-on-unknown', 'Depends on unknown data', 'This event refers to a record we have not received yet; retry later.');

const answer = (status: number, body: unknown): StoredAnswer => ({ status, body });
/** A 200 answer, typed by its response schema (contracts/webhooks.ts). */
const accepted = <S extends z.ZodType>(_schema: S, body: ResponseBody<S>): StoredAnswer => answer(200, body);
const problemAnswer = (err: AppError, path: string): StoredAnswer => answer(err.status, problemOf(err, path));

function verified<S extends z.ZodType>(req: Request, secrets: string[], schema: S): z.infer<S> {
  const check = verifyWebhook(req.header('Payflow-Signature'), req.rawBody ?? Buffer.alloc(0), secrets, Math.floor(Date.now() / 1000));
  if (!check.ok) throw unauthorized(`Webhook signature rejected (${check.reason}).`);
  return parseBody(schema, req.body);
}

function send(res: Response, a: StoredAnswer): void {
  res.status(a.status).type(a.status >= 400 ? 'application/problem+json' : 'application/json').send(JSON.stringify(a.body));
}

/** How long one delivery may act on an event before a redelivery takes over (its process died): well past any answer. */
const INBOX_LEASE_MS = 30_000;
/** How long a duplicate delivered while the first is still acting waits for its answer before answering 503. */
const DUPLICATE_WAIT_MS = 3000;

export function webhookRoutes(deps: Deps): Router {
  const router = Router();

  /**
   * Claims the event, acts once, stores the answer and sends it; a redelivery gets the stored answer. A transient
   * failure (5xx, out-of-order reference data) stores nothing and releases the event, so the sender's retry acts again.
   * `inTransaction`: the action's database changes commit together with the answer (a redelivery then finds both or
   * neither), e.g. a claim change and the message that tells its run.
   */
  async function handle(
    source: string, req: Request, res: Response, eventId: string, type: string,
    act: (db: Db) => Promise<StoredAnswer>, opts: { inTransaction?: boolean; afterCommit?: () => Promise<void> } = {},
  ) {
    const receipt = await claimOrAwait(source, eventId, type, req.body);
    if (receipt.kind === 'answered') {
      // A redelivery: the stored answer does not say whether the follow-up (a durable fallback's start) happened.
      if (receipt.answer.status < 300) await opts.afterCommit?.();
      return send(res, { ...receipt.answer, body: { ...(receipt.answer.body as object), duplicate: true } });
    }
    let result: StoredAnswer;
    try {
      result = opts.inTransaction
        ? await deps.db.transaction(async (trx) => {
          // Every change of the action commits with its answer, or none does: a refusal thrown half-way (a ledger
          // conflict) rolls the whole event back and is not stored, so nothing is kept that the answer does not say.
          const answered = await act(trx).catch((err: unknown) => {
            throw err instanceof ReferenceError ? dependsOnUnknown() : err;
          });
          await recordAnswer(trx, source, eventId, answered);
          return answered;
        })
        : await actAndAnswer(() => act(deps.db), req.path);
    } catch (err) {
      await releaseEvent(deps.db, source, eventId).catch(() => undefined); // unreachable database: the lease runs out instead
      throw err;
    }
    if (!opts.inTransaction) await recordAnswer(deps.db, source, eventId, result);
    // After the commit, outside the transaction: e.g. the durable postal fallback of a failed message. Temporal down
    // throws (503 + Retry-After): the sender retries, its redelivery gets the stored answer and runs this again.
    if (result.status < 300) await opts.afterCommit?.();
    send(res, result);
  }

  /** The action's answer; a refusal the sender must hear (4xx) becomes a stored answer, anything else is thrown. */
  async function actAndAnswer(act: () => Promise<StoredAnswer>, path: string): Promise<StoredAnswer> {
    try {
      return await act();
    } catch (err) {
      const mapped = updateFailureToAppError(err);
      if (mapped instanceof ReferenceError) throw dependsOnUnknown();
      if (!(mapped instanceof AppError) || mapped.status >= 500) throw mapped;
      return problemAnswer(mapped, path);
    }
  }

  /** This delivery's claim, or the answer of the one acting on the event (waited for briefly), or 503: retry. */
  async function claimOrAwait(source: string, eventId: string, type: string, payload: unknown): Promise<Exclude<Receipt, { kind: 'in_progress' }>> {
    const until = Date.now() + DUPLICATE_WAIT_MS;
    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      const receipt = await receiveEvent(deps.db, { source, eventId, type, payload }, INBOX_LEASE_MS);
      if (receipt.kind !== 'in_progress') return receipt;
      if (Date.now() >= until) throw unavailable('This event is being processed by another delivery; retry shortly.', 1);
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  async function onEhrEvent(e: EhrEvent): Promise<StoredAnswer> {
    // A refusal (unknown collection 422, closed 409, or the run's) is thrown and stored as the sender's answer (actAndAnswer).
    if (e.type === 'payment.captured') return accepted(ehrAnswerSchema, await recordCapture(deps, e));
    return accepted(ehrAnswerSchema, await upsertReferenceData(deps, e));
  }

  router.post('/webhooks/ehr', async (req, res) => {
    const event = verified(req, deps.secrets.ehr, ehrEventSchema);
    await handle('ehr', req, res, event.eventId, event.type, () => onEhrEvent(event));
  });
  router.post('/webhooks/clearinghouse', async (req, res) => {
    const event = verified(req, deps.secrets.clearinghouse, clearinghouseEventSchema);
    // The claim's new version and the message to its run commit with the answer (inTransaction).
    await handle('clearinghouse', req, res, event.eventId, event.type, async (trx) => accepted(claimAnswerSchema, await recordClaimChange({ db: trx, reversalWatchMs: deps.reversalWatchMs }, event)), { inTransaction: true });
  });
  // The SMS provider (sms/http-sms-notifier.ts): a delivery status lands on its text's outbox row (`ref`, the row id the
  // status-callback address carries, lets a callback that overtakes the send's commit wait for it); a reply STOP / START
  // changes the patient's text consent at once and is answered with the confirmation the provider texts back. The
  // consent change, its audit row and the stored answer commit together (inTransaction).
  router.post('/webhooks/sms', async (req, res) => {
    const secrets = deps.secrets.sms ?? [];
    if (secrets.length === 0) throw unauthorized('Webhook signature rejected (no SMS webhook secret is configured).');
    const event = verified(req, secrets, smsEventSchema);
    const ref = typeof req.query.ref === 'string' ? req.query.ref : undefined;
    await handle('sms', req, res, event.eventId, event.type, async (trx) => {
      const answer = await recordSmsEvent(trx, event, ref);
      const failed = await failedTextOf(trx, event, ref);
      if (failed) await enqueueDurableFallback(trx, failed);
      return accepted(smsAnswerSchema, answer);
    }, {
      inTransaction: true,
      // A text reported undelivered or failed: its postal fallback, durably in the worker (workflows/notification-fallback.ts).
      afterCommit: async () => {
        const failed = await failedTextOf(deps.db, event, ref);
        if (failed) await fallbackOf(failed);
      },
    });
  });
  // The email provider's events after the SMTP hand-over (locally mail/local-smtp.ts plays it): a permanent bounce marks
  // the message rejected (audited) in the transaction, then its postal fallback starts durably; a complaint withdraws
  // email consent. Signed as the other webhooks, with EMAIL_WEBHOOK_SECRETS.
  router.post('/webhooks/email', async (req, res) => {
    const secrets = deps.secrets.email ?? [];
    if (secrets.length === 0) throw unauthorized('Webhook signature rejected (no email webhook secret is configured).');
    const event = verified(req, secrets, emailEventSchema);
    await handle('email', req, res, event.eventId, event.type, async (trx) => {
      const { answer, failedId } = await recordEmailEvent(trx, event);
      if (failedId) await enqueueDurableFallback(trx, failedId);
      return accepted(emailAnswerSchema, answer);
    }, {
      inTransaction: true,
      afterCommit: async () => {
        const bounced = await bouncedEmailOf(deps.db, event);
        if (bounced) await fallbackOf(bounced);
      },
    });
  });

  /** Starts the durable fallback of a failed message (no task queue configured: none, the outbox shows the failure). */
  async function fallbackOf(notificationId: string): Promise<void> {
    if (!deps.taskQueue) return;
    await startDurableFallback({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue }, notificationId);
  }
  return router;
}
