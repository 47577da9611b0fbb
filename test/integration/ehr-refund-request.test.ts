/**
 * Refunds through the EHR adapter (issue 5): the HTTP adapter asks the EHR stand-in, which records the request,
 * idempotently by our refund id; a different request under the same refund id is refused (409), a malformed one
 * (400) fails for good, an outage may be retried.
 */
import { randomUUID } from 'node:crypto';
import { createHttpEhrAdapter, EhrAdapterError } from '../../ehr/http-adapter';
import { startStandin, type RunningStandin } from '../../ehr/standin';

describe('EHR refund requests', () => {
  let standin: RunningStandin;
  beforeAll(async () => {
    standin = await startStandin({
      port: 0, webhooks: { ehrUrl: 'http://127.0.0.1:9/webhooks/ehr', clearinghouseUrl: 'http://127.0.0.1:9/webhooks/clearinghouse' },
      secrets: { ehr: 'test-ehr-secret-123', clearinghouse: 'test-ch-secret-123' },
    });
  });
  afterAll(() => standin?.close());

  const input = () => ({ refundId: randomUUID(), practiceExternalId: 'demo-practice', patientExternalId: 'pt-1001', externalPaymentId: 'pay_123', amountCents: 2500 });

  it('records one refund request per refund id; asking again returns the same request', async () => {
    const ehr = createHttpEhrAdapter({ baseUrl: standin.url });
    const i = input();
    const first = await ehr.requestRefund(i);
    expect(first.refundRequestId).toMatch(/^rf_/);
    expect(await ehr.requestRefund(i)).toEqual(first);
    const recorded = standin.refundRequests().filter((r) => r.input.refundId === i.refundId);
    expect(recorded).toEqual([expect.objectContaining({ refundRequestId: first.refundRequestId, input: i })]);
    const listed = (await (await fetch(`${standin.url}/api/refunds`)).json()) as { refunds: { refundRequestId: string }[] };
    expect(listed.refunds.map((r) => r.refundRequestId)).toContain(first.refundRequestId);
  });

  it('refuses another amount under the same refund id (409) and malformed input (400), for good', async () => {
    const ehr = createHttpEhrAdapter({ baseUrl: standin.url });
    const i = input();
    await ehr.requestRefund(i);
    await expect(ehr.requestRefund({ ...i, amountCents: 2600 })).rejects.toMatchObject({ name: 'EhrAdapterError', operation: 'requestRefund', status: 409, retryable: false });
    await expect(ehr.requestRefund({ ...i, refundId: 'not-a-uuid' })).rejects.toMatchObject({ status: 400, retryable: false });
    await expect(ehr.requestRefund({ ...input(), amountCents: 0 })).rejects.toBeInstanceOf(EhrAdapterError);
  });

  it('an unreachable EHR is a retryable failure', async () => {
    const ehr = createHttpEhrAdapter({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000 });
    await expect(ehr.requestRefund(input())).rejects.toMatchObject({ operation: 'requestRefund', status: undefined, retryable: true });
  });
});
