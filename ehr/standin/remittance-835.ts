/**
 * The stand-in clearinghouse's remittances as real X12 835 files (issue 16). Input: the claim as the payer left it,
 * the same ClaimRecord its JSON `claim.upserted` carries, so both formats say the same thing:
 * - responsibility `patient` (adjudicated, paid_in_full, a partial payment): CLP02 = 1, each line's patient share as
 *   group PR adjustments (copay 3, deductible 1, coinsurance 2) summing to the claim's patient responsibility, the rest
 *   of the charge not paid as CO 45 (contractual);
 * - payerStatus `reprocessing`: CLP02 = 22, that adjudication with every amount negated (the payer takes it back);
 * - payerStatus `denied`: CLP02 = 4, paid 0, the whole charge CO 50;
 * - anything else (a claim still `submitted`) has no 835: a payer remits only what it adjudicated (Not835).
 * The file: one transaction per payer, BPR02 = Σ CLP04 (a debit when negative; no PLB), a trace per transaction.
 * Pure: ids, dates and names come in; the writer is edi/x835/write.ts.
 */
import { createHash } from 'node:crypto';
import type { ClaimRecord } from '../../db/queries/reference-data';
import type { Adjustment, Claim835, Remittance835, ServiceLine, Transaction835 } from '../../edi/x835/model';

/** The claim's patient responsibility by kind; absent: all of it is reported as copay. */
export interface PatientShare { copayCents?: number; deductibleCents?: number; coinsuranceCents?: number }

export interface RemittanceClaim {
  claim: ClaimRecord;
  share?: PatientShare;
  /** NM1*QC (PHI: only ever inside the file). Unknown to the stand-in → a placeholder name. */
  patient?: { firstName: string; lastName: string };
  dateOfService?: string;
}

export interface FileContext {
  /** TRN02 of the first transaction; later ones (other payers) get `-2`, `-3`, … */
  traceNumber: string;
  /** ISA13 / GS06, 1 to 999999999. */
  controlNumber: number;
  /** The file's date (YYYY-MM-DD, the practice's calendar) and time (HHMM). */
  date: string;
  time: string;
  payee: { name: string; npi: string };
}

/** A claim the 835 cannot express; the endpoint answers 400 with it. */
export class Not835 extends Error {}

const NPI_PLACEHOLDER = '1234567893';
export const STANDIN_PAYEE_NPI = NPI_PLACEHOLDER;
const DEFAULT_PAYER = 'STAND-IN HEALTH PLAN';
/** X12 text must not hold a delimiter (write.ts refuses it): names are cleaned, not refused. */
const clean = (s: string) => s.replace(/[*^:~\r\n]/g, ' ').trim() || 'UNKNOWN';

/** A stable 10-digit payer id (TRN03) per payer name: the same payer always remits under the same id. */
export function payerIdOf(name: string): string {
  return `1${(parseInt(createHash('sha256').update(name).digest('hex').slice(0, 12), 16) % 1e9).toString().padStart(9, '0')}`;
}

/** How the share splits into CARCs, in the order they are written. */
function shareQueue(total: number, share: PatientShare | undefined): { code: string; left: number }[] {
  const s = share ?? { copayCents: total };
  const parts = [{ code: '3', left: s.copayCents ?? 0 }, { code: '1', left: s.deductibleCents ?? 0 }, { code: '2', left: s.coinsuranceCents ?? 0 }];
  if (parts.some((p) => !Number.isSafeInteger(p.left) || p.left < 0)) throw new Not835('patientShare amounts must be whole cents, not negative');
  const sum = parts.reduce((n, p) => n + p.left, 0);
  if (sum !== total) throw new Not835(`patientShare adds up to ${sum} cents; the claim's patient responsibility is ${total}`);
  return parts.filter((p) => p.left > 0);
}

