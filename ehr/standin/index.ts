/** The EHR / processor / clearinghouse stand-in: development and tests only. */
export { createStandinApp, startStandin, newEventId } from './app';
export type { Delivery, RunningStandin, SentEvent, Standin, StandinOptions, StartStandinOptions, StoredPaymentRequest, StoredRefundRequest } from './app';
export { instantToLocalDateTime, localDateTimeToInstant } from './local-time';
