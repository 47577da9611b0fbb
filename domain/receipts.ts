/**
 * What a payment receipt says (pure): the practice, the amount, the date of payment on the practice's calendar, and
 * where the money went: applied to the patient's balance (how many services), held as a credit, or (a copay) held for
 * the visit until the insurance has processed its claim. No more PHI than that: no procedures, no claim or account
 * ids, no card details. A text message is not a private channel: it names the practice and the date only (as the
 * statement texts, no amounts), and points to the portal.
 */
import { formatCents, type Cents } from './money';

export interface ReceiptModel {
  practiceName: string;
  firstName: string;
  amountCents: Cents;
  /** YYYY-MM-DD: the date of payment on the practice's calendar (payments.payment_date). */
  paymentDate: string;
  method: 'card' | 'cash' | 'check';
  /** Applied to the patient's claims so far, and to how many. */
  appliedCents: Cents;
  appliedServices: number;
  /** A copay not applied yet: the date of service of the visit it is held for. */
  heldForVisitOn?: string;
  portalUrl: string;
}

export interface ReceiptLine { label: string; value: string }
export interface ReceiptContent { subject: string; opening: string; lines: ReceiptLine[]; notes: string[]; closing: string }

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** 2026-11-30 → November 30, 2026 (a calendar date: no time zone arithmetic). */
export function longDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  return m ? `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${Number(m[3])}, ${m[1]}` : date;
}

const METHOD_WORDS = { card: 'Card', cash: 'Cash', check: 'Check' } as const;
const services = (n: number) => `${n} service${n === 1 ? '' : 's'}`;

/** The receipt's content, for the email (text and HTML) and the printed letter. */
export function receiptContent(r: ReceiptModel): ReceiptContent {
  const credit = Math.max(0, r.amountCents - r.appliedCents);
  const lines: ReceiptLine[] = [
    { label: 'Amount received', value: formatCents(r.amountCents) },
    { label: 'Date of payment', value: longDate(r.paymentDate) },
    { label: 'Paid by', value: METHOD_WORDS[r.method] },
  ];
  const notes: string[] = [];
  if (r.appliedCents > 0) lines.push({ label: `Applied to your balance (${services(r.appliedServices)})`, value: formatCents(r.appliedCents) });
  if (credit > 0 && r.heldForVisitOn) {
    lines.push({ label: `Held for your visit on ${longDate(r.heldForVisitOn)}`, value: formatCents(credit) });
    notes.push('We apply it to that visit once your insurance has processed its claim.');
  } else if (credit > 0) {
    lines.push({ label: 'Held as a credit on your account', value: formatCents(credit) });
    notes.push('Our billing office will apply the credit to your balance or refund it, and let you know.');
  }
  return {
    subject: `Your payment receipt from ${r.practiceName}`,
    opening: `Thank you for your payment to ${r.practiceName}. This is your receipt.`,
    lines,
    notes,
    closing: `You can see your statement at ${r.portalUrl}. Questions about your bill? Call the ${r.practiceName} billing office.`,
  };
}

/** The plain-text receipt (email text body, printed letter). */
export function receiptText(r: ReceiptModel): string {
  const c = receiptContent(r);
  return [`Dear ${r.firstName},`, '', c.opening, '', ...c.lines.map((l) => `${l.label}: ${l.value}`), ...(c.notes.length ? ['', ...c.notes] : []), '', c.closing].join('\n');
}

/** The text message: the practice and the date only (a text is not a private channel). */
export function receiptSms(r: Pick<ReceiptModel, 'practiceName' | 'paymentDate' | 'portalUrl'>): string {
  return `${r.practiceName}: we received your payment of ${longDate(r.paymentDate)}. Thank you. Details: ${r.portalUrl}. Reply STOP to opt out.`;
}
