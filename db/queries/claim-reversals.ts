/**
 * The one owner of a payer reversal (CLP02 = 22: responsibility back with the payer), whichever path put money on the
 * claim and whether or not that run is still open (shared/domain.md, "A reversal"; docs/decisions.md). Called in the
 * clearinghouse webhook's transaction with the claim's new version, and by a copay run watching for the reversal
 * (activity `reverseAutoApplications`): the first reverses and opens the tasks, the second finds them by business key.
 * When the claim comes back to the patient, `reapplyReturnedMoney` puts the reversed money that went to staff back on it.
 */
import { inTransaction, type Db } from '../connection';
import { decideReapplication, decideReversal, isRoundApplicationKey, type ManualReason } from '../../domain/application-rules';
import type { Cents } from '../../domain/money';
import { RowNotFound } from '../errors';
import { applyToClaim, claimApplications, claimState, openManualTask, paymentState, resolveManualTask, reverseApplication } from './ledger';

export interface ClaimReversal {
  /** The claim's version this reversal belongs to. */
  version: number;
  /** The automatic applications reversed for this version (by this call or an earlier one). */
  reversedApplicationIds: string[];
  /** Staff tasks of this version, per payment: `claim_reversed` (manual money stays), `credit_remaining` (reversed money no run re-applies). */
  tasks: { taskId: string; paymentId: string; reason: ManualReason }[];
}

const versionTag = (version: number) => `[claim version ${version}]`;

/**
 * Reverses every standing automatic application on the claim by a new entry (once per application), and opens one
 * task per payment for what staff must see, exactly once per (claim version, payment, reason). A copay run still
 * watching for this reversal keeps the money of its own applications (`…:auto:r<round>`): it applies it again when the
 * claim comes back (its status `applied` and `waiting_until` ahead; for runs older than that column, `updated_at`
 * within `reversalWatchMs`). Its payment's other money on the claim (a return's, a trim's) gets a task like anyone's.
 */
export async function reverseClaimForPayer(
  db: Db,
  input: { claimId: string; reason: string; actor: string; reversalWatchMs: number },
): Promise<ClaimReversal> {
  return inTransaction(db, async (trx) => {
    // Serialises with applyToClaim (which locks the claim too): no application can slip in half-way.
    const claim = await trx('claims').where({ id: input.claimId }).forUpdate()
      .first<{ practice_id: string; patient_id: string; visit_id: string; source_version: number } | undefined>('practice_id', 'patient_id', 'visit_id', 'source_version');
    if (!claim) throw new RowNotFound('claim');
    const apps = await claimApplications(trx, input.claimId);
    const watching = new Set(await trx('payments as p')
      .join('collections as c', 'c.id', 'p.collection_id')
      .whereIn('p.id', [...new Set(apps.map((a) => a.paymentId))])
      .where({ 'c.path': 'copay', 'c.status': 'applied' })
      .whereRaw('coalesce(c.waiting_until, c.updated_at + make_interval(secs => ?)) > now()', [input.reversalWatchMs / 1000])
      .pluck<string>('p.id'));
    // Only the run's own applications are the run's to apply again: money that a return or a trim put on the claim for
    // its payment is not (the run may even have ended early, its watch not yet run out: found by the long model run).
    const runsOwn = apps.filter((a) => watching.has(a.paymentId) && isRoundApplicationKey(a.businessKey)).map((a) => a.applicationId);
    const decision = decideReversal(apps, input.claimId, new Set(runsOwn));

    const tag = versionTag(claim.source_version);
    const reason = `${input.reason} ${tag}`;
    for (const applicationId of decision.reverseApplicationIds) {
      await reverseApplication(trx, { applicationId, businessKey: `reversal:${applicationId}`, reason, actor: input.actor });
    }
    const keyPrefix = `claim:${input.claimId}:v${claim.source_version}:payment:`;
    for (const t of decision.tasks) {
      await openManualTask(trx, {
        practiceId: claim.practice_id, patientId: claim.patient_id, visitId: claim.visit_id, claimId: input.claimId,
        paymentId: t.paymentId, reason: t.reason, amountCents: t.amountCents, actor: input.actor, businessKey: `${keyPrefix}${t.paymentId}:${t.reason}`,
      });
    }
    // The same answer for a retry (or the copay run after the webhook): everything this version did, not just this call.
    const tasks = await trx('manual_tasks').whereLike('business_key', `${keyPrefix}%`).orderBy('business_key')
      .select<{ id: string; payment_id: string; reason: ManualReason }[]>('id', 'payment_id', 'reason');
    const earlier = apps.filter((a) => a.kind === 'auto' && a.reversed && a.reversalReason?.endsWith(tag)).map((a) => a.applicationId);
    return {
      version: claim.source_version,
      reversedApplicationIds: [...earlier, ...decision.reverseApplicationIds],
      tasks: tasks.map((t) => ({ taskId: t.id, paymentId: t.payment_id, reason: t.reason })),
    };
  });
}

