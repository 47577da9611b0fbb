/**
 * Tokens → our 835 model (model.ts), one transaction at a time, refusing what is out of place: every error names
 * the segment and its position, never its contents (PHI). Segments of the 835 we do not need (addresses, REF, MOA,
 * AMT, …) are skipped; a segment that is no 835 segment at all is refused. Syntax only: whether the money balances
 * is validate.ts. Pure.
 *
 * The parser also remembers which segment each model object came from (`segmentOf`), so the validation can name
 * the BPR or CLP it refuses without those positions living in the model.
 */
import { parseAmount, isQuantity } from '../x12/amounts';
import { readEnvelopes } from '../x12/envelope';
import { X12Error } from '../x12/errors';
import { components, element, elementName, tokenize, type Segment } from '../x12/tokenizer';
import {
  ADJUSTMENT_GROUPS, CLAIM_STATUSES, HANDLING_CODES, PAYMENT_METHODS,
  type Adjustment, type AdjustmentGroup, type Claim835, type ClaimStatus, type HandlingCode, type InterchangeHeader,
  type Party, type Patient, type PaymentGroup, type PaymentMethod, type ProviderAdjustment, type Remittance835,
  type ServiceLine, type Transaction835,
} from './model';
import type { Cents } from '../../domain/money';

export interface ParsedRemittance {
  remittance: Remittance835;
  /** The segment a payment, claim, service line or PLB of `remittance` was read from. */
  segmentOf: (node: object) => Segment | undefined;
}

/** Segments of the 835 that payflow does not read: skipped where they stand. */
const SKIPPED = new Set(['CUR', 'REF', 'DTM', 'N3', 'N4', 'PER', 'RDM', 'LX', 'TS3', 'TS2', 'MIA', 'MOA', 'AMT', 'QTY', 'LQ', 'NM1']);
/** NM108 qualifiers of a patient's id we keep; 34 (a social security number) is never kept. */
const MEMBER_ID_QUALIFIERS = new Set(['MI', 'HN', 'II', 'MR']);

const fail = (s: Segment, why: string) => new X12Error(s.id, s.position, why);

function required(s: Segment, n: number, what: string): string {
  const value = element(s, n);
  if (value === '') throw fail(s, `${elementName(s.id, n)} (${what}) is missing`);
  return value;
}

function amount(s: Segment, n: number, what: string, whenAbsent?: Cents): Cents {
  const text = element(s, n);
  if (text === '' && whenAbsent !== undefined) return whenAbsent;
  const parsed = parseAmount(required(s, n, what));
  if (!parsed.ok) throw fail(s, `${elementName(s.id, n)} (${what}) ${parsed.problem}`);
  return parsed.cents;
}

function quantity(s: Segment, n: number): string | undefined {
  const text = element(s, n);
  if (text === '') return undefined;
  if (!isQuantity(text)) throw fail(s, `${elementName(s.id, n)} (quantity) is not a number`);
  return text;
}

