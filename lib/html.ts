/**
 * Server-rendered HTML without a template engine: the `html` tag escapes every interpolated value unless it is itself
 * the output of `html` (SafeHtml), so there is no other way to put text into a page.
 */
import { UNPRINTABLE, visibleEscape } from './errors';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
/**
 * What a page echoes (a typed amount, a note, an account id) follows `printable`'s rule (lib/errors.ts): control and
 * format characters become visible escapes (`\x00`), never raw bytes in the page. Kept as they are: tab, line feed and
 * carriage return (a note's lines) and the zero-width (non-)joiners U+200C/U+200D, which Persian and Indic names and
 * emoji sequences need to read right.
 */
const UNSAFE = new RegExp(`[&<>"'\`]|${UNPRINTABLE.source}`, 'gu');
const KEPT = new Set(['\t', '\n', '\r', '\u200c', '\u200d']);
export const escapeHtml = (text: string): string => text.replace(UNSAFE, (c) => ESCAPES[c] ?? (KEPT.has(c) ? c : visibleEscape(c)));

export type Interpolation = SafeHtml | string | number | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return escapeHtml(String(value));
  return value.map(render).join('');
}

/** Tagged template: `html\`<p>${untrusted}</p>\`` escapes `untrusted`; nested `html` fragments pass through. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * The frame of every page we serve: language, character set, phone-width viewport, kept out of search engines; the
 * caller adds its title, its head elements (stylesheet, script, refresh) and its body.
 */
export function htmlDocument(o: { title: Interpolation; head?: Interpolation; robots?: string }, body: Interpolation): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="${o.robots ?? 'noindex, nofollow'}">
<title>${o.title}</title>
${o.head}
</head>
<body>
${body}
</body>
</html>
`.value;
}
