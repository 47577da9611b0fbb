/**
 * Typed search attributes engineers filter on in the Temporal UI. They are NOT encrypted: never PHI here.
 * The local stack and the test harness register exactly these (scripts/temporal-server.ts).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PayflowPath = defineSearchAttributeKey('PayflowPath', SearchAttributeType.KEYWORD);
export const PayflowStatus = defineSearchAttributeKey('PayflowStatus', SearchAttributeType.KEYWORD);
export const PayflowPracticeId = defineSearchAttributeKey('PayflowPracticeId', SearchAttributeType.KEYWORD);
export const PayflowManualReason = defineSearchAttributeKey('PayflowManualReason', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [PayflowPath, PayflowStatus, PayflowPracticeId, PayflowManualReason];
