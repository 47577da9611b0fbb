/**
 * Ledger activities: what the collection workflows do to the ledger. Each is idempotent by a business key enforced
 * in PostgreSQL (db/queries/ledger.ts), so Temporal may retry any of them safely, and each multi-step change runs in
 * one transaction. Rule violations throw LedgerRuleError and key clashes LedgerConflict (both non-retryable by name).
 * Thrown messages carry ids and amounts only.
 */
import type { Db } from '../db/connection';
import { collectionForPayment, setCollectionStatus } from '../db/queries/collections';
import {
  applyToClaim, openManualTask, paymentState, recordPayment, visitClaimState,
} from '../db/queries/ledger';
import { LedgerRuleError } from '../db/errors';
import type { PaymentMethod } from '../domain/payments';
import type { CollectionStatus } from '../domain/collections';
import { type ClaimState, type PaymentState, type PlannedApplication, type PlannedTask } from '../domain/application-rules';
import { localDateOf, type LocalDate } from '../domain/dates';
import type { Cents } from '../domain/money';
import { reverseClaimForPayer, type ClaimReversal } from '../db/queries/claim-reversals';
import { byClaimId, resolveTaskWithMoney, type ResolveTaskInput } from '../db/queries/task-resolution';

export type { ResolveTaskInput };

const SYSTEM_ACTOR = 'system:workflow';

export interface RecordCapturedPaymentInput {
  collectionId: string;
  externalPaymentId: string;
  amountCents: Cents;
  method: PaymentMethod;
  /** ISO instant, as the EHR reported it. */
  paidAt: string;
}

export interface ApplyDecisionInput {
  practiceId: string;
  patientId: string;
  paymentId: string;
  visitId: string | null;
  claimId: string | null;
  collectionId: string;
  workflowId: string;
  applications: PlannedApplication[];
  task?: PlannedTask;
  /** Distinguishes the tasks of successive rounds, e.g. `r1`. */
  taskKeySuffix: string;
}

export interface ReverseAutoApplicationsResult {
  /** The claim's automatic applications reversed for its current version (by this call or the webhook's). */
  reversedApplicationIds: string[];
  /** Staff tasks per payment (claim_reversed, credit_remaining). Absent from results recorded before it existed. */
  tasks?: ClaimReversal['tasks'];
}

export interface SetCollectionStatusActivityInput {
  collectionId: string;
  status: CollectionStatus;
  paymentRequestId?: string;
  paymentRequestUrl?: string;
  /** When this wait ends (ISO instant, workflow time); a copay watching for a reversal keeps its reversed money. */
  waitingUntil?: string;
}

/** The reversal reason stored for an event: the event id makes a retried activity recognise its own reversals. */

/** The service default of COPAY_REVERSAL_WATCH (lib/config.ts). */
const DEFAULT_REVERSAL_WATCH_MS = 120 * 86_400_000;

