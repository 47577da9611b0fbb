/**
 * The card processor port (./card-processor.ts) over the local stand-in processor (ehr/standin/processor.ts, under
 * /processor on the EHR stand-in): the default adapter, for development and tests. Plain HTTP with a bearer token and
 * an Idempotency-Key on every POST, each call bounded by a timeout.
 *
 * Answers: 2xx → the port's types; 402 on a charge → declined with its code; no answer, a timeout, 429 or 5xx → a
 * retryable CardProcessorError (the caller retries under the same key: the stand-in answers again, never charges twice);
 * any other 4xx → a non-retryable one.
 */
import { isDeclineCode } from '../domain/card-on-file';
import { z } from 'zod';
import {
  CardProcessorError, type CardProcessor, type CardSetup, type ChargeRequest, type ChargeResult, type RefundRequest,
  type RefundResult, type SavedCard,
} from './card-processor';

export interface StandinProcessorOptions {
  /** The stand-in processor's base, e.g. http://localhost:3100/processor. */
  baseUrl: string;
  /** Its bearer token (the stand-in's PROCESSOR_STANDIN_TOKEN). */
  token: string;
  /** One request's timeout; 15 s unless told. */
  timeoutMs?: number;
}

const idSchema = z.object({ id: z.string().min(1) });
const setupSchema = z.object({
  id: z.string().min(1),
  customer: z.string().min(1),
  status: z.enum(['requires_payment_method', 'succeeded']),
  url: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  card: z.object({ paymentMethod: z.string(), brand: z.string(), last4: z.string(), expMonth: z.number().int(), expYear: z.number().int() }).nullable(),
});
const succeededSchema = z.object({ id: z.string().min(1), status: z.literal('succeeded'), amountCents: z.number().int() });
const declinedSchema = z.object({ id: z.string().min(1), status: z.literal('declined'), declineCode: z.string() });
const refundSchema = z.object({ id: z.string().min(1), status: z.enum(['succeeded', 'pending']) });

interface Answer { status: number; body: unknown }

export function createStandinProcessor(o: StandinProcessorOptions): CardProcessor {
  const base = o.baseUrl.replace(/\/+$/, '');
  const timeoutMs = o.timeoutMs ?? 15_000;

  async function send(what: string, method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${o.token}`, Accept: 'application/json', 'User-Agent': 'payflow',
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: unknown } };
      const why = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : typeof e.cause?.code === 'string' ? e.cause.code : 'network error';
      throw new CardProcessorError(`The stand-in processor's ${what} did not answer (${why})`, true, e.name === 'TimeoutError' ? 'timeout' : 'unreachable');
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed };
  }

  function failure(what: string, answer: Answer): CardProcessorError {
    const problem = (answer.body ?? {}) as { type?: unknown; detail?: unknown };
    // application/problem+json: its type is a URI, /problems/<code>.
    const code = typeof problem.type === 'string' ? problem.type.replace(/^.*\//, '') || undefined : undefined;
    const detail = typeof problem.detail === 'string' ? `: ${problem.detail}` : '';
    const retryable = answer.status >= 500 || answer.status === 429;
    return new CardProcessorError(`The stand-in processor's ${what} failed (HTTP ${answer.status})${detail}`, retryable, code, answer.status);
  }

  function read<T>(what: string, schema: z.ZodType<T>, answer: Answer): T {
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) throw new CardProcessorError(`The stand-in processor's ${what} answered HTTP ${answer.status} with an unexpected body`, false, 'unexpected_answer', answer.status);
    return parsed.data;
  }

  async function call<T>(what: string, schema: z.ZodType<T>, method: 'GET' | 'POST', path: string, body?: unknown, key?: string): Promise<T> {
    const answer = await send(what, method, path, body, key);
    if (answer.status < 200 || answer.status > 299) throw failure(what, answer);
    return read(what, schema, answer);
  }

  return {
    name: 'standin',

    async startCardSetup(input): Promise<CardSetup> {
      const metadata = input.metadata ?? {};
      const customerRef = input.customerRef ?? (await call('customer creation', idSchema, 'POST', '/v1/customers', { metadata }, `${input.idempotencyKey}:customer`)).id;
      const setup = await call('setup', setupSchema, 'POST', '/v1/setups', { customer: customerRef, metadata }, input.idempotencyKey);
      if (!setup.clientSecret) throw new CardProcessorError(`The stand-in processor's setup ${setup.id} came without a client secret`, false, 'no_client_secret');
      return { setupRef: setup.id, clientSecret: setup.clientSecret, customerRef, entryUrl: setup.url };
    },

    async completedCard(setupRef: string): Promise<SavedCard | undefined> {
      const setup = await call('setup lookup', setupSchema, 'GET', `/v1/setups/${encodeURIComponent(setupRef)}`);
      if (setup.status !== 'succeeded' || !setup.card) return undefined;
      const { paymentMethod, brand, last4, expMonth, expYear } = setup.card;
      return { customerRef: setup.customer, paymentMethodRef: paymentMethod, brand, last4, expMonth, expYear };
    },

    async charge(request: ChargeRequest): Promise<ChargeResult> {
      const answer = await send('charge', 'POST', '/v1/charges', {
        customer: request.card.customerRef, paymentMethod: request.card.paymentMethodRef, amountCents: request.amountCents, currency: 'usd',
        description: request.description, metadata: request.metadata ?? {},
      }, request.idempotencyKey);
      if (answer.status === 402) {
        const declined = read('charge', declinedSchema, answer);
        const code = isDeclineCode(declined.declineCode) ? declined.declineCode : 'card_declined';
        return { status: 'declined', code, chargeRef: declined.id };
      }
      if (answer.status < 200 || answer.status > 299) throw failure('charge', answer);
      const charged = read('charge', succeededSchema, answer);
      return { status: 'succeeded', chargeRef: charged.id, amountCents: charged.amountCents };
    },

    async refund(request: RefundRequest): Promise<RefundResult> {
      const refund = await call('refund', refundSchema, 'POST', '/v1/refunds', { charge: request.chargeRef, amountCents: request.amountCents }, request.idempotencyKey);
      return { refundRef: refund.id, status: refund.status };
    },
  };
}
