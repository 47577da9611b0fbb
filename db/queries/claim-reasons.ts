/**
 * Why the patient owes a claim, as the payer said it (issue 16, "why you owe"): the group PR adjustments of the
 * remittance claim payment that produced the claim's CURRENT version (remittance_claims.matched_claim_id = the claim,
 * applied_version = claims.source_version, outcome 'updated'; db/migrations/016_remittances.ts).
 *
 * The claim payment may have matched the claim when its file came (remittance_claims.matched_claim_id, applied_version,
 * outcome) or later by staff's hand (remittance_claim_matches, migration 017: the claim payment row stays as received,
 * the match, its version and outcome are there); either counts.
 *
 * Only while the patient holds the claim: after a reversal (CLP02 = 22, responsibility back with the payer) or a
 * denial the claim's version is the reversal's own, whose amounts are negated, and nothing is owed, so no reasons. A
 * claim whose current version came from elsewhere (a clearinghouse webhook, the EHR) has none either: an older 835
 * would explain amounts that may no longer stand.
 *
 * One query for any number of claims (the statement's, the visit's): never one per claim.
 */
import type { Db } from '../connection';
import type { PrAdjustment } from './remittances';

/** The current reasons of each claim that has some, by claim id; claims without any are absent. */
export async function currentClaimReasons(db: Db, practiceId: string, claimIds: readonly string[]): Promise<Map<string, PrAdjustment[]>> {
  if (claimIds.length === 0) return new Map();
  const ids = [...claimIds];
  // Filtered by practice first (the (practice_id, matched_claim_id) index). `distinct on` keeps one row per claim should
  // two claim payments ever claim the same version (they cannot: a claim's version moves once per claim payment).
  const { rows } = await db.raw<{ rows: { claim_id: string; pr_adjustments: PrAdjustment[] }[] }>(
    `with produced as (
       select rc.matched_claim_id as claim_id, rc.applied_version, rc.outcome, rc.pr_adjustments, rc.id
         from remittance_claims rc
        where rc.practice_id = ? and rc.matched_claim_id = any(?::uuid[])
       union all
       select m.claim_id, m.applied_version, m.outcome, rc.pr_adjustments, rc.id
         from remittance_claim_matches m join remittance_claims rc on rc.id = m.remittance_claim_id
        where m.practice_id = ? and m.claim_id = any(?::uuid[])
     )
     select distinct on (c.id) c.id as claim_id, p.pr_adjustments
       from claims c
       join produced p on p.claim_id = c.id and p.applied_version = c.source_version and p.outcome = 'updated'
      where c.practice_id = ? and c.id = any(?::uuid[]) and c.responsibility = 'patient'
      order by c.id, p.id`,
    [practiceId, ids, practiceId, ids, practiceId, ids],
  );
  return new Map(rows.map((r) => [r.claim_id, r.pr_adjustments]));
}
