/** Pieces of the data tables on every page (portal and staff), so a row of many cells reads one cell a line. */
import { html, type Interpolation, type SafeHtml } from '../lib/html';

/** A column heading: `<th scope="col">`, with `class="num"` (right-aligned) for an amount. */
export const th = (label: Interpolation, cls?: 'num'): SafeHtml => html`<th scope="col"${cls ? html` class="${cls}"` : ''}>${label}</th>`;

/** A cell holding an amount (right-aligned). */
export const numTd = (value: Interpolation): SafeHtml => html`<td class="num">${value}</td>`;
