/**
 * Credits that apply themselves (issue 18; domain/credit-application.ts): when a claim moves to the patient, the
 * patient's credits go onto their open balance, in the transaction that stores the claim's new version
 * (app/ehr-events.ts). A credit here is a payment with unapplied money that
 * - no live collection run holds (its collection, if any, has finished: a copay waiting for this very transfer is the
 *   copay run's to apply), and
 * - no staff task is deciding about, other than one that only says the money is left over (`credit_remaining`,
 *   `no_open_balance`) or that the claim had not transferred in time (`transfer_timeout`); such a task whose money is
 *   all placed now closes itself, as a returned reversal's does.
 * A claim's open balance that a live run's held money will take (a copay waiting for this transfer) is not offered.
 * Idempotent: each application's key names the claim and the version that triggered it.
 */
import type { Db } from '../connection';
import { inTransaction } from '../connection';
import { IN_FLIGHT_STATUSES } from '../../domain/collections';
import { decideCreditApplications } from '../../domain/credit-application';
import type { Cents } from '../../domain/money';
import type { NotificationChannel } from '../../domain/notices';
import { applyToClaim, claimState, PAYMENT_APPLIED, PAYMENT_REFUNDED, paymentState, resolveManualTask } from './ledger';

/** The task reasons that only say "money left over": the money is free to go onto a new balance. */
const FREE_TASK_REASONS = ['credit_remaining', 'no_open_balance', 'transfer_timeout'];

export interface CreditsApplied { appliedCents: Cents; paymentIds: string[]; closedTaskIds: string[] }

export async function applyPatientCredits(db: Db, input: { claimId: string; actor: string }): Promise<CreditsApplied> {
  return inTransaction(db, async (trx) => {
    const claim = await trx('claims').where({ id: input.claimId }).first<{ patient_id: string; source_version: number; responsibility: string }>('patient_id', 'source_version', 'responsibility');
    if (!claim || claim.responsibility !== 'patient') return { appliedCents: 0, paymentIds: [], closedTaskIds: [] };
    const inFlight = IN_FLIGHT_STATUSES.map((s) => `'${s}'`).join(', ');
    const { rows: creditRows } = await trx.raw<{ rows: { id: string }[] }>(
      `select p.id from payments p left join collections co on co.id = p.collection_id
        where p.patient_id = ? and p.amount_cents - ${PAYMENT_APPLIED} - ${PAYMENT_REFUNDED} > 0
          and (co.id is null or co.status not in (${inFlight}))
          and not exists (select 1 from manual_tasks t where t.payment_id = p.id and t.status = 'open' and t.reason not in (${FREE_TASK_REASONS.map((r) => `'${r}'`).join(', ')}))
        order by p.payment_date, p.id`,
      [claim.patient_id],
    );
    if (creditRows.length === 0) return { appliedCents: 0, paymentIds: [], closedTaskIds: [] }; // the usual answer: one query
    const { rows: claimRows } = await trx.raw<{ rows: { id: string }[] }>(
      `select c.id from claims c where c.patient_id = ? and c.responsibility = 'patient'
          and c.patient_responsibility_cents > (select coalesce(sum(a.amount_cents), 0) from payment_applications a
                                                 where a.claim_id = c.id and not exists (select 1 from application_reversals r where r.application_id = a.id))`,
      [claim.patient_id],
    );
    const credits = await Promise.all(creditRows.map((r) => paymentState(trx, r.id)));
    // Money a live run holds for a visit (a copay waiting for this very transfer) is that run's to apply: the claim's open
    // balance it will take is not offered to credits.
    const { rows: heldRows } = await trx.raw<{ rows: { visit_id: string; held: number }[] }>(
      `select p.visit_id, sum(p.amount_cents - ${PAYMENT_APPLIED} - ${PAYMENT_REFUNDED})::int as held
         from payments p join collections co on co.id = p.collection_id
        where p.patient_id = ? and p.visit_id is not null and co.status in (${inFlight})
        group by p.visit_id`,
      [claim.patient_id],
    );
    const held = new Map(heldRows.map((r) => [r.visit_id, r.held] as const));
    const claims = (await Promise.all(claimRows.map((r) => claimState(trx, r.id))))
      .map((c) => ({ ...c, appliedCents: c.appliedCents + (held.get(c.visitId) ?? 0) }));
    const planned = decideCreditApplications(credits, claims, (p, c) => `payment:${p}:claim:${c}:credit:on-${input.claimId}-v${claim.source_version}`);
    let appliedCents = 0;
    for (const a of planned) {
      await applyToClaim(trx, { ...a, kind: 'auto', actor: input.actor });
      appliedCents += a.amountCents;
    }
    const paymentIds = [...new Set(planned.map((a) => a.paymentId))];
    const closedTaskIds: string[] = [];
    for (const paymentId of paymentIds) {
      const p = await paymentState(trx, paymentId);
      if (p.amountCents - p.appliedCents - p.refundedCents > 0) continue;
      const open = await trx('manual_tasks').where({ payment_id: paymentId, status: 'open' }).pluck<string[]>('id');
      for (const taskId of open) {
        await resolveManualTask(trx, { taskId, resolution: 'applied', actor: input.actor, note: "Applied automatically: a new balance of the patient's appeared." });
        closedTaskIds.push(taskId);
      }
    }
    return { appliedCents, paymentIds, closedTaskIds };
  });
}

/** What a claim version's credit application put on the patient's balance, and who to tell (PHI: for the message only). */
export async function creditAppliedOn(db: Db, input: { claimId: string; claimVersion: number }) {
  const claim = await db('claims as c').join('patients as p', 'p.id', 'c.patient_id').join('practices as pr', 'pr.id', 'c.practice_id')
    .where('c.id', input.claimId)
    .first<{ practice_id: string; patient_id: string; name: string; first_name: string; last_name: string; email: string | null; phone: string | null; preferred_channel: NotificationChannel | null; mailing_line1: string | null } | undefined>(
      'c.practice_id', 'c.patient_id', 'pr.name', 'p.first_name', 'p.last_name', 'p.email', 'p.phone', 'p.preferred_channel', 'p.mailing_line1',
    );
  if (!claim) return undefined;
  const { rows } = await db.raw<{ rows: { cents: number }[] }>(
    `select coalesce(sum(amount_cents), 0)::int as cents from payment_applications where business_key like ?`,
    [`payment:%:claim:%:credit:on-${input.claimId}-v${input.claimVersion}`],
  );
  const withdrawn = await db('channel_consents').where({ patient_id: claim.patient_id, allowed: false }).pluck<NotificationChannel[]>('channel');
  return {
    practiceId: claim.practice_id, patientId: claim.patient_id, practiceName: claim.name, appliedCents: rows[0]!.cents,
    patient: { firstName: claim.first_name, lastName: claim.last_name, email: claim.email, phone: claim.phone, preferredChannel: claim.preferred_channel, hasMailingAddress: !!claim.mailing_line1, withdrawn },
  };
}
