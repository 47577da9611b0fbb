/**
 * The X12 envelopes around the transactions: ISA … IEA (interchange), GS … GE (functional group), ST … SE
 * (transaction set), checked before anyone reads a transaction, so that a file cut short or spliced together is
 * refused as a whole. Checked: the nesting, SE01 = the segments of the transaction counting ST and SE, GE01 = the
 * transactions in the group, IEA01 = the groups in the interchange, and the control numbers (ST02 = SE02,
 * GS06 = GE02, ISA13 = IEA02). Nothing may follow IEA. Pure.
 */
import { X12Error } from './errors';
import { element, elementName, type Segment, type Tokens } from './tokenizer';

export interface Interchange {
  segment: Segment; // ISA
  groups: FunctionalGroup[];
}

export interface FunctionalGroup {
  segment: Segment; // GS
  transactions: TransactionSet[];
}

export interface TransactionSet {
  segment: Segment; // ST
  /** The segments between ST and SE. */
  body: Segment[];
}

function count(segment: Segment, n: number, what: string, actual: number): void {
  const text = element(segment, n);
  const name = elementName(segment.id, n);
  if (!/^\d{1,10}$/.test(text)) throw new X12Error(segment.id, segment.position, `${name} must be the number of ${what}`);
  if (Number(text) !== actual) throw new X12Error(segment.id, segment.position, `${name} says ${Number(text)} ${what}, there are ${actual}`);
}

function sameControl(opening: Segment, o: number, closing: Segment, c: number): void {
  // Compared as text: a control number is an identifier, and "0001" and "1" are different ones.
  if (element(opening, o).trim() === '' || element(opening, o).trim() !== element(closing, c).trim()) {
    throw new X12Error(closing.id, closing.position,
      `${elementName(closing.id, c)} does not match ${elementName(opening.id, o)} (${opening.id} at segment ${opening.position})`);
  }
}

/** Walks the segments once; `next()` names the end of the file when it is cut short. */
export function readEnvelopes({ segments }: Tokens): Interchange {
  let i = 0;
  const last = segments[segments.length - 1];
  const endPosition = (last?.position ?? 0) + 1;
  const next = (expected: string): Segment => {
    const segment = segments[i];
    if (segment === undefined) throw new X12Error(expected, endPosition, `the file ends before ${expected}: it is truncated`);
    i += 1;
    return segment;
  };
  const peek = (): Segment | undefined => segments[i];

  const isa = next('ISA');
  if (isa.id !== 'ISA') throw new X12Error(isa.id, isa.position, 'an interchange must begin with an ISA segment');
  if (isa.elements.length !== 16) throw new X12Error('ISA', isa.position, `ISA must have 16 elements, it has ${isa.elements.length}`);
  if (element(isa, 12) !== '00501') throw new X12Error('ISA', isa.position, 'ISA12 must be 00501: only X12 version 5010 is read');

  const groups: FunctionalGroup[] = [];
  while (peek()?.id === 'GS') {
    const gs = next('GS');
    const transactions: TransactionSet[] = [];
    while (peek()?.id === 'ST') {
      const st = next('ST');
      const body: Segment[] = [];
      for (let s = next('SE'); s.id !== 'SE'; s = next('SE')) {
        if (['ISA', 'IEA', 'GS', 'GE', 'ST'].includes(s.id)) {
          throw new X12Error(s.id, s.position, `${s.id} inside the transaction that ST at segment ${st.position} opened: its SE is missing`);
        }
        body.push(s);
      }
      const se = segments[i - 1]!;
      count(se, 1, 'segments in the transaction', body.length + 2);
      sameControl(st, 2, se, 2);
      transactions.push({ segment: st, body });
    }
    const ge = next('GE');
    if (ge.id !== 'GE') throw new X12Error(ge.id, ge.position, `a transaction must begin with ST, or the group with GE (GS at segment ${gs.position})`);
    count(ge, 1, 'transactions in the group', transactions.length);
    sameControl(gs, 6, ge, 2);
    groups.push({ segment: gs, transactions });
  }
  const iea = next('IEA');
  if (iea.id !== 'IEA') throw new X12Error(iea.id, iea.position, 'a functional group must begin with GS, or the interchange end with IEA');
  count(iea, 1, 'functional groups in the interchange', groups.length);
  sameControl(isa, 13, iea, 2);
  const extra = peek();
  if (extra !== undefined) throw new X12Error(extra.id, extra.position, 'nothing may follow IEA');
  return { segment: isa, groups };
}
