/**
 * Card on file (migration 022, docs/card-on-file-and-plans.md): saved cards, authorisations, objections and the charges made
 * under them. A charge is written `pending` before the processor is called and completed after, each in its own
 * transaction; its business key is the processor's idempotency key, so a retried activity calls the processor again
 * with the same key and records the one answer. The cap per visit is a trigger (no two charges pass it together).
 * Every change is audited with ids and amounts only (no card details beyond brand and last 4, no PHI).
 */
import type { Db } from '../connection';
import { inTransaction } from '../connection';
import { LedgerRuleError, RowNotFound } from '../errors';
import type { AuthorisationScope, DeclineCode } from '../../domain/card-on-file';
import type { NotificationChannel } from '../../domain/notices';
import type { Cents } from '../../domain/money';
import type { CardProcessor, SavedCard } from '../../processor/card-processor';
import { writeAudit } from './audit';
import { applyToClaim, CLAIM_APPLIED, openManualTask, PAYMENT_APPLIED, PAYMENT_REFUNDED, paymentState, recordPayment } from './ledger';

/** A saved card as stored: the processor's tokens and display details (processor/card-processor.ts), and which processor. */
export type CardDetails = SavedCard & { processor: CardProcessor['name'] };

export interface AuthorisationRow {
  id: string;
  practice_id: string;
  patient_id: string;
  saved_card_id: string;
  cap_cents: number;
  scope: AuthorisationScope;
  visit_id: string | null;
  valid_until: Date;
  notice_channel: NotificationChannel;
  created_via: 'front_desk' | 'portal';
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  processor: CardDetails['processor'];
  customer_ref: string;
  payment_method_ref: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
}

const AUTHORISATION_COLUMNS = `a.*, s.processor, s.customer_ref, s.payment_method_ref, s.brand, s.last4, s.exp_month, s.exp_year`;

export interface NewAuthorisation {
  practiceId: string;
  patientId: string;
  card: CardDetails;
  capCents: Cents;
  scope: AuthorisationScope;
  visitId: string | null;
  validUntil: Date;
  noticeChannel: NotificationChannel;
  createdVia: 'front_desk' | 'portal';
  actor: string;
  /** `card-setup:<setup ref>`: the same completed setup authorises once. */
  businessKey: string;
}

/** Saves the card (once per payment method) and the authorisation (once per business key); returns it. */
export async function saveAuthorisation(db: Db, a: NewAuthorisation): Promise<{ authorisation: AuthorisationRow; created: boolean }> {
  return inTransaction(db, async (trx) => {
    const existing = await trx('card_authorisations').where({ business_key: a.businessKey }).first<{ id: string } | undefined>('id');
    if (existing) return { authorisation: (await authorisationById(trx, existing.id))!, created: false };
    await trx('saved_cards')
      .insert({
        practice_id: a.practiceId, patient_id: a.patientId, processor: a.card.processor, customer_ref: a.card.customerRef,
        payment_method_ref: a.card.paymentMethodRef, brand: a.card.brand, last4: a.card.last4, exp_month: a.card.expMonth, exp_year: a.card.expYear,
      })
      .onConflict(['practice_id', 'processor', 'payment_method_ref']).ignore();
    const card = await trx('saved_cards')
      .where({ practice_id: a.practiceId, processor: a.card.processor, payment_method_ref: a.card.paymentMethodRef })
      .first<{ id: string; patient_id: string }>('id', 'patient_id');
    if (card.patient_id !== a.patientId) throw new LedgerRuleError('This card is saved for another patient.');
    const [row] = await trx('card_authorisations')
      .insert({
        practice_id: a.practiceId, patient_id: a.patientId, saved_card_id: card.id, cap_cents: a.capCents, scope: a.scope,
        visit_id: a.visitId, valid_until: a.validUntil, notice_channel: a.noticeChannel, created_via: a.createdVia,
        created_by: a.actor, business_key: a.businessKey,
      })
      .onConflict('business_key').ignore()
      .returning<{ id: string }[]>('id');
    if (!row) {
      const raced = await trx('card_authorisations').where({ business_key: a.businessKey }).first<{ id: string }>('id');
      return { authorisation: (await authorisationById(trx, raced.id))!, created: false };
    }
    await writeAudit(trx, {
      practiceId: a.practiceId, actor: a.actor, action: 'card_authorisation.created', entityType: 'card_authorisation', entityId: row.id,
      before: null,
      after: { authorisationId: row.id, savedCardId: card.id, capCents: a.capCents, scope: a.scope, visitId: a.visitId, noticeChannel: a.noticeChannel, createdVia: a.createdVia, validUntil: a.validUntil.toISOString() },
    });
    return { authorisation: (await authorisationById(trx, row.id))!, created: true };
  });
}

