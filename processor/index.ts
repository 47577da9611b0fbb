/**
 * The card processor the configuration names (PROCESSOR, lib/config.ts): `standin` (default; the EHR stand-in's
 * /processor) or `stripe` (Stripe through its official SDK). Callers see only the port (./card-processor.ts).
 */
import type { ServiceConfig } from '../lib/config';
import type { CardProcessor } from './card-processor';
import { createStandinProcessor } from './standin-processor';
import { createStripeProcessor } from './stripe-processor';

export type ProcessorConfig = Pick<ServiceConfig, 'PROCESSOR' | 'PROCESSOR_STANDIN_URL' | 'PROCESSOR_STANDIN_TOKEN' | 'PROCESSOR_TIMEOUT' | 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE'>;

export function createCardProcessor(config: ProcessorConfig): CardProcessor {
  switch (config.PROCESSOR) {
    case 'stripe':
      if (!config.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is required when PROCESSOR is stripe');
      return createStripeProcessor({
        secretKey: config.STRIPE_SECRET_KEY, timeoutMs: config.PROCESSOR_TIMEOUT, ...(config.STRIPE_API_BASE ? { apiBase: config.STRIPE_API_BASE } : {}),
      });
    case 'standin':
      return createStandinProcessor({ baseUrl: config.PROCESSOR_STANDIN_URL, token: config.PROCESSOR_STANDIN_TOKEN, timeoutMs: config.PROCESSOR_TIMEOUT });
  }
}

export { CardProcessorError } from './card-processor';
export type { CardProcessor, CardSetup, ChargeRequest, ChargeResult, DeclineCode, RefundRequest, RefundResult, SavedCard } from './card-processor';
