/**
 * CSV for spreadsheets (RFC 4180): a header row, CRLF line ends, every cell that needs it quoted (comma, quote, line
 * break, surrounding spaces) with quotes doubled. Text cells that a spreadsheet would run as a formula (starting with
 * = + - @, a tab or a carriage return) are prefixed with an apostrophe. Money goes out as decimal dollars with two
 * places next to an integer-cents column, computed from integer cents (never floating point).
 */
export type CsvCell = string | number | null | undefined;

/** A text cell as written (formula-guarded and quoted as needed). Numbers are written as they are. */
export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Integer cents → "1234.56" (no currency sign, no thousands separator; "-0.05" for negatives). */
export function centsToDecimal(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new TypeError('centsToDecimal needs integer cents');
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
