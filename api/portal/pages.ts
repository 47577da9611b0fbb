/**
 * The patient portal's pages and the printable statement: plain server-rendered HTML (no scripts), one column, form
 * fields with labels, hints and errors tied to them (aria-describedby), an error summary announced as an alert, and
 * the reading order equal to the focus order. The portal shows the minimum necessary: the patient's first name, the
 * statement lines and what is due. The printable statement is the paper statement (name, account id) and appears only
 * to a signed-in patient or to staff.
 */
import type { StatementLine } from '../../domain/statements';
import { formatCents, type Cents } from '../../domain/money';
import { html, htmlDocument, type Interpolation, type SafeHtml } from '../../lib/html';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-09-14" → "Sep 14, 2026". */
export function formatDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return date;
  return `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${Number(m[3])}, ${m[1]}`;
}

/** An instant on the practice's wall clock: "Nov 28, 2026, 10:42 AM". */
export function formatInstant(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(instant);
}

interface LayoutOptions { title: string; heading?: string; csrf?: string; signedIn?: boolean; refreshSeconds?: number }

function layout(o: LayoutOptions, body: SafeHtml): string {
  const head = html`${o.refreshSeconds ? html`<meta http-equiv="refresh" content="${o.refreshSeconds}">` : ''}
<link rel="stylesheet" href="/portal/static/portal.css">`;
  return htmlDocument({ title: html`${o.title} · Pay your medical bill`, head }, html`<a class="skip" href="#main">Skip to main content</a>
<header class="site"><div class="inner">
<p class="brand">${o.heading ?? 'Pay your medical bill'}</p>
${o.signedIn && o.csrf ? html`<form method="post" action="/portal/sign-out"><input type="hidden" name="csrf" value="${o.csrf}"><button type="submit" class="link">Sign out</button></form>` : ''}
</div></header>
<main id="main" tabindex="-1">
${body}
</main>
<footer class="site"><p>Your information is protected. For your privacy, a session ends a few minutes after you sign in.</p></footer>`);
}

interface FieldError { field: string; message: string }

function errorSummary(errors: FieldError[], title = 'There is a problem'): Interpolation {
  if (errors.length === 0) return '';
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">${title}</h2>
<ul>${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}</ul>
</div>`;
}

const errorFor = (errors: FieldError[], field: string) => errors.find((e) => e.field === field)?.message;
const describedBy = (field: string, errors: FieldError[]) => [`${field}-hint`, errorFor(errors, field) ? `${field}-error` : ''].filter(Boolean).join(' ');
const fieldError = (field: string, errors: FieldError[]): Interpolation => {
  const message = errorFor(errors, field);
  return message ? html`<p class="error" id="${field}-error"><span class="visually-hidden">Error:</span> ${message}</p>` : '';
};
const invalid = (field: string, errors: FieldError[]): Interpolation => (errorFor(errors, field) ? html` aria-invalid="true"` : '');

// ── lookup ─────────────────────────────────────────────────────────────────────────────────────────────────────
export type LookupNotice = 'expired' | 'signed-out';

/**
 * The sign-in form. After a failed lookup it answers exactly the same bytes whatever went wrong (unknown account,
 * wrong date of birth, locked): it echoes nothing the patient typed and says the same thing.
 */
export function lookupPage(o: { csrf: string; failed?: boolean; errors?: FieldError[]; values?: { accountId?: string }; notice?: LookupNotice }): string {
  const errors = o.errors ?? [];
  const failedMessage = html`<div class="error-summary" role="alert" aria-labelledby="failed-title" tabindex="-1">
<h2 id="failed-title">We could not find your statement</h2>
<p>Check the account ID on your statement and your date of birth, then try again. After several unsuccessful tries, online access to
the account is paused for 30 minutes. You can always pay by phone or by mail.</p>
</div>`;
  const notice = o.notice === 'expired'
    ? html`<p class="notice">For your privacy you were signed out. Please enter your details again.</p>`
    : o.notice === 'signed-out' ? html`<p class="notice ok">You are signed out.</p>` : '';
  const body = html`<h1>Pay your bill online</h1>
${notice}
${o.failed ? failedMessage : errorSummary(errors)}
<p class="lead">Enter the account ID printed on your statement and your date of birth.</p>
<form method="post" action="/portal/lookup" novalidate>
<input type="hidden" name="csrf" value="${o.csrf}">
<div class="field">
<label for="accountId">Account ID</label>
<p class="hint" id="accountId-hint">10 letters and numbers, printed at the top of your statement.</p>
${fieldError('accountId', errors)}
<input type="text" id="accountId" name="accountId" value="${o.values?.accountId ?? ''}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" required aria-describedby="${describedBy('accountId', errors)}"${invalid('accountId', errors)}>
</div>
<div class="field">
<label for="dateOfBirth">Date of birth</label>
<p class="hint" id="dateOfBirth-hint">The patient's date of birth, for example 03/12/1984.</p>
${fieldError('dateOfBirth', errors)}
<input type="date" id="dateOfBirth" name="dateOfBirth" autocomplete="bday" required aria-describedby="${describedBy('dateOfBirth', errors)}"${invalid('dateOfBirth', errors)}>
</div>
<button type="submit">Find my statement</button>
</form>`;
  const title = o.failed ? 'Error: statement not found' : errors.length > 0 ? 'Error: check your details' : 'Find your statement';
  return layout({ title }, body);
}

// ── statement ──────────────────────────────────────────────────────────────────────────────────────────────────
/**
 * What the portal shows of a statement line: the domain's line without our internal ids, and what it owes today (a
 * payer reprocessing the claim takes it down to nothing; the claim coming back brings it up again).
 */
export type PortalLine = Omit<StatementLine, 'claimId' | 'claimLineId'> & { currentBalanceCents: Cents };

/** The line's balance as printed, and today's when it changed since. */
function lineBalance(l: PortalLine): SafeHtml {
  return l.currentBalanceCents === l.balanceCents
    ? html`${formatCents(l.balanceCents)}`
    : html`<s>${formatCents(l.balanceCents)}</s> <span class="now">now ${formatCents(l.currentBalanceCents)}</span>`;
}

/** Said under the lines when a balance changed since the statement: why the amount due is not the total. */
function changedNote(lines: PortalLine[]): SafeHtml | '' {
  return lines.some((l) => l.currentBalanceCents !== l.balanceCents)
    ? html`<p class="small changed">Some balances changed since this statement (your insurance reprocessed a claim). The amount due is today's.</p>`
    : '';
}