function oneOf<T extends string>(s: Segment, n: number, what: string, allowed: readonly T[]): T {
  const value = required(s, n, what);
  if (!(allowed as readonly string[]).includes(value)) throw fail(s, `${elementName(s.id, n)} (${what}) must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** CCYYMMDD (or YYMMDD in ISA09, read as 20YY) → "YYYY-MM-DD", refusing dates no calendar has. */
function date(s: Segment, n: number, what: string): string {
  const text = required(s, n, what);
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text.length === 6 && s.id === 'ISA' ? `20${text}` : text);
  const valid = m && (() => {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const at = new Date(Date.UTC(y, mo - 1, d));
    return at.getUTCFullYear() === y && at.getUTCMonth() === mo - 1 && at.getUTCDate() === d;
  })();
  if (!m || !valid) throw fail(s, `${elementName(s.id, n)} (${what}) is not a date`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function time(s: Segment, n: number): string {
  const text = required(s, n, 'time');
  if (!/^\d{4}(?:\d{2}(?:\d{1,2})?)?$/.test(text)) throw fail(s, `${elementName(s.id, n)} (time) is not a time`);
  return text;
}

function readInterchange(isa: Segment): InterchangeHeader {
  const controlNumber = required(isa, 13, 'interchange control number');
  if (!/^\d{9}$/.test(controlNumber)) throw fail(isa, 'ISA13 (interchange control number) must be 9 digits');
  return {
    sender: { qualifier: required(isa, 5, 'sender id qualifier').trim(), id: required(isa, 6, 'sender id').trim() },
    receiver: { qualifier: required(isa, 7, 'receiver id qualifier').trim(), id: required(isa, 8, 'receiver id').trim() },
    date: date(isa, 9, 'interchange date'),
    time: time(isa, 10),
    controlNumber,
    usage: oneOf(isa, 15, 'usage indicator', ['P', 'T'] as const),
  };
}

function readParty(s: Segment): Party {
  const name = required(s, 2, 'name');
  const qualifier = element(s, 3);
  const value = element(s, 4);
  if ((qualifier === '') !== (value === '')) throw fail(s, 'N103 and N104 (the identifier and its qualifier) go together');
  return qualifier === '' ? { name } : { name, id: { qualifier, value } };
}

function readAdjustments(s: Segment): Adjustment[] {
  const group = oneOf<AdjustmentGroup>(s, 1, 'claim adjustment group', ADJUSTMENT_GROUPS);
  if (s.elements.length > 19) throw fail(s, 'a CAS carries at most 6 adjustments (CAS02-CAS19)');
  const out: Adjustment[] = [];
  for (let n = 2; n <= 17; n += 3) {
    if (element(s, n) === '' && element(s, n + 1) === '' && element(s, n + 2) === '') continue;
    const reasonCode = required(s, n, 'adjustment reason code');
    if (!/^[A-Z0-9]{1,5}$/.test(reasonCode)) throw fail(s, `${elementName(s.id, n)} (adjustment reason code) is not a reason code`);
    const q = quantity(s, n + 2);
    out.push({ group, reasonCode, amountCents: amount(s, n + 1, 'adjustment amount'), ...(q === undefined ? {} : { quantity: q }) });
  }
  if (out.length === 0) throw fail(s, 'CAS02 (adjustment reason code) is missing');
  return out;
}

function readPatient(s: Segment): Patient {
  const firstName = element(s, 4);
  const memberId = element(s, 9);
  return {
    lastName: required(s, 3, 'patient last name'),
    ...(firstName === '' ? {} : { firstName }),
    ...(memberId !== '' && MEMBER_ID_QUALIFIERS.has(element(s, 8)) ? { memberId } : {}),
  };
}

function readServiceLine(s: Segment): ServiceLine {
  const [qualifier = '', code = '', ...rest] = components(s, 1);
  if (qualifier === '' || code === '') throw fail(s, 'SVC01 (procedure: qualifier and code) is missing');
  const modifiers = rest.slice(0, 4);
  while (modifiers.length > 0 && modifiers[modifiers.length - 1] === '') modifiers.pop();
  const units = quantity(s, 5);
  return {
    procedure: { qualifier, code, modifiers },
    chargeCents: amount(s, 2, 'line charge'),
    paidCents: amount(s, 3, 'line paid amount'),
    ...(units === undefined ? {} : { units }),
    adjustments: [],
  };
}

function readProviderAdjustment(s: Segment): ProviderAdjustment {
  if (s.elements.length > 14) throw fail(s, 'a PLB carries at most 6 adjustments (PLB03-PLB14)');
  const items: ProviderAdjustment['items'] = [];
  for (let n = 3; n <= 13; n += 2) {
    const [reasonCode = '', reference = ''] = components(s, n);
    if (reasonCode === '' && element(s, n + 1) === '') continue;
    if (reasonCode === '') throw fail(s, `${elementName(s.id, n)} (adjustment reason) is missing`);
    items.push({ reasonCode, ...(reference === '' ? {} : { reference }), amountCents: amount(s, n + 1, 'provider adjustment amount') });
  }
  if (items.length === 0) throw fail(s, 'PLB03 (adjustment reason) is missing');
  return { providerId: required(s, 1, 'provider id'), fiscalPeriodDate: date(s, 2, 'fiscal period date'), items };
}

function readTransaction(st: Segment, body: Segment[], remember: (node: object, s: Segment) => void): Transaction835 {
  if (element(st, 1) !== '835') throw fail(st, 'ST01 must be 835: this reads remittances only');
  const bpr = body[0];
  if (bpr?.id !== 'BPR') throw fail(bpr ?? st, 'an 835 transaction must begin with BPR');
  const payment = {
    handlingCode: oneOf<HandlingCode>(bpr, 1, 'transaction handling code', HANDLING_CODES),
    totalCents: amount(bpr, 2, 'total payment'),
    creditDebit: oneOf(bpr, 3, 'credit/debit flag', ['C', 'D'] as const),
    method: oneOf<PaymentMethod>(bpr, 4, 'payment method', PAYMENT_METHODS),
    date: date(bpr, 16, 'payment date'),
  };
  if (payment.totalCents < 0) throw fail(bpr, 'BPR02 (total payment) cannot be negative: BPR03 says debit');
  remember(payment, bpr);

  let trace: Transaction835['trace'] | undefined;
  let payer: Party | undefined;
  let payee: Party | undefined;
  const claims: Claim835[] = [];
  const providerAdjustments: ProviderAdjustment[] = [];
  let claim: { value: Claim835; patient?: Patient; at: Segment } | undefined;
  let line: ServiceLine | undefined;
  const closeClaim = () => {
    if (claim === undefined) return;
    if (claim.patient === undefined) throw fail(claim.at, 'the claim has no patient (NM1*QC)');
    claim.value.patient = claim.patient;
    claims.push(claim.value);
    remember(claim.value, claim.at);
    claim = undefined;
    line = undefined;
  };

  for (const s of body.slice(1)) {
    if (providerAdjustments.length > 0 && s.id !== 'PLB') throw fail(s, 'only PLB may follow PLB, up to SE');
    switch (s.id) {
      case 'BPR': throw fail(s, 'a transaction has one BPR');
      case 'TRN':
        if (trace !== undefined) throw fail(s, 'a transaction has one TRN');
        if (payer !== undefined) throw fail(s, 'TRN belongs in the header, before N1*PR');
        trace = { number: required(s, 2, 'trace number'), payerId: required(s, 3, 'payer id') };
        break;
      case 'N1':
        if (element(s, 1) === 'PR') {
          if (trace === undefined) throw fail(s, 'the payer (N1*PR) must follow TRN');
          if (payer !== undefined) throw fail(s, 'a transaction has one payer (N1*PR)');
          payer = readParty(s);
        } else if (element(s, 1) === 'PE') {
          if (payer === undefined) throw fail(s, 'the payee (N1*PE) must follow the payer (N1*PR)');
          if (payee !== undefined) throw fail(s, 'a transaction has one payee (N1*PE)');
          payee = readParty(s);
          if (payee.id === undefined) throw fail(s, 'N103 and N104 (the payee identifier) are missing');
        } else throw fail(s, 'N101 must be PR (payer) or PE (payee)');
        break;
      case 'CLP': {
        if (payee === undefined) throw fail(s, 'a claim (CLP) must follow the payer (N1*PR) and the payee (N1*PE)');
        closeClaim();
        const patientResponsibilityCents = amount(s, 5, 'patient responsibility', 0);
        claim = {
          at: s,
          value: {
            patientControlNumber: required(s, 1, 'patient control number'),
            status: oneOf<ClaimStatus>(s, 2, 'claim status', CLAIM_STATUSES),
            chargeCents: amount(s, 3, 'total charge'),
            paidCents: amount(s, 4, 'payment amount'),
            patientResponsibilityCents,
            filingIndicator: required(s, 6, 'claim filing indicator'),
            payerClaimControlNumber: required(s, 7, 'payer claim control number'),
            adjustments: [],
            patient: { lastName: '' }, // replaced by NM1*QC in closeClaim
            serviceLines: [],
          },
        };
        break;
      }
      case 'CAS':
        if (line !== undefined) line.adjustments.push(...readAdjustments(s));
        else if (claim !== undefined) claim.value.adjustments.push(...readAdjustments(s));
        else throw fail(s, 'CAS outside a claim');
        break;
      case 'SVC':
        if (claim === undefined) throw fail(s, 'a service line (SVC) outside a claim');
        line = readServiceLine(s);
        claim.value.serviceLines.push(line);
        remember(line, s);
        break;
      case 'PLB':
        if (payee === undefined) throw fail(s, 'PLB must follow the payer and the payee');
        closeClaim();
        providerAdjustments.push(readProviderAdjustment(s));
        remember(providerAdjustments[providerAdjustments.length - 1]!, s);
        break;
      default:
        if (s.id === 'NM1' && element(s, 1) === 'QC') {
          if (claim === undefined || line !== undefined) throw fail(s, 'the patient (NM1*QC) belongs to a claim, before its service lines');
          if (claim.patient !== undefined) throw fail(s, 'a claim has one patient (NM1*QC)');
          claim.patient = readPatient(s);
        } else if (s.id === 'DTM' && element(s, 1) === '472' && line !== undefined) {
          if (line.serviceDate !== undefined) throw fail(s, 'a service line has one service date (DTM*472)');
          line.serviceDate = date(s, 2, 'service date');
        } else if (!SKIPPED.has(s.id)) throw fail(s, 'not a segment of an 835');
    }
  }
  closeClaim();
  if (trace === undefined) throw fail(bpr, 'the transaction has no TRN (trace number)');
  if (payer === undefined || payee === undefined) throw fail(bpr, 'the transaction needs its payer (N1*PR) and payee (N1*PE)');
  return { controlNumber: required(st, 2, 'transaction control number'), payment, trace, payer, payee, claims, providerAdjustments };
}

/** X12 text → the model, with each node's segment. Throws X12Error. Nothing is checked for balance here. */
export function parseRemittance(text: string): ParsedRemittance {
  const interchange = readEnvelopes(tokenize(text));
  const origin = new WeakMap<object, Segment>();
  const remember = (node: object, s: Segment) => origin.set(node, s);
  const header = readInterchange(interchange.segment);
  const groups: PaymentGroup[] = interchange.groups.map(({ segment: gs, transactions }) => {
    if (element(gs, 1) !== 'HP') throw fail(gs, 'GS01 must be HP (health care claim payment/advice)');
    if (!element(gs, 8).startsWith('005010X221')) throw fail(gs, 'GS08 must be 005010X221 or 005010X221A1 (the 835 of version 5010)');
    return {
      senderCode: required(gs, 2, 'application sender code'),
      receiverCode: required(gs, 3, 'application receiver code'),
      date: date(gs, 4, 'group date'),
      time: time(gs, 5),
      controlNumber: required(gs, 6, 'group control number'),
      transactions: transactions.map((t) => readTransaction(t.segment, t.body, remember)),
    };
  });
  if (groups.length === 0) throw fail(interchange.segment, 'the interchange holds no functional group (GS)');
  return { remittance: { interchange: header, groups }, segmentOf: (node) => origin.get(node) };
}
