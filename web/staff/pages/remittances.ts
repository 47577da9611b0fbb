/**
 * Remittance files (billing, admin): the payers' 835 files received, newest first, with what each did (claims matched,
 * unmatched), the uploads refused as a whole, and the upload form (multipart: the same ingest as POST /v1/remittances).
 */
import type { listRemittances, refusedRemittances } from '../../../app/remittances';
import { html, type Interpolation } from '../../../lib/html';
import { numTd, th } from '../../table';
import { csrfField, formatInstant, money, notice, page, type Notice, type PageContext } from '../layout';

export type RemittanceFileItem = Awaited<ReturnType<typeof listRemittances>>[number];
export type RemittanceRefusalItem = Awaited<ReturnType<typeof refusedRemittances>>[number];

export interface RemittancesPageModel {
  files: RemittanceFileItem[]; refusals: RemittanceRefusalItem[]; timeZone: string;
  /** The last upload's refusal, or what it did. */
  notice?: Notice;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** What the upload's file picker offers: 835 files by their usual extensions and media types. */
const ACCEPTED_FILES = '.835,.edi,.txt,.x12,text/plain,application/edi-x12';

function filesTable(o: RemittancesPageModel): Interpolation {
  if (o.files.length === 0) return html`<p class="card">No remittance file has been received yet.</p>`;
  const heads = [
    th('Received'), th('Payer'), th('Trace'), th('Payment', 'num'), th('Claims', 'num'), th('Matched', 'num'), th('Unmatched', 'num'),
    th(html`<span class="visually-hidden">File</span>`),
  ];
  const rows = o.files.map((f) => {
    const received = formatInstant(new Date(f.receivedAt), o.timeZone);
    return html`<tr>
<td>${received}</td>
<td>${f.payer.name} <span class="muted small">${f.payer.id}</span></td>
<td>${f.traceNumber}${f.transactions > 1 ? html` <span class="muted small">+ ${plural(f.transactions - 1, 'more payment')}</span>` : ''}</td>
${numTd(money(f.paymentCents))}${numTd(f.claims)}${numTd(f.matched)}
<td class="num">${f.unmatched > 0 ? html`<span class="badge open">${f.unmatched}</span>` : '0'}</td>
<td><a href="/staff/remittances/${f.fileId}">Open<span class="visually-hidden"> file received ${received}, trace ${f.traceNumber}</span></a></td>
</tr>`;
  });
  return html`<div class="card"><table class="data"><caption class="visually-hidden">Remittance files, newest first</caption>
<thead><tr>${heads}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function refusalsSection(o: RemittancesPageModel): Interpolation {
  if (o.refusals.length === 0) return '';
  const rows = o.refusals.map((r) => {
    const attempts = r.attempts > 1 ? html` <span class="muted small">(${plural(r.attempts, 'attempt')})</span>` : '';
    return html`<tr>
<td>${formatInstant(new Date(r.lastRefusedAt), o.timeZone)}${attempts}</td>
<td>${r.status === 409 ? 'payment already received' : 'not a valid 835'}</td><td>${r.detail}</td>
<td class="num">${Math.max(1, Math.round(r.byteSize / 1024))} KB</td></tr>`;
  });
  return html`<section class="card" aria-labelledby="refused-h"><h2 id="refused-h">Refused uploads</h2>
<p class="muted small">Nothing of these files was stored. Ask the payer or clearinghouse for a corrected file, naming the segment and position.</p>
<table class="data"><caption class="visually-hidden">Uploads refused as a whole, last first</caption>
<thead><tr>${th('Last refused')}${th('Why')}${th('Problem')}${th('Size', 'num')}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

function uploadForm(ctx: PageContext): Interpolation {
  return html`<form method="post" action="/staff/remittances" enctype="multipart/form-data" class="card" aria-labelledby="upload-h">
${csrfField(ctx)}
<h2 id="upload-h">Upload an 835 file</h2>
<div class="field"><label for="remittance-file">Remittance file (X12 835, up to 5 MB)</label>
<p class="hint" id="remittance-file-hint">The whole file is checked first: a file with a problem is refused with the segment and position to fix,
and nothing of it is stored. The same file twice is received once.</p>
<input type="file" id="remittance-file" name="file" required accept="${ACCEPTED_FILES}" aria-describedby="remittance-file-hint"></div>
<button type="submit">Upload</button>
</form>`;
}

export function remittancesPage(ctx: PageContext, o: RemittancesPageModel): string {
  return page({ title: 'Remittances', section: 'remittances', ctx }, html`<h1>Remittances</h1>
<p class="lead">Payers' payment files (ERA, X12 835), newest first. Each claim payment moves its claim as the payer decided; one we could not
match to a claim waits in its file for you to match it.</p>
${notice(o.notice)}
${filesTable(o)}
${uploadForm(ctx)}
${refusalsSection(o)}`);
}
