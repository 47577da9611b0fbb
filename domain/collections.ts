/** A collection's life, as staff and engineers see it (the workflow keeps the collection row's projection). */
export type CollectionStatus =
  | 'starting' | 'awaiting_capture' | 'awaiting_transfer' | 'applied' | 'needs_attention' | 'resolved' | 'expired' | 'cancelled';

/** Closed collections take no capture or cancellation; a new Collect Now may start after them. */
export const isClosedStatus = (status: string): boolean => status === 'expired' || status === 'cancelled';
