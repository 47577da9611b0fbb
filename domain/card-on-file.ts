/**
 * Card on file charged after adjudication (issue 18; docs/card-on-file-and-plans.md), the rules as pure functions:
 * - an authorisation is usable while it is neither revoked nor past `validUntil`, and (scope `visit`) for its visit only;
 * - the amount charged is what the patient still owes on the claim, less money already held for the visit (a copay
 *   waiting for this very transfer), capped by what is left of the authorisation's cap for the visit; above the cap the
 *   rest goes on the next statement;
 * - a decline is retried on the practice's schedule, except an expired card (a task: ask for a new card) and a charge
 *   the bank wants the patient present for (a notice: pay another way);
 * - what the notice before a charge says.
 * No I/O and no clock: the caller passes `now`.
 */
import { localDateOf } from './dates';
import type { NotificationChannel } from './notices';
import { longDate } from './receipts';
import { formatCents, type Cents } from './money';

/** Why a processor did not charge, as payflow acts on it (processor/card-processor.ts maps each processor's codes). */
export const DECLINE_CODES = [
  'card_declined',           // generic: tried again on the practice's schedule
  'insufficient_funds',      // tried again on the schedule
  'expired_card',            // not tried again: the card must be replaced (a task)
  'authentication_required', // the bank wants the patient present: not tried again, a notice
  'processing_error',        // the processor's side: tried again on the schedule
] as const;
export type DeclineCode = (typeof DECLINE_CODES)[number];
export const isDeclineCode = (code: unknown): code is DeclineCode => (DECLINE_CODES as readonly unknown[]).includes(code);

export const AUTHORISATION_SCOPES = ['visit', 'year'] as const;
export type AuthorisationScope = (typeof AUTHORISATION_SCOPES)[number];

/** How long an authorisation lasts: a visit's lasts until its claim is settled (a year at most), a yearly one a year. */
export const AUTHORISATION_DAYS = 365;

export interface AuthorisationTerms {
  scope: AuthorisationScope;
  /** The visit of a `visit` authorisation. */
  visitId: string | null;
  validUntil: Date;
  revokedAt: Date | null;
}

export type Usability = { usable: true } | { usable: false; reason: 'revoked' | 'expired' | 'other_visit' };

/** May this authorisation pay for a claim of `visitId` at `now`? */
export function authorisationUsable(a: AuthorisationTerms, visitId: string, now: Date): Usability {
  if (a.revokedAt) return { usable: false, reason: 'revoked' };
  if (a.validUntil.getTime() <= now.getTime()) return { usable: false, reason: 'expired' };
  if (a.scope === 'visit' && a.visitId !== visitId) return { usable: false, reason: 'other_visit' };
  return { usable: true };
}

/** Until when a new authorisation lasts. */
export function authorisationValidUntil(now: Date): Date {
  return new Date(now.getTime() + AUTHORISATION_DAYS * 86_400_000);
}

/**
 * A card past its expiry month: it is good through the last day of that month on the practice's calendar (the evening
 * of the 31st in Los Angeles is still that month, though UTC has moved on).
 */
export function cardExpired(card: { expMonth: number; expYear: number }, now: Date, timeZone: string): boolean {
  const [y, m] = localDateOf(now, timeZone).split('-').map(Number) as [number, number];
  return card.expYear < y || (card.expYear === y && card.expMonth < m);
}

export interface ChargeFacts {
  /** The claim's patient responsibility less what stands applied on it. */
  claimOpenCents: Cents;
  /** Money of the patient's payments held for the visit and not applied yet (a copay waiting for this transfer). */
  heldForVisitCents: Cents;
  capCents: Cents;
  /** Pending and succeeded charges of this authorisation for this visit (the cap is per visit). */
  chargedOnVisitCents: Cents;
}

export type ChargePlan =
  | { charge: true; amountCents: Cents; aboveCapCents: Cents }
  | { charge: false; reason: 'nothing_owed' | 'cap_used' };

/** What to charge: min(owed, cap left). Above the cap, the rest is left for the statement. */
export function planCharge(f: ChargeFacts): ChargePlan {
  const owed = Math.max(0, f.claimOpenCents - f.heldForVisitCents);
  if (owed === 0) return { charge: false, reason: 'nothing_owed' };
  const capLeft = Math.max(0, f.capCents - f.chargedOnVisitCents);
  if (capLeft === 0) return { charge: false, reason: 'cap_used' };
  const amountCents = Math.min(owed, capLeft);
  return { charge: true, amountCents, aboveCapCents: owed - amountCents };
}

