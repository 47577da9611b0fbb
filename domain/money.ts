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