export function createLedgerActivities(deps: { db: Db; reversalWatchMs?: number }) {
  const { db } = deps;

  return {
    /** Records the captured payment; its date is the practice's calendar date of `paidAt`, never the UTC one. */
    async recordCapturedPayment(input: RecordCapturedPaymentInput): Promise<{ paymentId: string; paymentDate: LocalDate; created: boolean }> {
      const paidAt = new Date(input.paidAt);
      if (Number.isNaN(paidAt.getTime())) throw new LedgerRuleError('paidAt must be an ISO instant.');
      const collection = await collectionForPayment(db, input.collectionId);
      const paymentDate = localDateOf(paidAt, collection.timeZone);
      const { paymentId, created } = await recordPayment(db, {
        practiceId: collection.practiceId, patientId: collection.patientId, collectionId: collection.collectionId,
        visitId: collection.visitId, externalId: input.externalPaymentId, amountCents: input.amountCents, method: input.method,
        reason: collection.path === 'copay' ? 'copay' : 'outstanding_balance', paidAt: paidAt.toISOString(), paymentDate,
        actor: SYSTEM_ACTOR,
      });
      // A replay returns the date that was recorded, whatever this attempt computed.
      return { paymentId, paymentDate: created ? paymentDate : (await paymentState(db, paymentId)).paymentDate, created };
    },

    /**
     * The copay's state and its visit's claim (null before the claim exists); round = 1 + auto reversals on it;
     * claimVersion = the claim's clearinghouse version (null without a claim; absent from results recorded before it).
     */
    async loadCopayState(input: { paymentId: string; visitId: string }): Promise<{ payment: PaymentState; claim: ClaimState | null; round: number; claimVersion: number | null }> {
      const [payment, visitClaim] = await Promise.all([paymentState(db, input.paymentId), visitClaimState(db, input.visitId)]);
      return { payment, claim: visitClaim?.claim ?? null, round: 1 + (visitClaim?.autoReversals ?? 0), claimVersion: visitClaim?.version ?? null };
    },

    /** Carries out a decision of the rules: its automatic applications and its task, in one transaction. */
    async applyDecision(input: ApplyDecisionInput): Promise<{ applicationIds: string[]; taskId: string | null }> {
      if (input.applications.some((a) => a.paymentId !== input.paymentId)) {
        throw new LedgerRuleError(`A planned application does not belong to payment ${input.paymentId}.`);
      }
      return db.transaction(async (trx) => {
        const ids = new Map<PlannedApplication, string>();
        for (const a of byClaimId(input.applications)) {
          const r = await applyToClaim(trx, {
            paymentId: a.paymentId, claimId: a.claimId, amountCents: a.amountCents, kind: 'auto', businessKey: a.businessKey,
            actor: SYSTEM_ACTOR,
          });
          ids.set(a, r.applicationId);
        }
        let taskId: string | null = null;
        if (input.task) {
          ({ taskId } = await openManualTask(trx, {
            practiceId: input.practiceId, patientId: input.patientId, paymentId: input.paymentId, visitId: input.visitId,
            claimId: input.claimId, collectionId: input.collectionId, workflowId: input.workflowId, reason: input.task.reason,
            amountCents: input.task.amountCents, businessKey: `collection:${input.collectionId}:task:${input.task.reason}:${input.taskKeySuffix}`,
            actor: SYSTEM_ACTOR,
          }));
        }
        return { applicationIds: input.applications.map((a) => ids.get(a)!), taskId };
      });
    },

    /**
     * A payer reprocessed the claim: reverses its standing automatic applications; manual ones stay and become a
     * `claim_reversed` task. A retry returns the same ids (it recognises reversals it wrote by the event id).
     */
    async reverseAutoApplications(input: { claimId: string; reason: string; eventId: string }): Promise<ReverseAutoApplicationsResult> {
      // The webhook's transaction has usually done it already (db/queries/claim-reversals.ts): then this finds it done.
      const { reversedApplicationIds, tasks } = await reverseClaimForPayer(db, {
        claimId: input.claimId, reason: input.reason, actor: SYSTEM_ACTOR, reversalWatchMs: deps.reversalWatchMs ?? DEFAULT_REVERSAL_WATCH_MS,
      });
      return { reversedApplicationIds, tasks };
    },

    /**
     * Staff resolve a task: the money moves (manual applications or a refund) and the task closes in one transaction,
     * or nothing happens. `resolved: false` when someone else resolved it first. A retry of a resolution that already
     * committed (same resolution, actor and note) answers `resolved: true` again.
     */
    async resolveTask(input: ResolveTaskInput): Promise<{ resolved: boolean }> {
      return resolveTaskWithMoney(db, input);
    },

    /** Keeps the collections projection current (not a ledger table). */
    async setCollectionStatus(input: SetCollectionStatusActivityInput): Promise<{ changed: boolean; path: string }> {
      return setCollectionStatus(db, { ...input, actor: SYSTEM_ACTOR });
    },
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