/**
 * The claim is the patient's again (a newer version): reversed money that went to staff as `credit_remaining` and is
 * still there (task open) goes back on the claim by its payment's rule (domain `decideReapplication`); a task whose
 * money is all placed again closes itself, one with money left stays open for staff. Oldest task first. Idempotent:
 * the application's business key carries the reversal's version, and a closed task is not looked at again.
 */
export async function reapplyReturnedMoney(db: Db, input: { claimId: string; actor: string }): Promise<{ reappliedCents: Cents; closedTaskIds: string[] }> {
  return inTransaction(db, async (trx) => {
    const tasks = await trx('manual_tasks')
      .where({ claim_id: input.claimId, status: 'open', reason: 'credit_remaining' })
      .whereLike('business_key', `claim:${input.claimId}:v%:payment:%:credit_remaining`)
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .select<{ id: string; payment_id: string; business_key: string }[]>('id', 'payment_id', 'business_key');
    let reappliedCents = 0;
    const closedTaskIds: string[] = [];
    if (tasks.length === 0) return { reappliedCents, closedTaskIds }; // every transfer asks: the usual answer costs one query
    const claimVersion = (await trx('claims').where({ id: input.claimId }).first<{ source_version: number }>('source_version')).source_version;
    for (const task of tasks) {
      const version = Number(/:v(\d+):payment:/.exec(task.business_key)![1]);
      const owed = await taskCents(trx, { claimId: input.claimId, paymentId: task.payment_id, version });
      const cents = decideReapplication(await paymentState(trx, task.payment_id), await claimState(trx, input.claimId), owed);
      if (cents > 0) {
        await applyToClaim(trx, {
          paymentId: task.payment_id, claimId: input.claimId, amountCents: cents, kind: 'auto', actor: input.actor,
          // Per (the version that took it off, the version that gives it back): a return may come in parts.
          businessKey: `payment:${task.payment_id}:claim:${input.claimId}:auto:returned-v${version}:at-v${claimVersion}`,
        });
        reappliedCents += cents;
      }
      // All of it back (or none of the payment's money is left anywhere): the task has nothing left for staff.
      if (cents > 0 && (cents === owed || (await paymentUnapplied(trx, task.payment_id)) === 0)) {
        await resolveManualTask(trx, { taskId: task.id, resolution: 'applied', actor: input.actor, note: 'Applied again automatically: the claim came back to the patient.' });
        closedTaskIds.push(task.id);
      }
    }
    return { reappliedCents, closedTaskIds };
  });
}

/**
 * A newer version keeps the claim with the patient but owes less (the payer paid more on appeal): what stands on it
 * beyond the new patient responsibility comes off. Newest automatic applications first (the last money placed is the
 * first taken back): each is reversed, and the part that still fits is applied again (`…:auto:trimmed-v<version>:<id>`);
 * the part taken off goes to staff as a `credit_remaining` task per payment. A staff member's application is not undone:
 * if manual money alone is over, its payments get a `claim_reversed` task. Nothing happens when nothing is over.
 */
