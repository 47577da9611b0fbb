/**
 * The portal lock-out under parallel guessing (issue 13, items 1 and 6), on a real PostgreSQL: every lookup is counted
 * before its date of birth is compared, in one statement, so a burst of parallel guesses gets no more comparisons
 * than the documented limit (10 failed lookups per account in 30 minutes); a lock writes one audit row, the lookups
 * refused while locked write none; the attempt table keeps one row per account or client, not one per attempt.
 */
import { lookUp, type LookupResult } from '../../app/portal-sessions';
import { resolveStatementsSettings } from '../../app/statements-settings';
import { keyedHash } from '../../lib/signed-token';
import { useTestStack, type TestStack } from '../support/harness';
import { PortalClient, usePortalApp, type StatementScenario } from '../support/statement-driver';

const settings = resolveStatementsSettings({});
const LIMIT = settings.maxFailuresPerAccount;
let clientNo = 0;
const address = () => `203.0.113.${++clientNo}`;
const client = (url: string, at = address()) => new PortalClient(url, { 'X-Forwarded-For': at });

/** `n` distinct wrong dates of birth (none is the scenario's 1984-03-12). */
const wrongDates = (n: number) => Array.from({ length: n }, (_, i) => {
  const d = new Date(Date.UTC(1950, 0, 1) + i * 86_400_000);
  return d.toISOString().slice(0, 10);
});

/** A lookup whose date of birth was compared: it signed in, or it failed on the date itself. */
const compared = (r: LookupResult) => r.ok || r.reason === 'wrong_date_of_birth';

const accountKeyOf = (s: StatementScenario) => keyedHash('account', s.accountId, settings.portalSecret);
const clientKeyOf = (clientAddress: string) => keyedHash('client', clientAddress, settings.portalSecret);

/** The audit rows about one account or client (by its keyed hash, as audited). */
async function auditRows(stack: TestStack, key: string): Promise<{ action: string; after: any }[]> {
  return stack.db('audit_log').where({ entity_id: key.slice(0, 32) }).orderBy('id').select('action', 'after');
}