function linesTable(lines: PortalLine[], totalCents: Cents, caption: string): SafeHtml {
  return html`<table class="lines">
<caption class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">Date of service</th><th scope="col">Service</th><th scope="col" class="num">Charge</th><th scope="col" class="num">Insurance paid</th><th scope="col" class="num">Adjustments</th><th scope="col" class="num">You paid</th><th scope="col" class="num">Your balance</th></tr></thead>
<tbody>
${lines.map((l) => html`<tr>
<td data-label="Date of service">${formatDate(l.dateOfService)}</td>
<td class="service" data-label="Service">${l.description ?? 'Service'} <span class="hint">(${l.procedureCode})</span></td>
<td class="num" data-label="Charge">${formatCents(l.chargeCents)}</td>
<td class="num" data-label="Insurance paid">${formatCents(l.insurancePaidCents)}</td>
<td class="num" data-label="Adjustments">${formatCents(l.adjustmentCents)}</td>
<td class="num" data-label="You paid">${formatCents(l.patientPaidCents)}</td>
<td class="num" data-label="Your balance">${lineBalance(l)}</td>
</tr>`)}
</tbody>
<tfoot><tr><th scope="row" colspan="6">Total due on this statement</th><td class="num">${formatCents(totalCents)}</td></tr></tfoot>
</table>
${changedNote(lines)}`;
}

export interface StatementPageModel {
  csrf: string;
  firstName: string;
  practiceName: string;
  statementDate: string;
  status: 'open' | 'paid' | 'unpaid';
  lines: PortalLine[];
  totalCents: Cents;
  paidCents: Cents;
  dueCents: Cents;
  /** The amount field's value (dollars text). */
  amount: string;
  errors?: FieldError[];
  /** A problem that is not about a field (e.g. the payment could not be started). */
  problem?: string;
}

