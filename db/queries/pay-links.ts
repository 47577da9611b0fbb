/**
 * Pay links (migration 018): a statement's link in an email, minted once per message business key, valid until its
 * expiry and for a number of successful sign-ins, counted here atomically (one UPDATE: no two sign-ins take the last
 * use). Ids, counts and times only: no PHI.
 */
import type { Db } from '../connection';

export interface PayLinkRow { id: string; statement_id: string; business_key: string; max_uses: number; uses: number; expires_at: Date }

/** The link of this message (a retried send finds the first one: same id, same expiry). */
export async function mintPayLink(db: Db, input: { statementId: string; businessKey: string; maxUses: number; ttlMs: number }): Promise<PayLinkRow> {
  await db('pay_links')
    .insert({
      statement_id: input.statementId, business_key: input.businessKey, max_uses: input.maxUses,
      expires_at: db.raw('now() + make_interval(secs => ?)', [input.ttlMs / 1000]),
    })
    .onConflict('business_key')
    .ignore();
  return db('pay_links').where({ business_key: input.businessKey }).first<PayLinkRow>('id', 'statement_id', 'business_key', 'max_uses', 'uses', 'expires_at');
}

export type PayLinkState = { kind: 'usable'; statementId: string; usesLeft: number } | { kind: 'used_up' | 'expired' | 'unknown' };

/** Whether the link may still be used (read only). */
export async function payLinkState(db: Db, id: string): Promise<PayLinkState> {
  const row = await db('pay_links').where({ id })
    .first<{ statement_id: string; max_uses: number; uses: number; live: boolean } | undefined>('statement_id', 'max_uses', 'uses', db.raw('expires_at > now() as live'));
  if (!row) return { kind: 'unknown' };
  if (!row.live) return { kind: 'expired' };
  if (row.uses >= row.max_uses) return { kind: 'used_up' };
  return { kind: 'usable', statementId: row.statement_id, usesLeft: row.max_uses - row.uses };
}

/** Takes one use, atomically: false when the link is used up or expired (then nothing changes). */
export async function consumePayLink(db: Db, id: string): Promise<boolean> {
  const rows = await db('pay_links')
    .where({ id })
    .andWhereRaw('uses < max_uses and expires_at > now()')
    .update({ uses: db.raw('uses + 1'), last_used_at: db.fn.now() })
    .returning<{ id: string }[]>('id');
  return rows.length === 1;
}

/** The account id of the statement's patient (the pay link's sign-in is the portal's lookup with it). */
export async function accountIdOfStatement(db: Db, statementId: string): Promise<string | undefined> {
  const row = await db('statements as s').join('patients as p', 'p.id', 's.patient_id').where('s.id', statementId)
    .first<{ account_id: string } | undefined>('p.account_id');
  return row?.account_id;
}