export async function authorisationById(db: Db, id: string): Promise<AuthorisationRow | undefined> {
  const { rows } = await db.raw<{ rows: AuthorisationRow[] }>(
    `select ${AUTHORISATION_COLUMNS} from card_authorisations a join saved_cards s on s.id = a.saved_card_id where a.id = ?`, [id],
  );
  return rows[0];
}

/** A patient's authorisations, newest first, with what was charged under each. */
export async function authorisationsOfPatient(db: Db, practiceId: string, patientId: string): Promise<(AuthorisationRow & { charged_cents: number })[]> {
  const { rows } = await db.raw<{ rows: (AuthorisationRow & { charged_cents: number })[] }>(
    `select ${AUTHORISATION_COLUMNS},
            (select coalesce(sum(ch.amount_cents), 0)::int from card_charges ch where ch.authorisation_id = a.id and ch.state = 'succeeded') as charged_cents
       from card_authorisations a join saved_cards s on s.id = a.saved_card_id
      where a.practice_id = ? and a.patient_id = ?
      order by a.created_at desc, a.id desc`,
    [practiceId, patientId],
  );
  return rows;
}

/** Revokes once: `revoked: false` when it already was (nothing written). */
export async function revokeAuthorisation(db: Db, input: { authorisationId: string; practiceId: string; actor: string }): Promise<{ revoked: boolean }> {
  return inTransaction(db, async (trx) => {
    const n = await trx('card_authorisations')
      .where({ id: input.authorisationId, practice_id: input.practiceId }).whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now(), revoked_by: input.actor });
    if (n === 0) return { revoked: false };
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'card_authorisation.revoked', entityType: 'card_authorisation', entityId: input.authorisationId,
      before: { revoked: false }, after: { revoked: true },
    });
    return { revoked: true };
  });
}

/** The patient (or staff) asked that this claim not be charged to the card: a statement instead. Once. */
export async function recordObjection(db: Db, input: { authorisationId: string; claimId: string; practiceId: string; source: 'notice_link' | 'portal' | 'staff'; actor: string }): Promise<{ created: boolean }> {
  return inTransaction(db, async (trx) => {
    const [row] = await trx('card_charge_objections')
      .insert({ authorisation_id: input.authorisationId, claim_id: input.claimId, source: input.source, created_by: input.actor })
      .onConflict(['authorisation_id', 'claim_id']).ignore().returning<{ id: string }[]>('id');
    if (!row) return { created: false };
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: input.actor, action: 'card_charge.objected', entityType: 'card_authorisation', entityId: input.authorisationId,
      before: null, after: { claimId: input.claimId, source: input.source },
    });
    return { created: true };
  });
}

/** The authorisations that may pay a claim now moving to the patient: the patient's, for its visit or yearly, live. */
export async function usableAuthorisationsForClaim(db: Db, claimId: string): Promise<{ id: string; practice_id: string; patient_id: string }[]> {
  const { rows } = await db.raw<{ rows: { id: string; practice_id: string; patient_id: string }[] }>(
    `select a.id, a.practice_id, a.patient_id
       from claims c join card_authorisations a on a.patient_id = c.patient_id and a.practice_id = c.practice_id
      where c.id = ? and a.revoked_at is null and a.valid_until > now() and (a.scope = 'year' or a.visit_id = c.visit_id)
      order by a.created_at`,
    [claimId],
  );
  return rows;
}

export interface ChargeContext {
  authorisation: AuthorisationRow;
  claim: { id: string; visitId: string; responsibility: 'payer' | 'patient'; version: number; openCents: Cents };
  heldForVisitCents: Cents;
  chargedOnVisitCents: Cents;
  objected: boolean;
  /** A charge of this claim version already ended (succeeded or declined): an earlier run did this round. */
  versionTried: boolean;
  practice: { name: string; timeZone: string; noticeWaitMs: number; retryScheduleMs: number[] };
}

