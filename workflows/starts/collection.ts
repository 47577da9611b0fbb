/**
 * The windows every collection run gets, and the one entry that starts a collection's run from its row, whichever its
 * path (copay.ts, balance.ts). Used by Collect Now (app/collections.ts) and by the reconciler that starts the run of a
 * collection left `starting` (worker/starting-reconciler.ts), so both start the same run.
 */
import type { CollectionRow } from '../../db/queries/collections';
import type { ServiceConfig } from '../../lib/config';
import { balanceStart } from './balance';
import type { CollectionStart, CollectionWindows } from './collection-windows';
import { copayStart } from './copay';

export type { CollectionStart, CollectionWindows };

/** The windows every collection run gets, from the validated configuration (API and worker alike). */
export const collectionWindowsOf = (c: Pick<ServiceConfig, 'CAPTURE_WINDOW' | 'LATE_CAPTURE_WAIT' | 'COPAY_TRANSFER_WINDOW' | 'COPAY_REVERSAL_WATCH' | 'PAYMENT_LINK_WAIT'>): CollectionWindows => ({
  captureWindowMs: c.CAPTURE_WINDOW, lateCaptureWaitMs: c.LATE_CAPTURE_WAIT, transferWindowMs: c.COPAY_TRANSFER_WINDOW, reversalWatchMs: c.COPAY_REVERSAL_WATCH,
  paymentLinkWaitMs: c.PAYMENT_LINK_WAIT,
});

/**
 * The run of a copay or balance collection. Idempotent: `USE_EXISTING` attaches to the running run of that id; the
 * workflow id belongs to this collection alone (written with its row by db/queries), so a second start never opens a
 * second run. A statement payment has no run of its own: it is registered with its statement's run (app/portal-payments.ts).
 */
export function collectionStart(c: CollectionRow, windows: CollectionWindows, timeZone: string, taskQueue: string): CollectionStart {
  if (c.path === 'copay') return copayStart(c, windows, timeZone, taskQueue);
  if (c.path === 'balance') return balanceStart(c, windows, timeZone, taskQueue);
  throw new TypeError(`a ${c.path} collection is started by its statement's run`);
}
