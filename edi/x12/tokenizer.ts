/**
 * X12 text → segments, with the delimiters the interchange declares in its ISA header.
 *
 * Our own ~100 lines rather than `node-x12`: we need every segment's position for error messages that name it
 * without echoing its (PHI) contents, we refuse what a lenient parser would guess at (a file cut short, an empty
 * segment, a delimiter that is a letter), the segments must come out as plain data the 835 parser and the property
 * tests can walk, and payflow takes no dependency for something this small. Pure: no I/O, no Node built-ins.
 *
 * Delimiters (X12.5 / the 5010 TR3s): the element separator is the character right after "ISA"; ISA11 is the
 * repetition separator, ISA16 the component separator, and the character after ISA16 ends every segment. CR and LF
 * after a segment terminator are line breaks some senders add, and are skipped.
 */
import { X12Error } from './errors';

export interface Delimiters {
  element: string;
  repetition: string;
  component: string;
  segment: string;
}

export interface Segment {
  /** "ISA", "CLP", … */
  id: string;
  /** 1-based index in the interchange: ISA is 1. */
  position: number;
  /**
   * elements[0] is element 01, each as its components (a simple element has one: "HC:99213" → ["HC", "99213"]).
   * ISA's elements are never split: ISA11 and ISA16 are the separators themselves. Repetitions are not split
   * either: none of the 835 elements we read repeats.
   */
  elements: string[][];
}

export interface Tokens {
  delimiters: Delimiters;
  segments: Segment[];
}

const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;
const ISA_ELEMENTS = 16;

/** Reads the delimiters from the ISA header; `start` is where "ISA" begins. */
function delimitersOf(text: string, start: number): Delimiters {
  if (text.slice(start, start + 3) !== 'ISA') throw new X12Error('ISA', 1, 'an interchange must begin with an ISA segment');
  const element = text.charAt(start + 3);
  // ISA16 follows the 16th element separator; the segment terminator follows ISA16.
  let at = start + 3;
  for (let n = 1; n < ISA_ELEMENTS; n += 1) {
    at = text.indexOf(element, at + 1);
    if (at < 0) throw new X12Error('ISA', 1, 'the file ends inside the ISA segment');
  }
  const component = text.charAt(at + 1);
  const segment = text.charAt(at + 2);
  if (component === '' || segment === '') throw new X12Error('ISA', 1, 'the file ends inside the ISA segment');
  const isa11 = text.slice(start, at).split(element)[11] ?? '';
  if (isa11.length !== 1) throw new X12Error('ISA', 1, 'ISA11 (repetition separator) must be one character');
  const delimiters = { element, repetition: isa11, component, segment };
  const chars = Object.values(delimiters);
  if (new Set(chars).size !== chars.length) throw new X12Error('ISA', 1, 'the element, repetition, component and segment delimiters must all differ');
  if (chars.some((c) => /[A-Za-z0-9 ]/.test(c))) throw new X12Error('ISA', 1, 'a delimiter cannot be a letter, a digit or a space');
  return delimiters;
}

function isLineBreak(ch: string): boolean {
  return ch === '\r' || ch === '\n';
}

export function tokenize(text: string): Tokens {
  let i = 0;
  // A byte-order mark or blank lines before the header are file-system noise, not X12.
  while (i < text.length && /[\uFEFF\s]/.test(text.charAt(i))) i += 1;
  const delimiters = delimitersOf(text, i);
  const segments: Segment[] = [];
  while (i < text.length) {
    const position = segments.length + 1;
    const end = text.indexOf(delimiters.segment, i);
    const raw = text.slice(i, end < 0 ? text.length : end);
    const parts = raw.split(delimiters.element);
    const id = parts[0] ?? '';
    const shownId = SEGMENT_ID.test(id) ? id : '?';
    if (end < 0) throw new X12Error(shownId, position, 'the file ends inside this segment (no segment terminator)');
    if (raw === '') throw new X12Error('?', position, 'an empty segment (two segment terminators in a row)');
    if (shownId === '?') throw new X12Error('?', position, 'a segment id must be 2 or 3 capital letters or digits');
    const values = parts.slice(1);
    segments.push({
      id,
      position,
      elements: id === 'ISA' ? values.map((v) => [v]) : values.map((v) => v.split(delimiters.component)),
    });
    i = end + 1;
    while (i < text.length && isLineBreak(text.charAt(i))) i += 1;
  }
  return { delimiters, segments };
}

/**
 * Element `n` (1-based, as X12 numbers them: CLP04 is element(seg, 4)) as one value; '' when absent. A simple
 * element holding the component separator is refused rather than joined: the value would not be what was sent.
 */
export function element(segment: Segment, n: number): string {
  const value = segment.elements[n - 1] ?? [''];
  if (value.length > 1) throw new X12Error(segment.id, segment.position, `${elementName(segment.id, n)} must be a single value, not a composite`);
  return value[0] ?? '';
}

/** "CLP04", "SVC01": how the implementation guides name an element. */
export function elementName(id: string, n: number): string {
  return `${id}${String(n).padStart(2, '0')}`;
}

/** Element `n`'s components; [] when absent. */
export function components(segment: Segment, n: number): string[] {
  const value = segment.elements[n - 1];
  return value === undefined || (value.length === 1 && value[0] === '') ? [] : value;
}
