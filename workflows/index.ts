/** Every workflow the worker registers. Deterministic code only (see eslint.config.mjs). */
export { wiringCheck } from './wiring-check';
export { superbillCopay } from './superbill-copay';
export { patientBalance } from './patient-balance';
export { benchBaseline } from './bench-baseline';
export { billingStatement } from './statement';
export { statementBatch } from './statement-batch';
export { ehrRefundRequest } from './ehr-refund';
export { notificationFallback } from './notification-fallback';
export { cardOnFileCharge } from './card-on-file-charge';
export { creditNotice } from './credit-notice';
export { paymentPlan } from './payment-plan';
