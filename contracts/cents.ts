/**
 * Money in a request: an integer number of cents, written once for every route and webhook (issue 14). Each use keeps
 * its bound (a payment: 1 cent to MAX_PAYMENT_CENTS; a claim's amounts: 0 to their own maximum) and its words: the
 * JSON API has always said "must be a number of cents" / "must be a whole number of cents", the EHR's and the
 * clearinghouse's webhooks "must be an integer number of cents" for both, and 422 answers name them as they were.
 */
import { z } from 'zod';
import { MAX_PAYMENT_CENTS } from '../domain/money';

export interface CentsRule {
  /** 1 (a payment; the default) or 0 (an amount that may be nothing). */
  min?: 0 | 1;
  /** MAX_PAYMENT_CENTS (the largest single payment) unless given. */
  max?: number;
  /** 'api' (the default) or 'webhook': the words of the refusals (above). */
  words?: 'api' | 'webhook';
}

export function cents({ min = 1, max = MAX_PAYMENT_CENTS, words = 'api' }: CentsRule = {}) {
  const notANumber = words === 'api' ? 'must be a number of cents' : 'must be an integer number of cents';
  const notWhole = words === 'api' ? 'must be a whole number of cents' : 'must be an integer number of cents';
  return z.number({ error: notANumber }).int({ error: notWhole })
    .min(min, { error: min === 1 ? 'must be at least 1 cent' : 'must be ≥ 0 cents' })
    .max(max, { error: `must be at most ${max} cents` })
    .meta({ description: 'integer cents' });
}

/** An amount in an answer: integer cents (a balance or a difference may be 0, or below it). */
export const centsOut = z.number().int().meta({ description: 'integer cents' });
