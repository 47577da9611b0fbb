/**
 * Our 835 model → X12 text with the delimiters you choose: for the local clearinghouse stand-in (real files for its
 * remittances) and for the property tests (write → parse gives back the same model). Writes only what the model
 * holds, computes SE01, GE01 and IEA01, drops trailing empty elements (as X12 asks), and pads ISA to its fixed
 * width. A value that contains one of the delimiters cannot be written faithfully, so it is refused (RangeError,
 * naming the element only). Pure.
 */
import { formatAmount } from '../x12/amounts';
import type { Delimiters } from '../x12/tokenizer';
import type { Adjustment, Claim835, Party, Remittance835, Transaction835 } from './model';

export const STANDARD_DELIMITERS: Delimiters = { element: '*', repetition: '^', component: ':', segment: '~' };
const VERSION = '005010X221A1';

export interface WriteOptions {
  delimiters?: Delimiters;
  /** A line break after each segment terminator, for people reading the file (readers skip it). */
  lineBreaks?: boolean;
}

const compact = (iso: string) => iso.replace(/-/g, '');

/** CAS segments of one loop: consecutive adjustments of one group, 6 to a segment. */
function casSegments(adjustments: Adjustment[]): string[][][] {
  const out: string[][][] = [];
  let current: { group: string; triplets: number; elements: string[][] } | undefined;
  for (const a of adjustments) {
    if (current === undefined || current.group !== a.group || current.triplets === 6) {
      current = { group: a.group, triplets: 0, elements: [['CAS'], [a.group]] };
      out.push(current.elements);
    }
    current.elements.push([a.reasonCode], [formatAmount(a.amountCents)], [a.quantity ?? '']);
    current.triplets += 1;
  }
  return out;
}

const party = (code: string, p: Party): string[][] => [['N1'], [code], [p.name], ...(p.id ? [[p.id.qualifier], [p.id.value]] : [])];

function claimSegments(c: Claim835): string[][][] {
  const out: string[][][] = [
    [['CLP'], [c.patientControlNumber], [c.status], [formatAmount(c.chargeCents)], [formatAmount(c.paidCents)],
      [formatAmount(c.patientResponsibilityCents)], [c.filingIndicator], [c.payerClaimControlNumber]],
    ...casSegments(c.adjustments),
    [['NM1'], ['QC'], ['1'], [c.patient.lastName], [c.patient.firstName ?? ''], [''], [''], [''],
      c.patient.memberId === undefined ? [''] : ['MI'], [c.patient.memberId ?? '']],
  ];
  for (const l of c.serviceLines) {
    const p = l.procedure;
    out.push([['SVC'], [p.qualifier, p.code, ...p.modifiers], [formatAmount(l.chargeCents)], [formatAmount(l.paidCents)], [''], [l.units ?? '']]);
    if (l.serviceDate !== undefined) out.push([['DTM'], ['472'], [compact(l.serviceDate)]]);
    out.push(...casSegments(l.adjustments));
  }
  return out;
}

function transactionSegments(t: Transaction835): string[][][] {
  const p = t.payment;
  const body: string[][][] = [
    [['BPR'], [p.handlingCode], [formatAmount(p.totalCents)], [p.creditDebit], [p.method], ...Array.from({ length: 11 }, () => ['']), [compact(p.date)]],
    [['TRN'], ['1'], [t.trace.number], [t.trace.payerId]],
    party('PR', t.payer),
    party('PE', t.payee),
    ...t.claims.flatMap(claimSegments),
    ...t.providerAdjustments.map((a) => [['PLB'], [a.providerId], [compact(a.fiscalPeriodDate)],
      ...a.items.flatMap((i) => [i.reference === undefined ? [i.reasonCode] : [i.reasonCode, i.reference], [formatAmount(i.amountCents)]])]),
  ];
  return [[['ST'], ['835'], [t.controlNumber], [VERSION]], ...body, [['SE'], [String(body.length + 2)], [t.controlNumber]]];
}

export function writeRemittance(r: Remittance835, options: WriteOptions = {}): string {
  const d = options.delimiters ?? STANDARD_DELIMITERS;
  const all = [d.element, d.repetition, d.component, d.segment];
  const end = d.segment + (options.lineBreaks ? '\n' : '');
  const serialise = (elements: string[][]): string => {
    const values = elements.map((components, n) => {
      // Trailing empty components and elements are dropped, as X12 asks.
      const kept = [...components];
      while (kept.length > 1 && kept[kept.length - 1] === '') kept.pop();
      if (kept.some((v) => all.some((ch) => v.includes(ch)))) {
        throw new RangeError(`${elements[0]?.[0] ?? '?'}${String(n).padStart(2, '0')} contains a delimiter`);
      }
      return kept.join(d.component);
    });
    while (values.length > 1 && values[values.length - 1] === '') values.pop();
    return values.join(d.element) + end;
  };

  const h = r.interchange;
  // ISA is fixed width, and a PLB carries at most 6 pairs: a model outside those bounds has no faithful 835 text.
  if (h.sender.id.length > 15 || h.receiver.id.length > 15) throw new RangeError('ISA06 and ISA08 hold at most 15 characters');
  if (r.groups.some((g) => g.transactions.some((t) => t.providerAdjustments.some((p) => p.items.length === 0 || p.items.length > 6)))) {
    throw new RangeError('a PLB carries 1 to 6 adjustments');
  }
  const isa = ['ISA', '00', ' '.repeat(10), '00', ' '.repeat(10), h.sender.qualifier.padEnd(2), h.sender.id.padEnd(15), h.receiver.qualifier.padEnd(2),
    h.receiver.id.padEnd(15), compact(h.date).slice(2), h.time, d.repetition, '00501', h.controlNumber, '0', h.usage, d.component];
  // ISA11 and ISA16 are delimiters themselves; every other ISA element must be free of them.
  if (isa.some((v, n) => n !== 11 && n !== 16 && all.some((ch) => v.includes(ch)))) throw new RangeError('an ISA element contains a delimiter');
  const out = [isa.join(d.element) + end];
  for (const g of r.groups) {
    out.push(serialise([['GS'], ['HP'], [g.senderCode], [g.receiverCode], [compact(g.date)], [g.time], [g.controlNumber], ['X'], [VERSION]]));
    for (const t of g.transactions) out.push(...transactionSegments(t).map(serialise));
    out.push(serialise([['GE'], [String(g.transactions.length)], [g.controlNumber]]));
  }
  out.push(serialise([['IEA'], [String(r.groups.length)], [h.controlNumber]]));
  return out.join('');
}