describe('portal lock-out under parallel guesses', () => {
  const stack = useTestStack();
  const portalApp = usePortalApp(stack);
  const seed = () => portalApp.seed();

  it.each([40, 150])('compares at most the limit of %d parallel wrong dates of birth plus the right one; the right one after them is refused', async (n) => {
    const s = await seed();
    const at = address();
    const guess = (dateOfBirth: string) => lookUp(stack.db, settings, { accountId: s.accountId, dateOfBirth, clientAddress: at });
    // All at once, the right one last.
    const results = await Promise.all([...wrongDates(n), s.dateOfBirth].map(guess));
    const comparedCount = results.filter(compared).length;
    expect(comparedCount).toBeLessThanOrEqual(LIMIT);
    // The right one came last: refused without comparing (the account is locked; past 100 lookups, the address too).
    const locked = { ok: false, reason: expect.stringMatching(/^(account|client)_locked$/) };
    expect(results.at(-1)).toEqual(locked);
    expect(await guess(s.dateOfBirth)).toEqual(locked);
  });

  it('over HTTP: 150 parallel wrong dates of birth, then the right one: refused; one audit row for the lock, none per attempt', async () => {
    const s = await seed();
    const at = address();
    const c = client(portalApp.portal.url, at);
    await c.get('/portal');
    const answers = await Promise.all(wrongDates(150).map((dateOfBirth) => c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth })));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([403]));
    const right = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth });
    expect(right.status).toBe(403);
    expect(right.body).toBe(answers[0]!.body);
    // More refused lookups while locked write nothing more to the audit log.
    for (const dateOfBirth of wrongDates(5)) await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth });
    expect((await auditRows(stack, accountKeyOf(s))).map((r) => r.action)).toEqual(['portal.account_locked']);
    // 150 lookups from one address: past 100 the address is locked as well, audited once.
    expect((await auditRows(stack, clientKeyOf(at))).map((r) => r.action)).toEqual(['portal.client_locked']);
    // One counter row for the account and one for the address, however many attempts.
    expect(await stack.db('portal_login_attempts').whereIn('key', [`account:${accountKeyOf(s)}`, `client:${clientKeyOf(at)}`]).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 2 }]);
    const text = JSON.stringify(await stack.db('audit_log').where('action', 'like', 'portal.%_locked'));
    for (const phi of [s.accountId, s.dateOfBirth, 'Ada', 'Testington', at]) expect(text).not.toContain(phi);
  });

  describe('the lock as documented: 10 failed lookups per account within 30 minutes lock it for 30 minutes', () => {
    const at = address();
    const guess = (s: StatementScenario, dateOfBirth: string) => lookUp(stack.db, settings, { accountId: s.accountId, dateOfBirth, clientAddress: at });
    const fail = async (s: StatementScenario, n: number) => {
      for (const dateOfBirth of wrongDates(n)) expect(await guess(s, dateOfBirth)).toEqual({ ok: false, reason: 'wrong_date_of_birth' });
    };
    /** Moves the key's history `minutes` into the past, as if that much time had gone by. */
    const age = (key: string, minutes: number) => stack.db.raw(
      `update portal_login_attempts set attempts = array(select x - make_interval(mins => :m) from unnest(attempts) x),
              locked_until = locked_until - make_interval(mins => :m), updated_at = updated_at - make_interval(mins => :m) where key = :key`,
      { m: minutes, key },
    );

    it('9 failures do not lock; a success starts the count again', async () => {
      const s = await seed();
      await fail(s, 9);
      expect(await guess(s, s.dateOfBirth)).toMatchObject({ ok: true });
      await fail(s, 9);
      expect(await guess(s, s.dateOfBirth)).toMatchObject({ ok: true });
      expect(await auditRows(stack, accountKeyOf(s))).toEqual([]);
    });

    it('the 10th failure locks for 30 minutes; refused lookups do not extend it; then the account opens again', async () => {
      const s = await seed();
      const key = `account:${accountKeyOf(s)}`;
      await fail(s, 10);
      const row = await stack.db('portal_login_attempts').where({ key }).first();
      const left = new Date(row.locked_until).getTime() - Date.now();
      expect(left).toBeGreaterThan(29 * 60_000);
      expect(left).toBeLessThanOrEqual(30 * 60_000);
      expect(row.attempts).toHaveLength(10);
      expect(await guess(s, s.dateOfBirth)).toEqual({ ok: false, reason: 'account_locked' });
      for (const dateOfBirth of wrongDates(3)) expect(await guess(s, dateOfBirth)).toEqual({ ok: false, reason: 'account_locked' });
      const later = await stack.db('portal_login_attempts').where({ key }).first();
      expect(later.locked_until).toEqual(row.locked_until);
      expect(later.attempts).toHaveLength(10);
      expect((await auditRows(stack, accountKeyOf(s))).map((r) => [r.action, r.after.attempts])).toEqual([['portal.account_locked', 10]]);
      await age(key, 29);
      expect(await guess(s, s.dateOfBirth)).toEqual({ ok: false, reason: 'account_locked' });
      await age(key, 2);
      expect(await guess(s, s.dateOfBirth)).toMatchObject({ ok: true });
    });

    it('counts within a sliding 30 minutes: failures older than that no longer count', async () => {
      const s = await seed();
      const key = `account:${accountKeyOf(s)}`;
      await fail(s, 9);
      await age(key, 31);
      await fail(s, 9); // 18 within an hour, 9 within 30 minutes: not locked
      expect(await guess(s, s.dateOfBirth)).toMatchObject({ ok: true });
    });

    it("a client's successful lookups do not count against its address", async () => {
      const strict = { ...settings, maxFailuresPerClient: 3 };
      const clinic = address(); // say, the waiting room's shared address
      const from = (p: StatementScenario, dateOfBirth: string) => lookUp(stack.db, strict, { accountId: p.accountId, dateOfBirth, clientAddress: clinic });
      const patients = await Promise.all([seed(), seed(), seed(), seed()]);
      for (const p of patients) expect(await from(p, p.dateOfBirth)).toMatchObject({ ok: true });
      expect(await from(patients[0], '1999-01-01')).toEqual({ ok: false, reason: 'wrong_date_of_birth' });
      expect(await from(patients[1], patients[1].dateOfBirth)).toMatchObject({ ok: true });
      expect(await from(patients[0], '1999-01-02')).toEqual({ ok: false, reason: 'wrong_date_of_birth' });
      expect(await from(patients[0], '1999-01-03')).toEqual({ ok: false, reason: 'wrong_date_of_birth' }); // the 3rd failure locks it
      expect(await from(patients[2], patients[2].dateOfBirth)).toEqual({ ok: false, reason: 'client_locked' });
    });
  });

  it('keeps the attempt table bounded: rows no lookup needed for a window are deleted as lookups come', async () => {
    await stack.db('portal_login_attempts').insert(Array.from({ length: 30 }, (_, i) => ({
      key: `account:stale-${i}`, attempts: stack.db.raw("array[now() - interval '2 hours']::timestamptz[]"), updated_at: stack.db.raw("now() - interval '2 hours'"),
    })));
    await stack.db('portal_login_attempts').insert({ key: 'account:stale-locked', locked_until: stack.db.raw("now() + interval '5 minutes'"), updated_at: stack.db.raw("now() - interval '2 hours'") });
    const s = await seed();
    for (const dateOfBirth of wrongDates(2)) await lookUp(stack.db, settings, { accountId: s.accountId, dateOfBirth, clientAddress: address() });
    const stale = await stack.db('portal_login_attempts').where('key', 'like', 'account:stale-%').pluck('key');
    expect(stale).toEqual(['account:stale-locked']); // a lock is kept until it ends
  });
});
