/**
 * Workflow ids of the runs whose id is written with their database row (collections, statements): one naming rule for
 * the rows (db/) and the starts (workflows/starts/). Ids and nothing else: never PHI.
 */

/** Engineers find every copay run of a visit with `WorkflowId STARTS_WITH "copay-<visitId>"` (later ones: `-2`, `-3` …). */
export const copayWorkflowIdBase = (visitId: string) => `copay-${visitId}`;

export const balanceWorkflowId = (collectionId: string) => `balance-${collectionId}`;

export const statementWorkflowId = (statementId: string) => `statement-${statementId}`;
