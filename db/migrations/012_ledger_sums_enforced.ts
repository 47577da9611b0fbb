/**
 * The ledger's sums, enforced by PostgreSQL itself (issue 12), beside the checks the ledger code makes under the same
 * locks (db/queries/ledger.ts): whatever writes a row, by whatever path,
 * - a new application stands only on a claim the patient holds, and keeps the claim's standing applications within its
 *   patient responsibility (`claim_over_applied`, `claim_held_by_payer`);
 * - a new application or refund keeps the payment's standing applications plus refunds within its amount
 *   (`payment_over_placed`).
 * Each trigger locks the payment, then the claim (the order applyToClaim takes them), so concurrent writers queue.
 * A reversal only lowers the sums and a claim's newer version may lower its responsibility below what stands on it
 * until its reversal is written: those are not refused (the reversal owner, db/queries/claim-reversals.ts, acts).
 */
import type { Knex } from 'knex';

const STANDING = 'not exists (select 1 from application_reversals r where r.application_id = a.id)';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function ledger_payment_within_amount(payment uuid, adding integer) returns void language plpgsql as $$
    declare
      amount integer;
      placed bigint;
    begin
      select p.amount_cents into amount from payments p where p.id = payment for update;
      select coalesce((select sum(a.amount_cents) from payment_applications a where a.payment_id = payment and ${STANDING}), 0)
           + coalesce((select sum(f.amount_cents) from refunds f where f.payment_id = payment), 0)
        into placed;
      if placed + adding > amount then
        raise exception 'payment % would have % cents placed of %', payment, placed + adding, amount
          using errcode = '23514', constraint = 'payment_over_placed';
      end if;
    end $$;

    create function ledger_application_fits() returns trigger language plpgsql as $$
    declare
      claim record;
      standing bigint;
    begin
      perform ledger_payment_within_amount(new.payment_id, new.amount_cents);
      select c.responsibility, c.patient_responsibility_cents into claim from claims c where c.id = new.claim_id for update;
      if claim.responsibility <> 'patient' then
        raise exception 'claim % is held by a payer', new.claim_id using errcode = '23514', constraint = 'claim_held_by_payer';
      end if;
      select coalesce(sum(a.amount_cents), 0) into standing from payment_applications a where a.claim_id = new.claim_id and ${STANDING};
      if standing + new.amount_cents > claim.patient_responsibility_cents then
        raise exception 'claim % would have % cents applied of %', new.claim_id, standing + new.amount_cents, claim.patient_responsibility_cents
          using errcode = '23514', constraint = 'claim_over_applied';
      end if;
      return new;
    end $$;

    create function ledger_refund_fits() returns trigger language plpgsql as $$
    begin
      perform ledger_payment_within_amount(new.payment_id, new.amount_cents);
      return new;
    end $$;

    create trigger payment_applications_fit before insert on payment_applications for each row execute function ledger_application_fits();
    create trigger refunds_fit before insert on refunds for each row execute function ledger_refund_fits();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger refunds_fit on refunds;
    drop trigger payment_applications_fit on payment_applications;
    drop function ledger_refund_fits();
    drop function ledger_application_fits();
    drop function ledger_payment_within_amount(uuid, integer);
  `);
}