export function statementPage(m: StatementPageModel): string {
  const errors = m.errors ?? [];
  const payable = m.status === 'open' && m.dueCents > 0;
  const pay = payable
    ? html`<form method="post" action="/portal/pay" novalidate>
<input type="hidden" name="csrf" value="${m.csrf}">
<div class="field">
<label for="amount">Amount to pay</label>
<p class="hint" id="amount-hint">Pay all of it or part of it: up to ${formatCents(m.dueCents)}.</p>
${fieldError('amount', errors)}
<div class="prefix"><span aria-hidden="true">$</span><input type="text" class="amount" inputmode="decimal" id="amount" name="amount" value="${m.amount}" autocomplete="off" required aria-describedby="${describedBy('amount', errors)}"${invalid('amount', errors)}></div>
</div>
<p>Next you go to ${m.practiceName}'s secure payment page to pay by card. We never see your card number.</p>
<button type="submit">Continue to payment</button>
</form>`
    : m.status === 'paid' || m.dueCents === 0
      ? html`<p class="notice ok">This statement is paid in full. Thank you.</p>`
      : html`<p class="notice">This statement can no longer be paid online. Please call ${m.practiceName}'s billing office.</p>`;
  const body = html`<h1>Hello, ${m.firstName}</h1>
${m.problem ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>We could not start your payment</h2><p>${m.problem}</p></div>` : errorSummary(errors)}
<p class="lead">Your statement from ${m.practiceName}, dated ${formatDate(m.statementDate)}.</p>
<section class="card" aria-labelledby="lines-heading">
<h2 id="lines-heading">What you owe</h2>
${linesTable(m.lines, m.totalCents, 'Your statement, line by line')}
<dl class="totals">
${m.paidCents > 0 ? html`<dt>Paid online since this statement</dt><dd>−${formatCents(m.paidCents)}</dd>` : ''}
<dt class="due">Balance due now</dt><dd class="due">${formatCents(m.dueCents)}</dd>
</dl>
</section>
<section class="card" aria-labelledby="pay-heading">
<h2 id="pay-heading">Pay online</h2>
${pay}
</section>
<p><a href="/portal/statement/print">View or print your statement</a></p>`;
  const title = m.problem || errors.length > 0 ? 'Error: your statement' : 'Your statement';
  return layout({ title, heading: m.practiceName, csrf: m.csrf, signedIn: true }, body);
}

// ── receipt ────────────────────────────────────────────────────────────────────────────────────────────────────
export type ReceiptModel =
  | { state: 'received'; practiceName: string; amountCents: Cents; paidAt: string; confirmation: string; applied: 'applied' | 'staff' | 'applying'; dueCents?: Cents; signedIn: boolean; csrf?: string }
  | { state: 'pending'; practiceName: string; amountCents: Cents }
  | { state: 'not_completed'; practiceName: string; cancelled: boolean };

const APPLIED = {
  applied: 'Applied to your account',
  applying: 'Received; being applied to your account',
  staff: 'Received; our billing office will apply it to your account',
} as const;

export function receiptPage(m: ReceiptModel): string {
  if (m.state === 'pending') {
    return layout({ title: 'Confirming your payment', heading: m.practiceName, refreshSeconds: 2 }, html`<h1>Confirming your payment…</h1>
<p class="notice" role="status">We are waiting for ${m.practiceName}'s payment page to confirm your payment of ${formatCents(m.amountCents)}. This page updates by itself in a few seconds.</p>
<p>If it does not, reload the page. Please do not pay again.</p>`);
  }
  if (m.state === 'not_completed') {
    return layout({ title: 'Payment not completed', heading: m.practiceName }, html`<h1>Your payment was not completed</h1>
<p class="notice">${m.cancelled ? 'You left the payment page without paying. Nothing was charged.' : 'This payment was not completed in time. Nothing was charged.'}</p>
<p><a class="button" href="/portal/statement">Back to your statement</a></p>`);
  }
  const body = html`<h1>Thank you: payment received</h1>
