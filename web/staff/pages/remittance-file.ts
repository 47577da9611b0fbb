/**
 * One remittance file (billing, admin): its claim payments (CLP01, status in words, charge, paid, patient
 * responsibility, what it did, the claim it matched with a link to the visit), why the patient owes in plain words,
 * and, for a claim payment no claim matched, the search and form to match it by hand (app/remittances.ts
 * matchRemittanceClaim). Works without script: the search is a GET form, the match a POST form.
 */
import type { matchCandidates, remittanceDetail } from '../../../app/remittances';
import { html, type Interpolation, type SafeHtml } from '../../../lib/html';
import { numTd, th } from '../../table';
import { csrfField, formatDate, formatInstant, money, notice, page, patientName, type Notice, type PageContext } from '../layout';

export type RemittanceFileDetail = Awaited<ReturnType<typeof remittanceDetail>>;
type ClaimPaymentView = RemittanceFileDetail['claims'][number];
export type MatchCandidate = Awaited<ReturnType<typeof matchCandidates>>[number];

/** The claim payment being matched: what was searched, what was found, and why the last match was refused. */
export interface MatchFormState { remittanceClaimId: string; q: string; candidates: MatchCandidate[]; error?: string }

export interface RemittanceFilePageModel { detail: RemittanceFileDetail; timeZone: string; match?: MatchFormState; notice?: Notice }

/** CLP02 in words. */
const STATUS_WORDS: Record<string, string> = {
  1: 'Processed as primary', 2: 'Processed as secondary', 3: 'Processed as tertiary', 4: 'Denied',
  19: 'Processed as primary, sent on to another payer', 20: 'Processed as secondary, sent on to another payer',
  21: 'Processed as tertiary, sent on to another payer', 22: 'Reversal of an earlier payment', 23: 'Not our claim, sent on to another payer',
};
const statusWords = (code: string) => STATUS_WORDS[code] ?? `Status ${code}`;

function outcomeWords(c: ClaimPaymentView): SafeHtml {
  switch (c.outcome) {
    case 'updated': return html`<span class="badge applied">Claim updated</span> <span class="muted small">version ${c.appliedVersion}</span>`;
    case 'stale': return html`<span class="badge">Nothing changed</span> <span class="muted small">the claim was already newer</span>`;
    case 'ignored': return html`<span class="badge">Nothing to change</span>`;
    case 'unmatched': return html`<span class="badge open">No matching claim</span>`;
  }
}

function claimCell(c: ClaimPaymentView, tz: string): Interpolation {
  if (!c.matchedClaimId) {
    const which = html`<span class="visually-hidden"> (claim payment ${c.patientControlNumber})</span>`;
    return html`<a href="?match=${c.id}#match-h">Match to a claim${which}</a>`;
  }
  const m = c.manualMatch;
  const by = m ? html`<br><span class="muted small">matched by ${m.staffName}, ${formatInstant(new Date(m.matchedAt), tz)}</span>` : '';
  return html`<a href="/staff/visits/${c.matchedVisitId}">${c.matchedClaimExternalId}<span class="visually-hidden"> (its visit)</span></a>${by}`;
}

function whyOwes(c: ClaimPaymentView): Interpolation {
  if (c.patientOwes.length === 0) return html`<span class="muted">—</span>`;
  const items = c.patientOwes.map((l) =>
    html`<li><strong>${l.label}</strong> ${money(l.amountCents)}<br><span class="muted small">${l.explanation}</span></li>`);
  return html`<ul class="plain">${items}</ul>`;
}

