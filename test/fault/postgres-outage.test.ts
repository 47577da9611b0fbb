/**
 * Fault tier (issue 11), PostgreSQL down: this file's own embedded PostgreSQL (persistent, migrated) is stopped under
 * the running API, worker and EHR stand-in, then started again on the same port and data directory; the API is not
 * restarted. Scenario 3b of docs/reliability.md. Run alone: `npx jest test/fault`.
 */
import { randomUUID } from 'node:crypto';
import { useFaultStack, withOutput } from '../support/processes';
import { Checks, collectNow, describeAnswer, getCollection, http, isOutageAnswer, retryUntil, seedVisits, startCopay } from './driver';

const OWED_MS = 5000;
const ASSERTED_MS = 8000;
const ANSWER_DEADLINE_MS = 25_000;

describe('fault tier: PostgreSQL stopped and started again', () => {
  const stack = useFaultStack({ temporal: 'shared', postgres: 'own' });

  it('3b. with PostgreSQL down a GET and a POST answer 503 with Retry-After at once; once it is back the same API answers normally', withOutput(stack, async () => {
    const checks = new Checks();
    const [s, other] = await seedVisits(stack.db, 2);
    const c = await startCopay(stack, s!, 2500);

    const stopStarted = Date.now();
    await stack.kill('postgres');
    const stoppedMs = Date.now() - stopStarted;
    const get = await getCollection(stack, s!, c.collectionId, ANSWER_DEADLINE_MS);
    checks.check(isOutageAnswer(get) && get.ms < ASSERTED_MS, `GET /v1/collections/{id} (PostgreSQL down): want 503 problem+json with Retry-After within ${OWED_MS} ms, got ${describeAnswer(get)} retry-after=${get.headers.get('retry-after')}`);
    const key = `fault-${randomUUID()}`;
    const post = await collectNow(stack, other!, 2500, { key, timeoutMs: ANSWER_DEADLINE_MS });
    checks.check(isOutageAnswer(post) && post.ms < ASSERTED_MS, `POST Collect Now (PostgreSQL down): want 503 problem+json with Retry-After within ${OWED_MS} ms, got ${describeAnswer(post)} retry-after=${post.headers.get('retry-after')}`);
    const ready = await http(`${stack.apiUrl}/readyz`, { timeoutMs: 10_000 });
    checks.check(ready.status === 503, `readiness while PostgreSQL is down: ${describeAnswer(ready)}`);

    const restartStarted = Date.now();
    await stack.start('postgres');
    const pgBack = Date.now();
    const getAgain = await retryUntil(() => getCollection(stack, s!, c.collectionId, 10_000), (a) => a.status === 200, 30_000);
    checks.check(getAgain.ok && getAgain.last.body.collectionId === c.collectionId, `GET after PostgreSQL is back (no API restart): ${describeAnswer(getAgain.last)} (statuses ${getAgain.statuses.join(',')})`);
    const postAgain = await retryUntil(() => collectNow(stack, other!, 2500, { key, timeoutMs: 20_000 }), (a) => [200, 201, 202].includes(a.status), 45_000);
    checks.check(postAgain.ok && Boolean(postAgain.last.body.collectionId), `Collect Now after PostgreSQL is back: ${describeAnswer(postAgain.last)} (statuses ${postAgain.statuses.join(',')})`);
    const readyAgain = await retryUntil(() => http(`${stack.apiUrl}/readyz`, { timeoutMs: 10_000 }), (a) => a.status === 200, 30_000);
    checks.check(readyAgain.ok, `readiness after PostgreSQL is back: ${describeAnswer(readyAgain.last)}`);
    stack.measure('3b-postgres-down', {
      postgresStopMs: stoppedMs,
      get: { status: get.status, ms: get.ms, retryAfter: get.headers.get('retry-after'), body: get.body, error: get.error },
      post: { status: post.status, ms: post.ms, retryAfter: post.headers.get('retry-after'), body: post.body, error: post.error },
      postgresRestartMs: pgBack - restartStarted,
      getAnsweredAfterPostgresBackMs: getAgain.ok ? getAgain.at - pgBack : null,
      postAnsweredAfterPostgresBackMs: postAgain.ok ? postAgain.at - pgBack : null,
      postStatusAfter: postAgain.last.status,
    });
    checks.assertNone();
  }), 180_000);
});
