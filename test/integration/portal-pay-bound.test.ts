/**
 * `/portal/pay` is bounded (issue 13, item 5): pressing Pay again with the same amount goes back to the same open
 * payment request (one collection, one registration on the statement's run), and a statement can start only so many
 * portal payments in a window; past that the patient gets a clear page (429) and nothing is written.
 */
import { useTestStack, type TestStack } from '../support/harness';
import { generateStatement, PortalClient, seedStatementScenario, startPortalApp } from '../support/statement-driver';

let clientNo = 0;
const client = (url: string) => new PortalClient(url, { 'X-Forwarded-For': `198.18.0.${++clientNo}` });

/** The collection a payment-page redirect is for (the signed reference's `c`). */
function collectionOf(location: string | null): string {
  const ref = new URL(location!).searchParams.get('ref')!;
  return JSON.parse(Buffer.from(ref.split('.')[0]!, 'base64url').toString('utf8')).c;
}

async function statementCollections(stack: TestStack, statementId: string): Promise<{ id: string; requested_amount_cents: number }[]> {
  return stack.db('collections').where({ statement_id: statementId }).orderBy('created_at').select('id', 'requested_amount_cents');
}

/** The run's history length once it has stopped growing (its workflow tasks after an update have run). */
async function settledHistoryLength(stack: TestStack, workflowId: string): Promise<number> {
  const length = async () => ((await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).length;
  let last = await length();
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await length();
    if (now === last) return now;
    last = now;
  }
}

describe('portal pay is bounded', () => {
  const stack = useTestStack();
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  beforeAll(async () => {
    portal = await startPortalApp(stack, { trustedProxyHops: 1, reminderIntervalMs: 60 * 60_000 });
  });
  afterAll(() => portal.close());
  const seed = () => seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay` });

  async function signedIn() {
    const s = await seed();
    const statement = await generateStatement(portal.app, s);
    const c = client(portal.url);
    expect((await c.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    await c.get('/portal/statement');
    return { s, statement, c };
  }

  it('50 presses of Pay with the same amount start one payment: every press goes to the same payment request', async () => {
    const { statement, c } = await signedIn();
    const first = await c.post('/portal/pay', { amount: '20.00' });
    expect(first.status).toBe(303);
    const events = await settledHistoryLength(stack, statement.workflowId);
    const presses = await Promise.all(Array.from({ length: 50 }, () => c.post('/portal/pay', { amount: '20.00' })));
    expect(presses.map((p) => p.status)).toEqual(presses.map(() => 303));
    expect(new Set(presses.map((p) => collectionOf(p.headers.get('location'))))).toEqual(new Set([collectionOf(first.headers.get('location'))]));
    expect(await statementCollections(stack, statement.statementId)).toHaveLength(1);
    const added = (await settledHistoryLength(stack, statement.workflowId)) - events;
    expect(added).toBe(0);
  });

  it('caps the portal payments a statement can start; past the cap a clear answer (429), nothing written; open ones still reachable', async () => {
    const { statement, c } = await signedIn();
    const started: string[] = [];
    for (const amount of ['1.00', '2.00', '3.00', '4.00', '5.00']) {
      const pay = await c.post('/portal/pay', { amount });
      expect(pay.status).toBe(303);
      started.push(collectionOf(pay.headers.get('location')));
    }
    expect(new Set(started).size).toBe(5);
    const capped = await c.post('/portal/pay', { amount: '6.00' });
    expect(capped.status).toBe(429);
    expect(capped.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(capped.body).toContain('too many payments');
    expect(capped.body).toContain('action="/portal/pay"'); // still the statement page, with its form
    expect(await statementCollections(stack, statement.statementId)).toHaveLength(5);
    // A payment already started is still open: the same amount goes back to it.
    const again = await c.post('/portal/pay', { amount: '3.00' });
    expect(again.status).toBe(303);
    expect(collectionOf(again.headers.get('location'))).toBe(started[2]);
  });
});
