/**
 * What staff may do with a manual task (shared/domain.md, "Manual handling"), as one pure, deterministic function.
 * The same rules run in three places: the waiting workflow's `resolve` update validator (synchronous, no I/O: the
 * API passes the claim states it read), the API for a task no workflow waits for, and the staff page's script
 * (web/staff/static/staff.js mirrors them so the form validates as you type). The ledger re-checks under row locks.
 *
 * Workflow code imports this module: no I/O, no clock, no randomness, no Node built-ins.
 * Messages are for people and carry amounts only (never PHI, never ids a person cannot read).
 */
import { formatCents, isPaymentAmount, type Cents } from './money';

/** apply to claims, keep as credit, refund, or (only when no money is left to place) close with a note. */
export type ResolveAction = 'apply' | 'credit' | 'refund' | 'close';

export const MAX_NOTE_LENGTH = 2000;
export const MAX_APPLICATIONS = 50;

/** A claim named in a resolution, as the caller read it. */
export interface ResolutionClaim {
  claimId: string;
  /** The claim is the task's patient's (another patient's claim, or an unknown one, is false). */
  ofTaskPatient: boolean;
  /** Who owes the claim's open balance now. */
  heldBy: 'patient' | 'payer';
  /** Patient responsibility − standing applications, never < 0. */
  openCents: Cents;
}

export interface ResolutionRequest {
  action: ResolveAction;
  applications?: { claimId: string; amountCents: Cents }[];
  refundCents?: Cents;
  note: string;
}

export interface ResolutionContext {
  /** The money the task may still place: the payment's unapplied amount (0 when the task has no payment). */
  leftCents: Cents;
  /** The states of (at least) the claims the request names. */
  claims: readonly ResolutionClaim[];
}

/** The first rule a resolution breaks: `field` names the form / JSON field. */
export interface ResolutionProblem { field: string; message: string }

/** The first rule the request breaks, or undefined when it may go ahead. */
export function checkResolution(r: ResolutionRequest, ctx: ResolutionContext): ResolutionProblem | undefined {
  if (typeof r.note !== 'string' || r.note.trim().length === 0) return { field: 'note', message: 'A note is required.' };
  if (r.note.length > MAX_NOTE_LENGTH) return { field: 'note', message: `The note may be at most ${MAX_NOTE_LENGTH} characters.` };
  const left = ctx.leftCents;

  switch (r.action) {
    case 'apply': {
      const apps = r.applications ?? [];
      if (apps.length === 0) return { field: 'applications', message: 'Choose at least one claim to apply to.' };
      if (apps.length > MAX_APPLICATIONS) return { field: 'applications', message: `Apply to at most ${MAX_APPLICATIONS} claims at once.` };
      if (apps.some((a) => !isPaymentAmount(a.amountCents))) return { field: 'applications', message: 'Each amount must be a positive whole number of cents.' };
      if (new Set(apps.map((a) => a.claimId)).size !== apps.length) return { field: 'applications', message: 'Each claim may appear only once.' };
      if (left <= 0) return { field: 'action', message: 'There is no money left on this payment to apply.' };
      const total = apps.reduce((s, a) => s + a.amountCents, 0);
      if (total > left) return { field: 'applications', message: `The total exceeds the ${formatCents(left)} left to place.` };
      for (const [i, a] of apps.entries()) {
        const claim = ctx.claims.find((c) => c.claimId === a.claimId);
        const field = `applications.${i}`;
        if (!claim || !claim.ofTaskPatient) return { field, message: "That claim is not one of this patient's claims." };
        if (claim.heldBy !== 'patient') return { field, message: 'That claim is still with the payer: patient money cannot be applied to it yet.' };
        if (a.amountCents > claim.openCents) {
          return { field, message: `${formatCents(a.amountCents)} is more than the claim's open balance of ${formatCents(claim.openCents)}.` };
        }
      }
      return undefined;
    }
    case 'credit':
      if (left <= 0) return { field: 'action', message: 'There is no money left on this payment to keep as credit; close the task instead.' };
      return undefined;
    case 'refund':
      if (left <= 0) return { field: 'action', message: 'There is no money left on this payment to refund.' };
      if (!isPaymentAmount(r.refundCents) || r.refundCents > left) return { field: 'refundCents', message: `The refund must be between $0.01 and ${formatCents(left)}.` };
      return undefined;
    case 'close':
      if (left > 0) return { field: 'action', message: `This payment still has ${formatCents(left)} unapplied: apply it, keep it as credit, or refund it.` };
      return undefined;
    default:
      return { field: 'action', message: 'The action must be apply, credit, refund or close.' };
  }
}

/** The claims a task may apply to: the patient's own, held by the patient, with an open balance. */
export const isEligibleClaim = (c: ResolutionClaim): boolean => c.ofTaskPatient && c.heldBy === 'patient' && c.openCents > 0;

/** Days a credit may be held before the refund deadline (many states: 30). */
export const CREDIT_REFUND_DEADLINE_DAYS = 30;