<p class="notice ok" role="status">${m.practiceName} received your payment of ${formatCents(m.amountCents)}.</p>
<section class="card" aria-labelledby="receipt-heading">
<h2 id="receipt-heading">Receipt</h2>
<dl class="receipt">
<dt>Paid to</dt><dd>${m.practiceName}</dd>
<dt>Amount</dt><dd>${formatCents(m.amountCents)}</dd>
<dt>Date</dt><dd>${m.paidAt}</dd>
<dt>Confirmation number</dt><dd>${m.confirmation}</dd>
<dt>Status</dt><dd>${APPLIED[m.applied]}</dd>
${m.dueCents !== undefined ? html`<dt>Balance still due</dt><dd>${formatCents(m.dueCents)}</dd>` : ''}
</dl>
<p>Keep this page for your records: use your browser's Print command to print it.</p>
</section>
${m.signedIn ? html`<p><a href="/portal/statement">Back to your statement</a></p>` : html`<p><a href="/portal">Sign in to see your statement</a></p>`}`;
  return layout({ title: 'Payment received', heading: m.practiceName, csrf: m.csrf, signedIn: m.signedIn }, body);
}

// ── messages ───────────────────────────────────────────────────────────────────────────────────────────────────
export function messagePage(title: string, message: string, link: { href: string; text: string } = { href: '/portal', text: 'Start again' }): string {
  return layout({ title }, html`<h1>${title}</h1><p>${message}</p><p><a class="button" href="${link.href}">${link.text}</a></p>`);
}

// ── the printable statement ────────────────────────────────────────────────────────────────────────────────────
export interface PrintableStatement {
  practiceName: string;
  patientName: string;
  accountId: string;
  statementDate: string;
  lines: PortalLine[];
  totalCents: Cents;
  paidCents: Cents;
  dueCents: Cents;
  portalUrl: string;
  /** Where the "back" link of the screen toolbar goes; none on the staff copy. */
  backHref?: string;
}

export function printableStatementPage(s: PrintableStatement): string {
  return htmlDocument({
    title: html`Statement ${formatDate(s.statementDate)} · ${s.practiceName}`,
    head: html`<link rel="stylesheet" href="/portal/static/statement.css">`,
  }, html`<nav class="toolbar" aria-label="Statement">
${s.backHref ? html`<a href="${s.backHref}">← Back</a>` : html`<span></span>`}
<span>Use your browser's Print command to print this statement.</span>
</nav>
<main class="sheet">
<header class="letterhead">
<div><h1>${s.practiceName}</h1><p>Patient billing statement</p></div>
<div class="doc-title"><h2>Statement</h2>
<dl class="meta">
<dt>Statement date</dt><dd>${formatDate(s.statementDate)}</dd>
<dt>Account ID</dt><dd>${s.accountId}</dd>
<dt>Amount due</dt><dd>${formatCents(s.dueCents)}</dd>
<dt>Due</dt><dd>Upon receipt</dd>
</dl></div>
</header>
<section class="addressee" aria-label="Patient"><p><strong>${s.patientName}</strong></p><p class="small">Mailing address of record</p></section>
<table class="lines">
<caption>Services and balances</caption>
<thead><tr><th scope="col">Date of service</th><th scope="col">Procedure</th><th scope="col" class="num">Charge</th><th scope="col" class="num">Insurance paid</th><th scope="col" class="num">Adjustments</th><th scope="col" class="num">Patient paid</th><th scope="col" class="num">Patient balance</th></tr></thead>
<tbody>
${s.lines.map((l) => html`<tr><td>${formatDate(l.dateOfService)}</td><td>${l.procedureCode}${l.description ? html` ${l.description}` : ''}</td><td class="num">${formatCents(l.chargeCents)}</td><td class="num">${formatCents(l.insurancePaidCents)}</td><td class="num">${formatCents(l.adjustmentCents)}</td><td class="num">${formatCents(l.patientPaidCents)}</td>
<td class="num">${lineBalance(l)}</td></tr>`)}
</tbody>
</table>
${changedNote(s.lines)}
<div class="totals"><dl>
<dt>Total of this statement</dt><dd>${formatCents(s.totalCents)}</dd>
${s.paidCents > 0 ? html`<dt>Payments received since</dt><dd>−${formatCents(s.paidCents)}</dd>` : ''}
<dt class="due">Amount due</dt><dd class="due">${formatCents(s.dueCents)}</dd>
</dl></div>
<section class="pay-online" aria-labelledby="pay-online-heading">
<h3 id="pay-online-heading">Pay online: fast and secure</h3>
<p>Go to <strong>${s.portalUrl}</strong> and enter your account ID <strong>${s.accountId}</strong> and the patient's date of birth.
You may pay all or part of the amount due.</p>
<p class="small">Questions about this statement? Call the ${s.practiceName} billing office.</p>
</section>
<section class="stub" aria-label="Payment stub">
<p class="small">Please detach and return this part with your payment.</p><p></p>
<div><p class="label">Account ID</p><p class="value">${s.accountId}</p></div>
<div><p class="label">Statement date</p><p class="value">${formatDate(s.statementDate)}</p></div>
<div><p class="label">Amount due</p><p class="value">${formatCents(s.dueCents)}</p></div>
<div><p class="label">Amount enclosed</p><p class="blank"></p></div>
<div><p class="label">Make checks payable to</p><p class="value">${s.practiceName}</p></div>
<div><p class="label">Patient</p><p class="value">${s.patientName}</p></div>
</section>
</main>`);
}