export async function trimOverAppliedClaim(db: Db, input: { claimId: string; actor: string }): Promise<{ trimmedCents: Cents; taskIds: string[] }> {
  return inTransaction(db, async (trx) => {
    const claim = await trx('claims').where({ id: input.claimId }).forUpdate()
      .first<{ practice_id: string; patient_id: string; visit_id: string; source_version: number; patient_responsibility_cents: number }>(
        'practice_id', 'patient_id', 'visit_id', 'source_version', 'patient_responsibility_cents',
      );
    const standing = (await claimApplications(trx, input.claimId)).filter((a) => !a.reversed);
    let excess = standing.reduce((s, a) => s + a.amountCents, 0) - claim.patient_responsibility_cents;
    if (excess <= 0) return { trimmedCents: 0, taskIds: [] };
    const tag = versionTag(claim.source_version);
    const taken = new Map<string, Cents>();
    let trimmedCents = 0;
    for (const a of [...standing].reverse()) {
      if (excess <= 0) break;
      if (a.kind !== 'auto') continue;
      await reverseApplication(trx, { applicationId: a.applicationId, businessKey: `reversal:${a.applicationId}`, reason: `the payer lowered the patient responsibility ${tag}`, actor: input.actor });
      const off = Math.min(a.amountCents, excess);
      if (a.amountCents - off > 0) {
        await applyToClaim(trx, {
          paymentId: a.paymentId, claimId: input.claimId, amountCents: a.amountCents - off, kind: 'auto', actor: input.actor,
          businessKey: `payment:${a.paymentId}:claim:${input.claimId}:auto:trimmed-v${claim.source_version}:${a.applicationId}`,
        });
      }
      excess -= off;
      trimmedCents += off;
      taken.set(a.paymentId, (taken.get(a.paymentId) ?? 0) + off);
    }
    const manualOver = excess > 0 ? [...new Set(standing.filter((a) => a.kind === 'manual').map((a) => a.paymentId))] : [];
    const keyPrefix = `claim:${input.claimId}:v${claim.source_version}:payment:`;
    const taskIds: string[] = [];
    const open = async (paymentId: string, reason: ManualReason, amountCents: Cents) => {
      const { taskId } = await openManualTask(trx, {
        practiceId: claim.practice_id, patientId: claim.patient_id, visitId: claim.visit_id, claimId: input.claimId, paymentId, reason,
        amountCents, actor: input.actor, businessKey: `${keyPrefix}${paymentId}:${reason}`,
      });
      taskIds.push(taskId);
    };
    for (const [paymentId, cents] of taken) await open(paymentId, 'credit_remaining', cents);
    for (const paymentId of manualOver) await open(paymentId, 'claim_reversed', 0);
    return { trimmedCents, taskIds };
  });
}

const paymentUnapplied = async (db: Db, paymentId: string): Promise<Cents> => {
  const p = await paymentState(db, paymentId);
  return p.amountCents - p.appliedCents - p.refundedCents;
};

/**
 * What a reversal's (or a trim's) `credit_remaining` task of `version` still holds for staff: the payment's automatic
 * money that version took off the claim (reversed, less what a trim applied again at once), less what went back since.
 */
async function taskCents(db: Db, k: { claimId: string; paymentId: string; version: number }): Promise<Cents> {
  const { rows } = await db.raw<{ rows: { reversed: number; trimmed_back: number; returned: number }[] }>(
    `select coalesce((select sum(a.amount_cents) from payment_applications a join application_reversals r on r.application_id = a.id
                       where a.payment_id = :paymentId and a.claim_id = :claimId and a.kind = 'auto' and r.reason like :tag), 0)::int as reversed,
            coalesce((select sum(a.amount_cents) from payment_applications a
                       where a.payment_id = :paymentId and a.claim_id = :claimId and a.business_key like :trimmed), 0)::int as trimmed_back,
            coalesce((select sum(a.amount_cents) from payment_applications a
                       where a.payment_id = :paymentId and a.claim_id = :claimId and a.business_key like :returned), 0)::int as returned`,
    {
      ...k, tag: `%${versionTag(k.version)}`,
      trimmed: `payment:${k.paymentId}:claim:${k.claimId}:auto:trimmed-v${k.version}:%`,
      returned: `payment:${k.paymentId}:claim:${k.claimId}:auto:returned-v${k.version}:%`,
    },
  );
  const r = rows[0]!;
  return Math.max(0, r.reversed - r.trimmed_back - r.returned);
}
