/**
 * Money is an integer number of cents everywhere: API, database, workflow payloads. Never floating point.
 */
export type Cents = number;

/** The largest single payment we accept ($100,000.00). Anything larger is a typo or an attack. */
export const MAX_PAYMENT_CENTS = 10_000_000;

export function isCents(value: unknown): value is Cents {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** A positive amount a patient could plausibly pay: 1 cent to MAX_PAYMENT_CENTS. */
export function isPaymentAmount(value: unknown): value is Cents {
  return isCents(value) && value > 0 && value <= MAX_PAYMENT_CENTS;
}

/** "$1,234.56" — for people (UI, summaries). Negative amounts get a leading minus. */
export function formatCents(cents: Cents): string {
  if (!isCents(cents)) throw new TypeError('formatCents needs an integer number of cents');
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Dollars as a person types them into a form (staff pages, the portal): "45", "45.5", "45.00", "$1,234.56" → cents,
 * by string arithmetic only (never a float); undefined when it is not an amount ("", "1,23", "12.", "-5", "1e3").
 */
export function parseDollars(text: string): Cents | undefined {
  const m = /^\$?\s*(\d{1,3}(?:,\d{3})+|\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const cents = Number((m[1] ?? '').replace(/,/g, '')) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(cents) ? cents : undefined;
}

/** Cents as dollars for a form field's value: 4550 → "45.50" (what parseDollars reads back). */
export function centsToDollarsField(cents: Cents): string {
  if (!isCents(cents) || cents < 0) throw new TypeError('centsToDollarsField needs a non-negative integer number of cents');
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}