/** The adjudication as CLP02 = 1: lines' PR filled from the share in order, CO 45 for what is neither paid nor owed. */
function processed(input: RemittanceClaim, payerClaimControlNumber: string): Claim835 {
  const { claim } = input;
  const linePr = claim.lines.reduce((n, l) => n + l.patientResponsibilityCents, 0);
  if (linePr !== claim.patientResponsibilityCents) {
    throw new Not835(`the lines' patient responsibility adds up to ${linePr} cents; the claim's is ${claim.patientResponsibilityCents}`);
  }
  const queue = shareQueue(claim.patientResponsibilityCents, input.share);
  const serviceLines: ServiceLine[] = claim.lines.map((line) => {
    const contractual = line.chargeCents - line.insurerPaidCents - line.patientResponsibilityCents;
    if (contractual < 0) throw new Not835(`line ${line.lineNumber}: paid plus patient responsibility exceed the charge`);
    const adjustments: Adjustment[] = [];
    let owed = line.patientResponsibilityCents;
    for (const part of queue) {
      const take = Math.min(owed, part.left);
      if (take === 0) continue;
      adjustments.push({ group: 'PR', reasonCode: part.code, amountCents: take });
      part.left -= take;
      owed -= take;
    }
    if (contractual > 0) adjustments.push({ group: 'CO', reasonCode: '45', amountCents: contractual });
    return {
      procedure: { qualifier: 'HC', code: clean(line.procedureCode), modifiers: [] }, chargeCents: line.chargeCents, paidCents: line.insurerPaidCents,
      ...(input.dateOfService ? { serviceDate: input.dateOfService } : {}), adjustments,
    };
  });
  return {
    patientControlNumber: claim.externalId, status: '1',
    chargeCents: claim.lines.reduce((n, l) => n + l.chargeCents, 0), paidCents: claim.lines.reduce((n, l) => n + l.insurerPaidCents, 0),
    patientResponsibilityCents: claim.patientResponsibilityCents, filingIndicator: '12', payerClaimControlNumber, adjustments: [],
    patient: { lastName: clean(input.patient?.lastName ?? 'PATIENT'), ...(input.patient ? { firstName: clean(input.patient.firstName) } : {}) },
    serviceLines,
  };
}

const negate = (a: Adjustment): Adjustment => ({ ...a, amountCents: -a.amountCents });

/** One CLP for the claim as the payer left it (see the file comment), or Not835. */
export function claimTo835(input: RemittanceClaim, payerClaimControlNumber: string): Claim835 {
  const { claim } = input;
  if (claim.payerStatus === 'reprocessing') {
    const p = processed(input, payerClaimControlNumber);
    return {
      ...p, status: '22', chargeCents: -p.chargeCents, paidCents: -p.paidCents, patientResponsibilityCents: -p.patientResponsibilityCents,
      adjustments: p.adjustments.map(negate),
      serviceLines: p.serviceLines.map((l) => ({ ...l, chargeCents: -l.chargeCents, paidCents: -l.paidCents, adjustments: l.adjustments.map(negate) })),
    };
  }
  if (claim.payerStatus === 'denied') {
    const p = processed({ ...input, share: undefined, claim: { ...claim, patientResponsibilityCents: 0, lines: claim.lines.map((l) => ({ ...l, insurerPaidCents: 0, patientResponsibilityCents: 0 })) } }, payerClaimControlNumber);
    return { ...p, status: '4', serviceLines: p.serviceLines.map((l) => ({ ...l, adjustments: l.adjustments.map((a) => ({ ...a, reasonCode: '50' })) })) };
  }
  if (claim.responsibility === 'patient') return processed(input, payerClaimControlNumber);
  throw new Not835(`a claim the payer has not adjudicated (payerStatus ${claim.payerStatus}) has no 835; send it with format json`);
}

/** One balanced 835 for these claims: one transaction (ST … SE) per payer, in the order the payers first appear. */
export function remittanceFile(claims: RemittanceClaim[], ctx: FileContext): Remittance835 {
  if (claims.length === 0) throw new Not835('a remittance needs at least one claim');
  const byPayer = new Map<string, Claim835[]>();
  claims.forEach((c, i) => {
    const payer = clean(c.claim.payerName ?? DEFAULT_PAYER);
    const list = byPayer.get(payer) ?? [];
    list.push(claimTo835(c, `${ctx.traceNumber}-${i + 1}`.slice(0, 50)));
    byPayer.set(payer, list);
  });
  const transactions: Transaction835[] = [...byPayer].map(([payer, list], i) => {
    const total = list.reduce((n, c) => n + c.paidCents, 0);
    return {
      controlNumber: String(i + 1).padStart(4, '0'),
      // BPR02 = Σ CLP04 (no PLB): a reversal-only file is a debit; nothing paid is a notification only.
      payment: { handlingCode: total > 0 ? 'C' : total < 0 ? 'I' : 'H', totalCents: Math.abs(total), creditDebit: total < 0 ? 'D' : 'C', method: total > 0 ? 'ACH' : 'NON', date: ctx.date },
      trace: { number: i === 0 ? ctx.traceNumber : `${ctx.traceNumber}-${i + 1}`, payerId: payerIdOf(payer) },
      payer: { name: payer, id: { qualifier: 'XV', value: payerIdOf(payer) } },
      payee: { name: clean(ctx.payee.name), id: { qualifier: 'XX', value: ctx.payee.npi } },
      claims: list,
      providerAdjustments: [],
    };
  });
  const control = String(ctx.controlNumber);
  return {
    interchange: { sender: { qualifier: 'ZZ', id: 'PFSTANDINCH' }, receiver: { qualifier: 'ZZ', id: 'PAYFLOW' }, date: ctx.date, time: ctx.time, controlNumber: control.padStart(9, '0'), usage: 'T' },
    groups: [{ senderCode: 'PFSTANDINCH', receiverCode: 'PAYFLOW', date: ctx.date, time: ctx.time, controlNumber: control, transactions }],
  };
}
