/**
 * A collection's life, as staff and engineers see it (the workflow keeps the collection row's projection), and the
 * groups of statuses the service reasons about. The partial unique indexes of the schema (one live copay per visit,
 * one waiting balance collection per patient) spell the same groups in SQL; db/migrations say so where they do.
 */
export const COLLECTION_STATUSES = [
  'starting', 'awaiting_capture', 'awaiting_transfer', 'applied', 'needs_attention', 'resolved', 'expired', 'cancelled',
] as const;
export type CollectionStatus = (typeof COLLECTION_STATUSES)[number];

/** Closed: took no payment and never will (no capture or cancellation); a new Collect Now may start after them. */
export const CLOSED_STATUSES = ['expired', 'cancelled'] as const satisfies readonly CollectionStatus[];
export const isClosedStatus = (status: string): boolean => (CLOSED_STATUSES as readonly string[]).includes(status);

/** Waiting for the patient's payment (the EHR payment request opening or open): a second press finds this one. */
export const WAITING_FOR_CAPTURE_STATUSES = ['starting', 'awaiting_capture'] as const satisfies readonly CollectionStatus[];
export const isWaitingForCapture = (status: string): boolean => (WAITING_FOR_CAPTURE_STATUSES as readonly string[]).includes(status);

/** In flight: the run still has work ahead (a capture, a transfer, a decision); what the metrics count as open. */
export const IN_FLIGHT_STATUSES = [
  'starting', 'awaiting_capture', 'awaiting_transfer', 'needs_attention',
] as const satisfies readonly CollectionStatus[];
