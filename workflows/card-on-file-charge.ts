/**
 * Card on file charged after adjudication (issue 18; docs/card-on-file-and-plans.md): one run per (authorisation, claim), started
 * when the claim moves to the patient (app/ehr-events.ts, through the run-messages outbox). It sends the notice ("we
 * will charge $X to the card ending 4242 on <date>; pay another way here"), durably waits the practice's notice period,
 * charges what is still owed (at most the cap left for the visit), applies it and sends a receipt. A decline is tried
 * again on the practice's schedule (e.g. days 0, 3, 7); then the patient is told a statement follows, and an expired
 * card opens a task. An objection (the notice's link) or a revocation stops it: the charge activity re-reads the database,
 * so no charge is made against either; an objection's `stop` signal also wakes the wait early.
 *
 * Deterministic workflow code only. No PHI in the input, the details or the result: ids, amounts, the card's last 4.
 */
import { condition, defineSignal, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { declineAction, retryWaits, type DeclineCode } from '../domain/card-on-file';
import { formatCents, type Cents } from '../domain/money';
import { ledger } from './collection-state';
import { DEFAULT_TIME_ZONE, formatWallTime } from './run-details';

export interface CardChargeInput {
  authorisationId: string;
  claimId: string;
}

export type CardChargeResult =
  | { status: 'charged'; paymentId: string; amountCents: Cents; attempts: number }
  | { status: 'skipped'; reason: string }
  | { status: 'not_charged'; code: DeclineCode; attempts: number };

/** Wakes the run at once: the patient objected (the charge activity, which re-reads the database, then charges nothing). */
export const cardChargeStopSignal = defineSignal('stop');

export const cardChargeWorkflowId = (authorisationId: string, claimId: string) => `card-charge-${authorisationId}-${claimId}`;

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // The processor or the mail server may be down for a while: keep trying, backing off to every five minutes. The
  // charge's idempotency key makes every retry the same charge.
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['LedgerRuleError', 'LedgerConflict', 'RowNotFound'] },
});

export async function cardOnFileCharge(input: CardChargeInput): Promise<CardChargeResult> {
  let stopped = false;
  setHandler(cardChargeStopSignal, () => { stopped = true; });
  const ref = { authorisationId: input.authorisationId, claimId: input.claimId };

  const plan = await acts.planCardCharge(ref);
  if (!plan.charge) {
    setCurrentDetails(`no charge: ${plan.reason.replace(/_/g, ' ')}`);
    return { status: 'skipped', reason: plan.reason };
  }
  const tz = plan.timeZone || DEFAULT_TIME_ZONE;
  const waits = retryWaits(plan.retryScheduleMs);
  const chargeAt = Date.now() + plan.noticeWaitMs + (waits[0] ?? 0);
  await acts.sendCardChargeNotice({ ...ref, claimVersion: plan.claimVersion, amountCents: plan.amountCents, aboveCapCents: plan.aboveCapCents, chargeAt: new Date(chargeAt).toISOString() });
  setCurrentDetails(`notice sent: charging ${formatCents(plan.amountCents)} to the card ending ${plan.last4} at ${formatWallTime(chargeAt, tz)} unless the patient pays another way`);
  await condition(() => stopped, Math.max(0, chargeAt - Date.now()));

  let code: DeclineCode = 'expired_card';
  let attempts = 0;
  if (!plan.cardExpired) {
    for (let attempt = 0; attempt < Math.max(1, waits.length); attempt++) {
      if (attempt > 0) {
        const next = Date.now() + (waits[attempt] ?? 0);
        setCurrentDetails(`declined (${code.replace(/_/g, ' ')}); trying the card ending ${plan.last4} again at ${formatWallTime(next, tz)}`);
        await condition(() => stopped, waits[attempt] ?? 0);
      }
      attempts = attempt + 1;
      const r = await acts.chargeCardOnFile({ ...ref, claimVersion: plan.claimVersion, attempt });
      if (r.status === 'skipped') {
        setCurrentDetails(`no charge: ${r.reason.replace(/_/g, ' ')}`);
        return { status: 'skipped', reason: r.reason };
      }
      if (r.status === 'succeeded') {
        await ledger.sendPaymentReceipt({ paymentId: r.paymentId });
        setCurrentDetails(`charged ${formatCents(r.amountCents)} to the card ending ${plan.last4}; applied ${formatCents(r.appliedCents)}`);
        return { status: 'charged', paymentId: r.paymentId, amountCents: r.amountCents, attempts };
      }
      code = r.code;
      if (declineAction(code) !== 'retry') break;
    }
  }
  await acts.reportCardChargeFailed({ ...ref, claimVersion: plan.claimVersion, code });
  setCurrentDetails(`not charged (${code.replace(/_/g, ' ')}) after ${attempts} attempt(s); the balance goes on the next statement`);
  return { status: 'not_charged', code, attempts };
}
