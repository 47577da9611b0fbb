/**
 * EhrAdapter over the EHR's JSON API (the stand-in's, or a real EHR's with the same shape):
 *   POST {baseUrl}/api/payment-requests                     body PaymentRequestInput → 201/200 { requestId, url }
 *   POST {baseUrl}/api/payment-requests/{requestId}/cancel  → 204
 *   POST {baseUrl}/api/refunds                              body RefundRequestInput → 201/200 { refundRequestId }
 * Every call times out (5 s by default). Failures throw EhrAdapterError carrying the operation, the HTTP status
 * and whether a retry may help, but never the response body: an EHR's error body may echo PHI.
 */
import type { EhrAdapter, PaymentRequest, PaymentRequestInput, RefundRequest, RefundRequestInput } from './adapter';
import { paymentRequestSchema, refundRequestSchema } from './adapter';

export type EhrOperation = 'openPaymentRequest' | 'cancelPaymentRequest' | 'requestRefund';

export class EhrAdapterError extends Error {
  constructor(
    readonly operation: EhrOperation,
    /** The EHR's HTTP status; undefined when no answer came (network error, timeout). */
    readonly status: number | undefined,
    /** False for answers a retry cannot change (4xx other than 408/429): activities should fail for good. */
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'EhrAdapterError';
  }
}

export interface HttpEhrAdapterOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Per-call timeout; 5000 ms unless told. */
  timeoutMs?: number;
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

export function createHttpEhrAdapter(options: HttpEhrAdapterOptions): EhrAdapter {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('EHR baseUrl must be an http(s) URL');
  const root = base.href.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const doFetch = options.fetch ?? fetch;

  async function call(operation: EhrOperation, path: string, body: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
    let res: Response;
    try {
      res = await doFetch(`${root}${path}`, {
        method: 'POST',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new EhrAdapterError(operation, undefined, true, `EHR ${operation} timed out after ${timeoutMs} ms`);
      }
      const code = ((err as { cause?: { code?: unknown } })?.cause?.code);
      throw new EhrAdapterError(operation, undefined, true, `EHR ${operation} failed: network error${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined); // release the connection; the body is never read
      throw new EhrAdapterError(operation, res.status, retryableStatus(res.status), `EHR ${operation} failed with HTTP ${res.status}`);
    }
    return res;
  }

  return {
    async openPaymentRequest(input: PaymentRequestInput): Promise<PaymentRequest> {
      const res = await call('openPaymentRequest', '/api/payment-requests', input, { 'Idempotency-Key': input.collectionId });
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        throw new EhrAdapterError('openPaymentRequest', res.status, true, `EHR openPaymentRequest answered HTTP ${res.status} without valid JSON`);
      }
      const parsed = paymentRequestSchema.safeParse(json);
      if (!parsed.success) {
        const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'body'))].join(', ');
        throw new EhrAdapterError('openPaymentRequest', res.status, false, `EHR openPaymentRequest answered HTTP ${res.status} with an unexpected body (${fields})`);
      }
      return { requestId: parsed.data.requestId, url: parsed.data.url };
    },

    async cancelPaymentRequest(requestId: string): Promise<void> {
      const res = await call('cancelPaymentRequest', `/api/payment-requests/${encodeURIComponent(requestId)}/cancel`, undefined);
      await res.body?.cancel().catch(() => undefined);
    },

    async requestRefund(input: RefundRequestInput): Promise<RefundRequest> {
      const res = await call('requestRefund', '/api/refunds', input, { 'Idempotency-Key': input.refundId });
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        throw new EhrAdapterError('requestRefund', res.status, true, `EHR requestRefund answered HTTP ${res.status} without valid JSON`);
      }
      const parsed = refundRequestSchema.safeParse(json);
      if (!parsed.success) throw new EhrAdapterError('requestRefund', res.status, false, `EHR requestRefund answered HTTP ${res.status} with an unexpected body`);
      return { refundRequestId: parsed.data.refundRequestId };
    },
  };
}
