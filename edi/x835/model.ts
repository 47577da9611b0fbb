/**
 * Our typed model of an X12 835 (Health Care Claim Payment/Advice, 5010 005010X221A1): only what payflow reads.
 * The parser (parse.ts) fills it, the writer (write.ts) prints it, and nothing else in payflow needs to know X12.
 * Money is integer cents; dates are ISO "YYYY-MM-DD"; quantities stay text (never a float).
 *
 * PHI: patient names and member ids are modelled because staff match claims with them, but they are never put in an
 * error message or a log line (edi/x12/errors.ts).
 */
import type { Cents } from '../../domain/money';

export interface Remittance835 {
  interchange: InterchangeHeader;
  groups: PaymentGroup[];
}

/** ISA: who sent the file to whom, when; the writer pads the ids to their fixed width, the parser trims them. */
export interface InterchangeHeader {
  sender: { qualifier: string; id: string }; // ISA05, ISA06
  receiver: { qualifier: string; id: string }; // ISA07, ISA08
  date: string; // ISA09 (YYMMDD, read as 20YY)
  time: string; // ISA10, HHMM
  controlNumber: string; // ISA13, 9 digits
  usage: 'P' | 'T'; // ISA15: production or test
}

/** GS (functional identifier HP: health care claim payment/advice). */
export interface PaymentGroup {
  senderCode: string; // GS02
  receiverCode: string; // GS03
  date: string; // GS04
  time: string; // GS05, HHMM
  controlNumber: string; // GS06
  transactions: Transaction835[];
}

/** One ST … SE: one payment (check or EFT) from one payer to one payee. */
export interface Transaction835 {
  controlNumber: string; // ST02
  payment: Payment;
  trace: { number: string; payerId: string }; // TRN02 (the check or EFT trace number), TRN03
  payer: Party; // N1*PR
  payee: Party; // N1*PE
  claims: Claim835[];
  providerAdjustments: ProviderAdjustment[]; // PLB
}

export type HandlingCode = 'C' | 'D' | 'H' | 'I' | 'P' | 'U' | 'X';
export const HANDLING_CODES: readonly HandlingCode[] = ['C', 'D', 'H', 'I', 'P', 'U', 'X'];
export type PaymentMethod = 'ACH' | 'BOP' | 'CHK' | 'FWT' | 'NON';
export const PAYMENT_METHODS: readonly PaymentMethod[] = ['ACH', 'BOP', 'CHK', 'FWT', 'NON'];

/** BPR. The bank account elements (BPR05-BPR15) are not kept: payflow has no use for the payer's bank details. */
export interface Payment {
  handlingCode: HandlingCode; // BPR01: C payment with remittance, H notification only, I remittance only, …
  totalCents: Cents; // BPR02, never negative
  creditDebit: 'C' | 'D'; // BPR03
  method: PaymentMethod; // BPR04
  date: string; // BPR16: the payment's effective date
}

/** N1: name, and the identifier (N103 qualifier: XV plan id, XX NPI, FI tax id, PI payer id, …). */
export interface Party {
  name: string;
  id?: { qualifier: string; value: string };
}

/**
 * CLP02. 1 processed as primary, 2 as secondary, 3 as tertiary, 4 denied, 19/20/21 processed as primary/secondary/
 * tertiary and forwarded to another payer, 22 reversal of a previous payment, 23 not our claim, forwarded.
 */
export type ClaimStatus = '1' | '2' | '3' | '4' | '19' | '20' | '21' | '22' | '23';
export const CLAIM_STATUSES: readonly ClaimStatus[] = ['1', '2', '3', '4', '19', '20', '21', '22', '23'];
export const REVERSAL: ClaimStatus = '22';
export const DENIED: ClaimStatus = '4';

export interface Claim835 {
  patientControlNumber: string; // CLP01: our claim's id as we billed it
  status: ClaimStatus; // CLP02
  chargeCents: Cents; // CLP03
  paidCents: Cents; // CLP04
  patientResponsibilityCents: Cents; // CLP05 (0 when absent)
  filingIndicator: string; // CLP06: 12 PPO, HM HMO, MB Medicare Part B, MC Medicaid, …
  payerClaimControlNumber: string; // CLP07
  adjustments: Adjustment[]; // claim-level CAS, one entry per reason
  patient: Patient; // NM1*QC
  serviceLines: ServiceLine[]; // SVC loops
}

/** NM1*QC. PHI: never in a message. */
export interface Patient {
  lastName: string; // NM103
  firstName?: string; // NM104
  memberId?: string; // NM109 with NM108 = MI
}

/** CAS group codes: contractual obligation, patient responsibility, other, payer initiated, correction (4010). */
export type AdjustmentGroup = 'CO' | 'PR' | 'OA' | 'PI' | 'CR';
export const ADJUSTMENT_GROUPS: readonly AdjustmentGroup[] = ['CO', 'PR', 'OA', 'PI', 'CR'];

/**
 * One reason of a CAS segment (a CAS carries up to 6 reason/amount/quantity triplets of one group: kept flat here,
 * in file order, so how a sender split them into segments does not change the model).
 */
export interface Adjustment {
  group: AdjustmentGroup;
  reasonCode: string; // a CARC: "1" deductible, "2" coinsurance, "45" contractual, …
  amountCents: Cents;
  quantity?: string;
}

export interface ServiceLine {
  procedure: { qualifier: string; code: string; modifiers: string[] }; // SVC01: HC:99213:25
  chargeCents: Cents; // SVC02
  paidCents: Cents; // SVC03
  units?: string; // SVC05 (absent: 1)
  serviceDate?: string; // DTM*472
  adjustments: Adjustment[]; // line-level CAS
}

/** PLB: adjustments to the whole payment, not to a claim (interest, recoupments, withholds, balance forwards). */
export interface ProviderAdjustment {
  providerId: string; // PLB01
  fiscalPeriodDate: string; // PLB02
  items: { reasonCode: string; reference?: string; amountCents: Cents }[]; // PLB03-PLB14, 1 to 6 pairs
}
