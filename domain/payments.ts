/** How a patient paid, as the EHR's Patient Payment tool records it (and its webhook sends it). */
export const PAYMENT_METHODS = ['cash', 'check', 'card'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
