/**
 * The one owner of a payer reversal (CLP02 = 22: responsibility back with the payer), whichever path put money on the
 * claim and whether or not that run is still open (shared/domain.md, "A reversal"; docs/decisions.md). Called in the
 * clearinghouse webhook's transaction with the claim's new version, and by a copay run watching for the reversal
 * (activity `reverseAutoApplications`): the first reverses and opens the tasks, the second finds them by business key.
 */
import { inTransaction, type Db } from '../connection';
import { decideReversal, type ManualReason } from '../../domain/application-rules';
import { notFound } from '../../lib/errors';
import { claimApplications, openManualTask, reverseApplication } from './ledger';

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
 * watching for this reversal keeps its payment's reversed money: it applies it again when the claim comes back (its
 * status `applied` and `waiting_until` ahead; for runs older than that column, `updated_at` within `reversalWatchMs`).
 */
export async function reverseClaimForPayer(
  db: Db,
  input: { claimId: string; reason: string; actor: string; reversalWatchMs: number },
): Promise<ClaimReversal> {
  return inTransaction(db, async (trx) => {
    // Serialises with applyToClaim (which locks the claim too): no application can slip in half-way.
    const claim = await trx('claims').where({ id: input.claimId }).forUpdate()
      .first<{ practice_id: string; patient_id: string; visit_id: string; source_version: number } | undefined>('practice_id', 'patient_id', 'visit_id', 'source_version');
    if (!claim) throw notFound('claim');
    const apps = await claimApplications(trx, input.claimId);
    const watching = await trx('payments as p')
      .join('collections as c', 'c.id', 'p.collection_id')
      .whereIn('p.id', [...new Set(apps.map((a) => a.paymentId))])
      .where({ 'c.path': 'copay', 'c.status': 'applied' })
      .whereRaw('coalesce(c.waiting_until, c.updated_at + make_interval(secs => ?)) > now()', [input.reversalWatchMs / 1000])
      .pluck<string[]>('p.id');
    const decision = decideReversal(apps, input.claimId, new Set(watching));

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
