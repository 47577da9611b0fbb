/**
 * The benchmark's baseline (bench/): the bare engine doing what a copay collection asks of it, with no work in
 * the activities. Same messages (an Update-with-Start that waits for the request, a capture update, a transfer
 * signal), the same number of activities and search-attribute upserts, in the same order as superbill-copay's
 * happy path. The headline figure of bench/README.md is ours / this.
 */
import { allHandlersFinished, condition, defineSignal, defineUpdate, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PayflowStatus } from './search-attributes';

export const baselineStartUpdate = defineUpdate<{ requestId: string }>('baselineStart');
export const baselineCaptureUpdate = defineUpdate<{ accepted: true }, [{ eventId: string }]>('baselineCapture');
export const baselineTransferSignal = defineSignal<[{ eventId: string }]>('baselineTransfer');

const { benchNoop } = proxyActivities<Activities>({ startToCloseTimeout: '10 seconds' });

export async function benchBaseline(): Promise<void> {
  let opened = false;
  let captured = false;
  let transferred = false;
  setHandler(baselineStartUpdate, async () => {
    await condition(() => opened);
    return { requestId: 'baseline' };
  });
  setHandler(baselineCaptureUpdate, () => {
    captured = true;
    return { accepted: true as const };
  });
  setHandler(baselineTransferSignal, () => {
    transferred = true;
  });

  await benchNoop(); // open the payment request
  upsertSearchAttributes([{ key: PayflowStatus, value: 'awaiting_capture' }]);
  await benchNoop(); // status row
  opened = true;
  await condition(() => captured);
  await benchNoop(); // record the payment
  upsertSearchAttributes([{ key: PayflowStatus, value: 'awaiting_transfer' }]);
  await benchNoop(); // status row
  await benchNoop(); // read the claim
  await condition(() => transferred);
  await benchNoop(); // read the claim again
  await benchNoop(); // apply
  upsertSearchAttributes([{ key: PayflowStatus, value: 'applied' }]);
  await benchNoop(); // status row
  await condition(allHandlersFinished);
}