/**
 * Everything a charge decision reads, in one transaction. With `lock`, the authorisation and the claim are locked (the
 * caller's transaction): nothing changes them until it commits.
 */
export async function chargeContext(db: Db, input: { authorisationId: string; claimId: string; lock?: boolean }): Promise<ChargeContext> {
  const forUpdate = input.lock ? ' for update of a' : '';
  const auth = (await db.raw<{ rows: AuthorisationRow[] }>(
    `select ${AUTHORISATION_COLUMNS} from card_authorisations a join saved_cards s on s.id = a.saved_card_id where a.id = ?${forUpdate}`, [input.authorisationId],
  )).rows[0];
  if (!auth) throw new RowNotFound('card authorisation');
  const { rows } = await db.raw<{ rows: {
    id: string; visit_id: string; responsibility: 'payer' | 'patient'; source_version: number; open: number; held: number; charged: number; objected: boolean; version_tried: boolean;
    practice_name: string; time_zone: string; notice_ms: number; retry_ms: number[];
  }[] }>(
    `select c.id, c.visit_id, c.responsibility, c.source_version,
            greatest(0, c.patient_responsibility_cents - ${CLAIM_APPLIED})::int as open,
            (select coalesce(sum(greatest(0, p.amount_cents - ${PAYMENT_APPLIED} - ${PAYMENT_REFUNDED})), 0)::int
               from payments p where p.visit_id = c.visit_id and p.patient_id = c.patient_id) as held,
            (select coalesce(sum(ch.amount_cents), 0)::int from card_charges ch
              where ch.authorisation_id = :auth and ch.visit_id = c.visit_id and ch.state in ('pending', 'succeeded')) as charged,
            exists (select 1 from card_charge_objections o where o.authorisation_id = :auth and o.claim_id = c.id) as objected,
            exists (select 1 from card_charges ch where ch.authorisation_id = :auth and ch.claim_id = c.id and ch.state <> 'pending'
                       and ch.business_key like 'card-charge:' || :auth || ':' || c.id || ':v' || c.source_version || ':a%') as version_tried,
            pr.name as practice_name, pr.time_zone,
            (extract(epoch from pr.card_notice_wait) * 1000)::bigint::float8 as notice_ms,
            array(select (extract(epoch from x) * 1000)::bigint::float8 from unnest(pr.card_retry_schedule) x) as retry_ms
       from claims c join practices pr on pr.id = c.practice_id
      where c.id = :claim${input.lock ? ' for update of c' : ''}`,
    { auth: input.authorisationId, claim: input.claimId },
  );
  const c = rows[0];
  if (!c) throw new RowNotFound('claim');
  return {
    authorisation: auth,
    claim: { id: c.id, visitId: c.visit_id, responsibility: c.responsibility, version: c.source_version, openCents: c.open },
    heldForVisitCents: c.held, chargedOnVisitCents: c.charged, objected: c.objected, versionTried: c.version_tried,
    practice: { name: c.practice_name, timeZone: c.time_zone, noticeWaitMs: Number(c.notice_ms), retryScheduleMs: c.retry_ms.map(Number) },
  };
}

export interface ChargeRow {
  id: string;
  authorisation_id: string;
  claim_id: string;
  visit_id: string;
  business_key: string;
  amount_cents: number;
  state: 'pending' | 'succeeded' | 'declined';
  decline_code: DeclineCode | null;
  charge_ref: string | null;
  payment_id: string | null;
}

export async function chargeByKey(db: Db, businessKey: string): Promise<ChargeRow | undefined> {
  return db('card_charges').where({ business_key: businessKey }).first<ChargeRow | undefined>();
}

