/**
 * Activities of the patient-page (outstanding-balance) collection. Read-only: the money moves through the ledger
 * activities (applyDecision), idempotent by the business keys of the rules.
 */
import type { Db } from '../db/connection';
import { balanceState, type BalanceState } from '../db/queries/balance';

export function createBalanceActivities(deps: { db: Db }) {
  return {
    /** The payment, the patient's patient-owned claims with an open balance, and the claims the payment names. */
    async loadBalanceState(input: { collectionId: string; paymentId: string }): Promise<BalanceState> {
      return balanceState(deps.db, input.collectionId, input.paymentId);
    },
  };
}