function claimsTable(o: RemittanceFilePageModel): SafeHtml {
  const heads = [
    th('Claim number (CLP01)'), th('Status'), th('Charge', 'num'), th('Paid', 'num'), th('Patient responsibility', 'num'), th('Why the patient owes'),
    th('Outcome'), th('Our claim'),
  ];
  const rows = o.detail.claims.map((c) => html`<tr id="claim-${c.id}">
<td>${c.patientControlNumber}${c.occurrence > 0 ? html` <span class="muted small">(again, #${c.occurrence + 1})</span>` : ''}</td>
<td>${statusWords(c.statusCode)} <span class="muted small">(${c.statusCode})</span></td>
${numTd(money(c.chargeCents))}${numTd(money(c.paidCents))}${numTd(money(c.patientResponsibilityCents))}
<td>${whyOwes(c)}</td><td>${outcomeWords(c)}</td><td>${claimCell(c, o.timeZone)}</td></tr>`);
  return html`<div class="card"><table class="data"><caption class="visually-hidden">Claim payments of this file, in file order</caption>
<thead><tr>${heads}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function candidateRows(m: MatchFormState): SafeHtml {
  const rows = m.candidates.map((c, i) => {
    const withWhom = c.responsibility === 'patient' ? 'with the patient' : 'with the payer';
    return html`<tr>
<td><input type="radio" name="claimId" value="${c.claimId}" id="candidate-${i}"${m.candidates.length === 1 ? html` checked` : ''}></td>
<td><label for="candidate-${i}">${c.externalId}</label></td><td>${c.visitExternalId} · ${formatDate(c.dateOfService)}</td>
<td>${patientName({ firstName: c.patientFirstName, lastName: c.patientLastName })}</td>
<td>${c.payerName ?? '—'} <span class="muted small">(${c.payerStatus}; ${withWhom})</span></td></tr>`;
  });
  const heads = [th(html`<span class="visually-hidden">Choose</span>`), th('Claim'), th('Visit'), th('Patient'), th('Payer')];
  return html`<table class="data"><caption class="visually-hidden">Claims found</caption>
<thead><tr>${heads}</tr></thead><tbody>${rows}</tbody></table>`;
}

function matchSection(ctx: PageContext, o: RemittanceFilePageModel): Interpolation {
  const m = o.match;
  const payment = m && o.detail.claims.find((c) => c.id === m.remittanceClaimId);
  if (!m || !payment || payment.matchedClaimId) return '';
  const fileId = o.detail.file.fileId;
  const error = m.error ? html`<p class="error" id="match-error" role="alert">${m.error}</p>` : '';
  const found = m.q.trim() === '' ? ''
    : m.candidates.length === 0 ? html`<p>No claim of this practice has a claim or visit number starting with “${m.q}”.</p>`
      : html`<form method="post" action="/staff/remittances/${fileId}/claims/${payment.id}/match">${csrfField(ctx)}
<input type="hidden" name="q" value="${m.q}">
<fieldset><legend>Choose the claim this payment is for</legend>${candidateRows(m)}</fieldset>
<p class="hint">The claim takes this payment as if the payer had named it: a new version, the patient's share, and any waiting copay is applied.
This cannot be undone here.
Later files from this payer with claim number ${payment.patientControlNumber} will match this claim by themselves.</p>
<button type="submit">Match to this claim</button></form>`;
  const heading = html`<h2 id="match-h" tabindex="-1">Match claim payment ${payment.patientControlNumber}</h2>`;
  const amounts = html`charge ${money(payment.chargeCents)} · paid ${money(payment.paidCents)}`;
  return html`<section class="card" aria-labelledby="match-h">${heading}
<p>${statusWords(payment.statusCode)} · ${amounts} · patient responsibility ${money(payment.patientResponsibilityCents)}</p>
${error}
<form method="get" action="/staff/remittances/${fileId}#match-h" class="filters" role="search" aria-label="Find the claim">
<input type="hidden" name="match" value="${payment.id}">
<div class="field"><label for="match-q">Claim or visit number</label>
<p class="hint" id="match-q-hint">The start of our claim's or its visit's external id, as the EHR shows it.</p>
<input id="match-q" name="q" value="${m.q}" autocomplete="off" aria-describedby="match-q-hint${m.error ? ' match-error' : ''}"></div>
<div class="actions"><button type="submit" class="secondary">Find</button><a href="/staff/remittances/${fileId}">Cancel</a></div>
</form>
${found}
</section>`;
}

export function remittanceFilePage(ctx: PageContext, o: RemittanceFilePageModel): string {
  const f = o.detail.file;
  const unmatched = o.detail.claims.filter((c) => c.matchedClaimId === null).length;
  const received = formatInstant(new Date(f.receivedAt), o.timeZone);
  const counts = html`${f.claims} claim payment(s): ${f.matched} matched, ${f.unmatched} unmatched`;
  const howToMatch = unmatched > 0 && !o.match
    ? html`<p class="muted">A claim payment with no matching claim changes nothing until you match it (“Match to a claim”).</p>` : '';
  return page({ title: `Remittance ${f.traceNumber}`, section: 'remittances', ctx }, html`<p class="crumbs"><a href="/staff/remittances">← Remittances</a></p>
<h1>Remittance · ${f.payer.name} · trace ${f.traceNumber}</h1>
<p class="lead">Received ${received} · payment ${money(f.paymentCents)} · ${counts}</p>
${notice(o.notice)}
${matchSection(ctx, o)}
${claimsTable(o)}
${howToMatch}`);
}
