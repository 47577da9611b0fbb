/** The EHR / processor / clearinghouse stand-in: development and tests only. */
export { createStandinApp, startStandin, newEventId } from './app';
export type { Delivery, RemittanceFormat, RunningStandin, SentEvent, Standin, StandinOptions, StartStandinOptions, StoredPaymentRequest, StoredRefundRequest } from './app';
export { instantToLocalDateTime, localDateTimeToInstant } from './local-time';
export { claimTo835, remittanceFile, payerIdOf, Not835, STANDIN_PAYEE_NPI } from './remittance-835';
export type { FileContext, PatientShare, RemittanceClaim } from './remittance-835';
export type { Payflow835Target, SentRemittance } from './remittance-sender';
export { createSmsStandin } from './sms';
export type { SmsMessage, SmsStandin, SmsStandinOptions } from './sms';
export { createProcessorStandin, TEST_CARDS } from './processor';
export type { ProcessorStandin, ProcessorStandinOptions, StandinCard, StandinCharge, StandinRefund, StandinSetup } from './processor';
