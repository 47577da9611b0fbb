/**
 * The production topology's Temporal (issue 19): the Temporal server binary on PostgreSQL (persistence and SQL
 * visibility in databases of their own, schema by temporal-sql-tool, namespace and search attributes registered by
 * the CLI's operator commands: scripts/temporal-cluster.ts), with the real API, worker and EHR stand-in processes.
 * A copay runs end to end on it, is found by its search attributes through SQL visibility, and survives a SIGKILL
 * of the server in the middle of its durable wait (its history is in PostgreSQL).
 */
import { appliedByClaim } from '../support/balance-driver';
import { transferToPatient } from '../support/fixtures';
import { useFaultStack, withOutput } from '../support/processes';
import { capture, claimEvent, collectionStatus, deliver, runWaitsForTransfer, seedVisits, startCopay } from '../fault/driver';

describe('Temporal server on PostgreSQL (the cluster topology)', () => {
  const stack = useFaultStack({ temporal: 'cluster' });

  it('runs a copay to its application across a SIGKILL of the server, and SQL visibility finds it by its search attributes', withOutput(stack, async () => {
    const [s] = await seedVisits(stack.db, 1);
    const c = await startCopay(stack, s!, 2500);
    expect((await capture(stack, c.requestId)).delivery.status).toBe(200);
    await collectionStatus(stack, s!, c.collectionId, 'awaiting_transfer');
    await runWaitsForTransfer(stack, c.workflowId);

    // The server dies in the middle of the durable wait and comes back: the run is where it was (its history is in
    // PostgreSQL, not in the process) and the claim's transfer applies the copay.
    await stack.kill('temporal', 'SIGKILL');
    await stack.start('temporal');
    const transfer = await deliver(stack, 'clearinghouse', claimEvent(transferToPatient(s!, 4500)), 30_000);
    expect(transfer.status).toBe(200);
    await collectionStatus(stack, s!, c.collectionId, 'applied', 60_000);
    const claimId = (await stack.db('claims').where({ visit_id: s!.visitId }).first()).id as string;
    expect(await appliedByClaim(stack.db, [claimId])).toEqual({ [claimId]: 2500 });

    // SQL visibility (PostgreSQL) answers a query on payflow's search attributes, registered as an operator does.
    const query = `PayflowPracticeId = '${s!.practiceId}' AND PayflowPath = 'copay' AND PayflowStatus = 'applied'`;
    let found: string[] = [];
    for (let i = 0; i < 60 && found.length === 0; i++) {
      found = [];
      for await (const w of stack.temporal.workflow.list({ query })) found.push(w.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(found).toEqual([c.workflowId]);
    const visibility = await stack.temporal.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(visibility.customAttributes ?? {}).sort()).toEqual(['PayflowManualReason', 'PayflowPath', 'PayflowPracticeId', 'PayflowStatus']);
  }), 240_000);
});