/** Writes the pending charge (the cap trigger may refuse it: LedgerRuleError). */
export async function reserveCharge(trx: Db, c: { authorisationId: string; claimId: string; visitId: string; businessKey: string; amountCents: Cents; practiceId: string }): Promise<ChargeRow> {
  try {
    const [row] = await trx('card_charges')
      .insert({ authorisation_id: c.authorisationId, claim_id: c.claimId, visit_id: c.visitId, business_key: c.businessKey, amount_cents: c.amountCents })
      .returning<ChargeRow[]>('*');
    await writeAudit(trx, {
      practiceId: c.practiceId, actor: 'system:workflow', action: 'card_charge.pending', entityType: 'card_charge', entityId: row!.id,
      before: null, after: { chargeId: row!.id, authorisationId: c.authorisationId, claimId: c.claimId, amountCents: c.amountCents },
    });
    return row!;
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'card_charges_within_cap') throw new LedgerRuleError('The charge would exceed the authorisation cap for the visit.');
    throw err;
  }
}

/** The processor declined: the reservation no longer counts toward the cap. */
export async function markChargeDeclined(db: Db, input: { chargeId: string; code: DeclineCode; practiceId: string }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const n = await trx('card_charges').where({ id: input.chargeId, state: 'pending' }).update({ state: 'declined', decline_code: input.code, updated_at: trx.fn.now() });
    if (n === 0) return;
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: 'system:workflow', action: 'card_charge.declined', entityType: 'card_charge', entityId: input.chargeId,
      before: { state: 'pending' }, after: { state: 'declined', code: input.code },
    });
  });
}

/**
 * The processor charged the card: the payment is recorded (its external id the processor's charge id) and applied to
 * the claim in the same transaction, so no cent is ever unapplied without an owner; should the claim have gone back to
 * the payer (or been paid) meanwhile, what cannot be applied becomes a credit task for staff.
 */
export async function completeCharge(db: Db, input: {
  charge: ChargeRow; chargeRef: string; practiceId: string; patientId: string; paidAt: Date; paymentDate: string;
}): Promise<{ paymentId: string; appliedCents: Cents; taskId?: string }> {
  return inTransaction(db, async (trx) => {
    const current = await trx('card_charges').where({ id: input.charge.id }).forUpdate().first<ChargeRow>();
    if (current.state === 'succeeded') {
      return { paymentId: current.payment_id!, appliedCents: (await paymentState(trx, current.payment_id!)).appliedCents };
    }
    const { paymentId } = await recordPayment(trx, {
      practiceId: input.practiceId, patientId: input.patientId, collectionId: null, visitId: current.visit_id, externalId: input.chargeRef,
      amountCents: current.amount_cents, method: 'card', reason: 'outstanding_balance', paidAt: input.paidAt.toISOString(), paymentDate: input.paymentDate,
      actor: 'system:workflow',
    });
    await trx('card_charges').where({ id: current.id }).update({ state: 'succeeded', charge_ref: input.chargeRef, payment_id: paymentId, updated_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: input.practiceId, actor: 'system:workflow', action: 'card_charge.succeeded', entityType: 'card_charge', entityId: current.id,
      before: { state: 'pending' }, after: { state: 'succeeded', paymentId, amountCents: current.amount_cents },
    });
    const claim = (await trx.raw<{ rows: { responsibility: string; open: number }[] }>(
      `select c.responsibility, greatest(0, c.patient_responsibility_cents - ${CLAIM_APPLIED})::int as open from claims c where c.id = ? for update`, [current.claim_id],
    )).rows[0]!;
    const apply = claim.responsibility === 'patient' ? Math.min(claim.open, current.amount_cents) : 0;
    if (apply > 0) {
      await applyToClaim(trx, {
        paymentId, claimId: current.claim_id, amountCents: apply, kind: 'auto', businessKey: `payment:${paymentId}:claim:${current.claim_id}:card-on-file`, actor: 'system:workflow',
      });
    }
    if (apply === current.amount_cents) return { paymentId, appliedCents: apply };
    const { taskId } = await openManualTask(trx, {
      practiceId: input.practiceId, patientId: input.patientId, paymentId, visitId: current.visit_id, claimId: current.claim_id,
      reason: 'credit_remaining', amountCents: current.amount_cents - apply, businessKey: `card-charge:${current.id}:credit`, actor: 'system:workflow',
    });
    return { paymentId, appliedCents: apply, taskId };
  });
}

