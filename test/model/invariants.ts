/**
 * The ledger's invariants (issue 12), as named SQL checks in one place. Each returns the offending rows: none = holds.
 * They are scoped to a set of practices (each model sequence seeds its own practice), so a violation seen in one
 * sequence is not reported again by every later one.
 *
 * "Standing" application: a `payment_applications` row with no `application_reversals` row.
 * "Credit": a manual task of the payment resolved with resolution `credit` (db/migrations/007_work_queue.ts: the money
 * stays unapplied on the payment; nothing else records a credit).
 */
import type { Db } from '../../db/connection';

export interface InvariantCheck {
  name: string;
  /** What must hold, in words (printed with a violation). */
  rule: string;
  /** One positional binding: the practice ids (uuid[]). */
  sql: string;
}

const STANDING = `
  select a.*, c.practice_id from payment_applications a
  join claims c on c.id = a.claim_id
  where not exists (select 1 from application_reversals r where r.application_id = a.id)`;

const PAYMENT_TOTALS = `
  select p.id as payment_id, p.external_id, p.practice_id, p.collection_id, p.amount_cents,
         coalesce((select sum(a.amount_cents) from payment_applications a
                   where a.payment_id = p.id and not exists (select 1 from application_reversals r where r.application_id = a.id)), 0)::int as applied_cents,
         coalesce((select sum(f.amount_cents) from refunds f where f.payment_id = p.id), 0)::int as refunded_cents
  from payments p where p.practice_id = any(?::uuid[])`;

export const INVARIANTS: InvariantCheck[] = [
  {
    name: '1a no automatic money on a payer-held claim',
    rule: 'a claim whose responsibility is `payer` has no standing automatic application (whichever path made it)',
    sql: `select s.claim_id, c.source_version, s.id as application_id, s.payment_id, s.amount_cents, s.business_key
          from (${STANDING}) s join claims c on c.id = s.claim_id
          where c.responsibility = 'payer' and s.kind = 'auto' and s.practice_id = any(?::uuid[])`,
  },
  {
    name: '1b manual money on a payer-held claim has its claim_reversed task',
    rule: 'a standing manual application on a payer-held claim stays (domain.md) but has a `claim_reversed` task for that claim and payment created after it',
    sql: `select s.claim_id, c.source_version, s.id as application_id, s.payment_id, s.amount_cents
          from (${STANDING}) s join claims c on c.id = s.claim_id
          where c.responsibility = 'payer' and s.kind = 'manual' and s.practice_id = any(?::uuid[])
            and not exists (select 1 from manual_tasks t where t.reason = 'claim_reversed' and t.claim_id = s.claim_id
                            and (t.payment_id = s.payment_id or t.payment_id is null) and t.created_at >= s.created_at)`,
  },
  {
    name: '2 claim not over-applied',
    rule: 'per claim: Σ standing applications ≤ patient_responsibility_cents; only a staff member\'s money may stand beyond a lowered '
      + 'responsibility (decisions.md: not undone), then with no automatic money left on the claim and a `claim_reversed` task after it',
    sql: `select c.id as claim_id, c.responsibility, c.patient_responsibility_cents, sum(s.amount_cents)::int as applied_cents,
                 (sum(s.amount_cents) filter (where s.kind = 'auto'))::int as auto_cents
          from claims c join (${STANDING}) s on s.claim_id = c.id
          where c.practice_id = any(?::uuid[])
          group by c.id having sum(s.amount_cents) > c.patient_responsibility_cents
            and (coalesce(sum(s.amount_cents) filter (where s.kind = 'auto'), 0) > 0
                 or not exists (select 1 from manual_tasks t where t.reason = 'claim_reversed' and t.claim_id = c.id
                                and t.created_at >= max(s.created_at) filter (where s.kind = 'manual')))`,
  },
  {
    name: '3 payment not over-placed',
    rule: 'per payment: Σ standing applications + Σ refunds ≤ amount',
    sql: `select * from (${PAYMENT_TOTALS}) t where t.applied_cents + t.refunded_cents > t.amount_cents`,
  },
  {
    name: '4 every unapplied cent is accounted for',
    rule: 'amount − standing applied − refunded > 0 only when the payment has an open manual task, or a task resolved as `credit`, '
      + 'or its collection is a copay in `awaiting_transfer` (its live run places the money by the date-of-service rule when the claim transfers)',
    sql: `select t.payment_id, t.external_id, t.amount_cents, t.applied_cents, t.refunded_cents,
                 t.amount_cents - t.applied_cents - t.refunded_cents as unapplied_cents, col.path, col.status as collection_status,
                 (select string_agg(m.reason || ':' || m.status || coalesce(':' || m.resolution, ''), ',') from manual_tasks m where m.payment_id = t.payment_id) as tasks
          from (${PAYMENT_TOTALS}) t left join collections col on col.id = t.collection_id
          where t.amount_cents - t.applied_cents - t.refunded_cents > 0
            and not exists (select 1 from manual_tasks m where m.payment_id = t.payment_id and m.status = 'open')
            and not exists (select 1 from manual_tasks m where m.payment_id = t.payment_id and m.status = 'resolved' and m.resolution = 'credit')
            and not (col.path = 'copay' and col.status = 'awaiting_transfer')`,
  },
  {
    name: '5 one payment per external payment id',
    rule: 'no two payments of a practice share an external (EHR/processor) payment id',
    sql: `select practice_id, external_id, count(*)::int as payments from payments
          where practice_id = any(?::uuid[]) group by practice_id, external_id having count(*) > 1`,
  },
  {
    name: '5b the unique constraint on (practice_id, external_id) exists',
    rule: 'PostgreSQL enforces one payment per external id',
    sql: `select 'missing' as constraint_state where cardinality(?::uuid[]) >= 0 and not exists (
            select 1 from pg_index i join pg_class t on t.oid = i.indrelid
            where t.relname = 'payments' and i.indisunique
              and (select array_agg(a.attname::text order by a.attname) from pg_attribute a where a.attrelid = t.oid and a.attnum = any(i.indkey)) = array['external_id', 'practice_id'])`,
  },
];

