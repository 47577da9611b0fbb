/**
 * The one error every X12 reader raises: which segment, where, and why, for a person and for problem+json.
 * Messages never carry element values: an 835 holds patient names, member ids and claim numbers (PHI), so a
 * message says "NM1 at segment 12: …", never what the segment contained. Counts and element names are fine.
 */
export class X12Error extends Error {
  override readonly name = 'X12Error';

  constructor(
    /** The segment id (e.g. "SE", "CLP"), or "?" when the text there is not a segment at all. */
    readonly segment: string,
    /** 1-based index of the segment in the interchange (ISA is 1); one past the last for a truncated file. */
    readonly position: number,
    /** Why, in plain words, without any value taken from the file. */
    readonly reason: string,
  ) {
    super(`${segment} at segment ${position}: ${reason}`);
  }
}
