/**
 * How a card-on-file charge run is started (by the outbox relay, when a claim moves to a patient with a usable
 * authorisation: app/ehr-events.ts): workflow id `card-charge-<authorisationId>-<claimId>`, `USE_EXISTING` (a run already
 * waiting keeps its notice and its date) and `ALLOW_DUPLICATE` (the claim back with the patient after a reversal is a
 * new round: the new run charges only what is still owed, under keys of the new claim version). No search attributes.
 * Pure: no I/O.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { cardChargeWorkflowId, cardOnFileCharge, type CardChargeInput } from '../card-on-file-charge';

export { cardChargeWorkflowId };

export function cardChargeStart(input: CardChargeInput, taskQueue: string) {
  return {
    workflow: cardOnFileCharge,
    options: {
      workflowId: cardChargeWorkflowId(input.authorisationId, input.claimId), taskQueue, args: [input] as [CardChargeInput],
      workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Card-on-file charge: authorisation ${input.authorisationId}, claim ${input.claimId}`,
    } satisfies WorkflowStartOptions<typeof cardOnFileCharge>,
  };
}