/** After a decline: try again on the schedule, open a task (expired card), or stop with a notice. */
export type DeclineAction = 'retry' | 'card_expired_task' | 'notice_only';

export function declineAction(code: DeclineCode): DeclineAction {
  switch (code) {
    case 'expired_card': return 'card_expired_task';
    case 'authentication_required': return 'notice_only';
    case 'card_declined':
    case 'insufficient_funds':
    case 'processing_error':
      return 'retry';
  }
}

/** The processor's idempotency key and the charge's business key: one per (authorisation, claim version, attempt). */
export function cardChargeKey(authorisationId: string, claimId: string, claimVersion: number, attempt: number): string {
  return `card-charge:${authorisationId}:${claimId}:v${claimVersion}:a${attempt}`;
}

/**
 * The waits between attempts from the practice's schedule (offsets from the first attempt, e.g. 0, 3 and 7 days):
 * [0, 3d, 4d]. Offsets out of order are sorted; negative ones count as 0.
 */
export function retryWaits(offsetsMs: number[]): number[] {
  const sorted = offsetsMs.map((o) => Math.max(0, o)).sort((a, b) => a - b);
  return sorted.map((o, i) => (i === 0 ? o : o - sorted[i - 1]!));
}

export interface NoticeModel {
  practiceName: string;
  firstName: string;
  amountCents: Cents;
  /** The amount above the cap, left for the statement. */
  aboveCapCents: Cents;
  last4: string;
  /** YYYY-MM-DD on the practice's calendar. */
  chargeDate: string;
  /** The link that stops this charge (the patient pays another way). */
  payAnotherWayUrl: string;
}

/** The notice before the charge (email and letter). */
export function chargeNoticeText(n: NoticeModel): { subject: string; body: string } {
  const above = n.aboveCapCents > 0
    ? `\nThe rest of your balance, ${formatCents(n.aboveCapCents)}, is above the limit you authorised and will be on your next statement.\n`
    : '';
  return {
    subject: `${n.practiceName}: we will charge ${formatCents(n.amountCents)} to your card ending ${n.last4}`,
    body: `Dear ${n.firstName},\n\nYour insurance has processed the claim for your visit. As you authorised, ${n.practiceName} will charge `
      + `${formatCents(n.amountCents)} to your card ending ${n.last4} on ${longDate(n.chargeDate)}.\n${above}\n`
      + `To pay another way instead, use this link before then: ${n.payAnotherWayUrl}\n\nThank you,\n${n.practiceName}\n`,
  };
}

/** The text-message notice: no amounts, no card digits (a text is not a private channel), the link. */
export function chargeNoticeSms(n: Pick<NoticeModel, 'practiceName' | 'chargeDate' | 'payAnotherWayUrl'>): string {
  return `${n.practiceName}: as you authorised, we will charge your card on file on ${longDate(n.chargeDate)}. To pay another way: ${n.payAnotherWayUrl}`;
}

/** After a charge that could not be made: a statement follows (and, an expired card, the practice will ask for another). */
export function chargeFailedText(n: { practiceName: string; firstName: string; last4: string; expired: boolean; portalUrl: string }): { subject: string; body: string } {
  const why = n.expired ? `your card ending ${n.last4} has expired` : `your card ending ${n.last4} was declined`;
  return {
    subject: `${n.practiceName}: we could not charge your card`,
    body: `Dear ${n.firstName},\n\nWe tried to charge your card on file as you authorised, but ${why}. Nothing was charged. `
      + `You will receive a statement, or you can pay now at ${n.portalUrl}.\n\nThank you,\n${n.practiceName}\n`,
  };
}

export interface NoticeRecipient {
  email: string | null;
  phone: string | null;
  /** The channels whose consent the patient withdrew. */
  withdrawn: readonly NotificationChannel[];
}

/**
 * The channel of a notice before a charge: the one the patient chose in the authorisation when it can reach them (the
 * contact on file, consent not withdrawn); else email, else text; else mail, which always goes. A charge is never made
 * without a notice the patient could receive.
 */
export function noticeChannel(chosen: NotificationChannel, p: NoticeRecipient): NotificationChannel {
  const reachable = (c: NotificationChannel) =>
    c === 'mail' || (!p.withdrawn.includes(c) && (c === 'email' ? !!p.email : !!p.phone));
  return [chosen, 'email' as const, 'text' as const].find(reachable) ?? 'mail';
}