export interface Violation { name: string; rule: string; rows: unknown[] }

/** Runs every check for these practices; returns the ones that do not hold, with their offending rows. */
export async function checkInvariants(db: Db, practiceIds: string[]): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const check of INVARIANTS) {
    const bindings = Array.from({ length: (check.sql.match(/\?::uuid\[\]/g) ?? []).length }, () => practiceIds);
    const rows = (await db.raw(check.sql, bindings)).rows as unknown[];
    if (rows.length > 0) out.push({ name: check.name, rule: check.rule, rows });
  }
  return out;
}

/** 6: each claim's stored version (and responsibility) is the highest version sent (stale and out-of-order ones ignored). */
export async function checkClaimVersions(db: Db, expected: { claimId: string; version: number; responsibility: 'payer' | 'patient' }[]): Promise<Violation[]> {
  if (expected.length === 0) return [];
  const rows = (await db.raw(
    `select c.id as claim_id, c.source_version::int as stored_version, c.responsibility as stored_responsibility, x.version as sent_version, x.responsibility as sent_responsibility
     from claims c join unnest(?::uuid[], ?::int[], ?::text[]) as x(id, version, responsibility) on x.id = c.id
     where c.source_version <> x.version or c.responsibility <> x.responsibility`,
    [expected.map((e) => e.claimId), expected.map((e) => e.version), expected.map((e) => e.responsibility)],
  )).rows as unknown[];
  return rows.length > 0 ? [{ name: '6 claim version is the highest sent', rule: 'claims.source_version = the highest version sent; a stale one changes nothing', rows }] : [];
}

/** Standing applied cents per claim (for the model comparison). */
export async function appliedPerClaim(db: Db, claimIds: string[]): Promise<Map<string, number>> {
  const rows = (await db.raw(
    `select a.claim_id, sum(a.amount_cents)::int as cents from payment_applications a
     where a.claim_id = any(?::uuid[]) and not exists (select 1 from application_reversals r where r.application_id = a.id)
     group by a.claim_id`, [claimIds],
  )).rows as { claim_id: string; cents: number }[];
  return new Map(claimIds.map((id) => [id, rows.find((r) => r.claim_id === id)?.cents ?? 0]));
}