/** The card on file expired: staff ask the patient for another (once per authorisation and claim). */
export async function openCardExpiredTask(db: Db, input: { authorisationId: string; claimId: string; visitId: string; practiceId: string; patientId: string }): Promise<{ taskId: string }> {
  return openManualTask(db, {
    practiceId: input.practiceId, patientId: input.patientId, visitId: input.visitId, claimId: input.claimId, reason: 'card_expired', amountCents: 0,
    businessKey: `card-expired:${input.authorisationId}:${input.claimId}`, actor: 'system:workflow',
  });
}

/** Who a notice goes to (PHI: for the message only, never logged). */
export async function noticeRecipientOf(db: Db, patientId: string): Promise<{ firstName: string; lastName: string; email: string | null; phone: string | null; withdrawn: NotificationChannel[] }> {
  const p = await db('patients').where({ id: patientId }).first<{ first_name: string; last_name: string; email: string | null; phone: string | null } | undefined>('first_name', 'last_name', 'email', 'phone');
  if (!p) throw new RowNotFound('patient');
  const withdrawn = await db('channel_consents').where({ patient_id: patientId, allowed: false }).pluck<NotificationChannel[]>('channel');
  return { firstName: p.first_name, lastName: p.last_name, email: p.email, phone: p.phone, withdrawn };
}

/** The processor customer of the patient's last saved card: a new card is saved to the same customer. */
export async function processorCustomerOf(db: Db, patientId: string, processor: string): Promise<string | undefined> {
  const row = await db('saved_cards').where({ patient_id: patientId, processor }).orderBy('created_at', 'desc').first<{ customer_ref: string } | undefined>('customer_ref');
  return row?.customer_ref;
}

export async function isVisitOfPatient(db: Db, visitId: string, patientId: string): Promise<boolean> {
  return !!(await db('visits').where({ id: visitId, patient_id: patientId }).first<{ id: string } | undefined>('id'));
}

/**
 * Locks the authorisation (the charge activity reserves under the same lock) and answers whether a charge of this
 * claim is pending or made under it. Call inside the caller's transaction.
 */
export async function lockAndFindCharge(trx: Db, ref: { authorisationId: string; claimId: string }): Promise<boolean> {
  await trx('card_authorisations').where({ id: ref.authorisationId }).forUpdate().first('id');
  const charged = await trx('card_charges').where({ authorisation_id: ref.authorisationId, claim_id: ref.claimId }).whereIn('state', ['pending', 'succeeded']).first<{ id: string } | undefined>('id');
  return !!charged;
}

/** A setup started with the processor for a patient (once per setup reference). */
export async function recordCardSetup(db: Db, s: { setupRef: string; practiceId: string; patientId: string; processor: string }): Promise<void> {
  await db('card_setups').insert({ setup_ref: s.setupRef, practice_id: s.practiceId, patient_id: s.patientId, processor: s.processor }).onConflict('setup_ref').ignore();
}

/** Whether this setup was started for this patient of this practice. */
export async function isSetupOfPatient(db: Db, s: { setupRef: string; practiceId: string; patientId: string }): Promise<boolean> {
  return !!(await db('card_setups').where({ setup_ref: s.setupRef, practice_id: s.practiceId, patient_id: s.patientId }).first<{ setup_ref: string } | undefined>('setup_ref'));
}

/** A patient's practice and its time zone (the portal knows the patient only). */
export async function practiceOfPatient(db: Db, patientId: string): Promise<{ practiceId: string; timeZone: string }> {
  const row = await db('patients').join('practices', 'practices.id', 'patients.practice_id').where('patients.id', patientId)
    .first<{ practice_id: string; time_zone: string } | undefined>('patients.practice_id', 'practices.time_zone');
  if (!row) throw new RowNotFound('patient');
  return { practiceId: row.practice_id, timeZone: row.time_zone };
}

/** A patient's live yearly authorisations (not revoked), newest first: what a payment plan may charge. */
export async function yearlyCardsOf(db: Db, patientId: string): Promise<{ id: string; brand: string; last4: string; valid_until: Date }[]> {
  return db('card_authorisations as a').join('saved_cards as s', 's.id', 'a.saved_card_id')
    .where({ 'a.patient_id': patientId, 'a.scope': 'year' }).whereNull('a.revoked_at').orderBy('a.created_at', 'desc')
    .select('a.id', 's.brand', 's.last4', 'a.valid_until');
}
