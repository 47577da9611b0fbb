/**
 * X12 decimal numbers ("R" elements) ⇄ integer cents, by string arithmetic only: a float would turn 0.1 + 0.2 into
 * an amount no ledger can hold. "123.4" → 12340, "-25" → -2500, "0.5" and ".5" → 50; a third decimal is refused
 * (money in an 835 has cents at most; rounding it would invent or lose money), as are "+1", "1e3", "12." and spaces.
 */
import type { Cents } from '../../domain/money';

export type AmountProblem = 'is not an amount' | 'has more than 2 decimals' | 'is too large';

export type AmountResult = { ok: true; cents: Cents } | { ok: false; problem: AmountProblem };

/** 13 digits of dollars keep every amount in cents a safe integer (10^15 < 2^53); X12 allows 18 digits in all. */
const MAX_WHOLE_DIGITS = 13;

export function parseAmount(text: string): AmountResult {
  const m = /^(-?)(\d*)(?:\.(\d+))?$/.exec(text);
  if (!m || (m[2] === '' && m[3] === undefined)) return { ok: false, problem: 'is not an amount' };
  const [, sign, whole = '', fraction = ''] = m;
  if (fraction.length > 2) return { ok: false, problem: 'has more than 2 decimals' };
  if (whole.replace(/^0+/, '').length > MAX_WHOLE_DIGITS) return { ok: false, problem: 'is too large' };
  const cents = Number(whole || '0') * 100 + Number(fraction.padEnd(2, '0'));
  // -0 is not an amount anyone means; it would also make two equal models compare unequal.
  return { ok: true, cents: sign === '-' && cents !== 0 ? -cents : cents };
}

/**
 * Cents as an X12 decimal, in the form the standard asks for (trailing zeros and a bare point suppressed):
 * 12340 → "123.4", -2500 → "-25", 50 → "0.5", 0 → "0".
 */
export function formatAmount(cents: Cents): string {
  if (!Number.isSafeInteger(cents)) throw new TypeError('formatAmount needs an integer number of cents');
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const fraction = abs % 100;
  if (fraction === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(fraction).padStart(2, '0').replace(/0$/, '')}`;
}

/** A quantity (units of service, CAS quantities): an unsigned X12 decimal, kept as its text (never a float). */
export function isQuantity(text: string): boolean {
  return /^(?:\d+(?:\.\d+)?|\.\d+)$/.test(text) && text.length <= 15;
}
