/**
 * The staff pages' shell and small shared pieces. Every value reaches HTML through the `html` tag of lib/html.ts
 * (escaped unless it is itself `html`), the same helper the patient portal uses; dates are formatted as on the portal
 * (../format.ts). One stylesheet and one script, both static files (CSP: no inline code). The pages are in pages/.
 */
import type { Staff } from '../../db/queries/staff';
import type { ManualReason } from '../../domain/application-rules';
import { formatCents } from '../../domain/money';
import { html, htmlDocument, type Interpolation, type SafeHtml } from '../../lib/html';
import { REASON_LABELS, type CreditAge } from '../../domain/manual-tasks';

export { formatDate, formatInstant } from '../format';

export type Section = 'queue' | 'patients' | 'reports' | 'remittances' | 'team' | 'settings' | 'none';

export interface PageContext { staff: Staff; csrf: string }

export const ROLE_LABELS = { front_desk: 'front desk', billing: 'billing', admin: 'admin' } as const;

/** The signed-in person, and their role unless their name already says it. */
function who(staff: Staff): SafeHtml {
  const role = ROLE_LABELS[staff.role];
  return html`${staff.displayName}${staff.displayName.includes(`(${role})`) ? '' : html` <span class="role">(${role})</span>`}`;
}

export function page(o: { title: string; section: Section; ctx?: PageContext }, body: Interpolation): string {
  const nav = (section: Section, href: string, label: string): SafeHtml =>
    html`<li><a href="${href}"${o.section === section ? html` aria-current="page"` : ''}>${label}</a></li>`;
  const ctx = o.ctx;
  return htmlDocument({
    title: html`${o.title} · payflow staff`,
    head: html`<link rel="stylesheet" href="/staff/static/staff.css">
<script src="/staff/static/staff.js" defer></script>`,
  }, html`<a class="skip" href="#main">Skip to main content</a>
<header class="bar"><nav aria-label="Main">
<a class="brand" href="/staff/queue">payflow · billing</a>
${ctx ? html`<ul>
${nav('queue', '/staff/queue', 'Work queue')}
${nav('patients', '/staff/patients', 'Patients')}
${ctx.staff.role !== 'front_desk' ? html`${nav('reports', '/staff/reports', 'Reports')}${nav('remittances', '/staff/remittances', 'Remittances')}` : ''}
${ctx.staff.role === 'admin' ? html`${nav('team', '/staff/team', 'Team')}${nav('settings', '/staff/settings', 'Settings')}` : ''}
</ul>
<div class="who"><span>${who(ctx.staff)}</span>
<form method="post" action="/staff/sign-out">${csrfField(ctx)}<button type="submit" class="link">Sign out</button></form></div>` : ''}
</nav></header>
<main id="main" tabindex="-1">
${body}
</main>`);
}

export const csrfField = (ctx: PageContext): SafeHtml => html`<input type="hidden" name="csrf" value="${ctx.csrf}">`;

/** ` aria-invalid="true"` on a field that was refused. */
export const ariaInvalid = (refused: unknown): Interpolation => (refused ? html` aria-invalid="true"` : '');

/** A form field's refusal, under it (`<field>-error`, which describedBy names). */
export const errorLine = (field: string, message: string | undefined): Interpolation =>
  (message ? html`<p class="error" id="${field}-error">${message}</p>` : '');

/** A field's aria-describedby (its hint, `<field>-hint`, and its refusal) and aria-invalid when refused. */
export const describedBy = (field: string, message: string | undefined, hint = true): SafeHtml => {
  const ids = [hint ? `${field}-hint` : '', message ? `${field}-error` : ''].filter(Boolean).join(' ');
  return ids ? html` aria-describedby="${ids}"${ariaInvalid(message)}` : html``;
};

/** One radio choice with its label. */
export function choice(name: string, value: string, label: Interpolation, checked: boolean, extra: Interpolation = ''): SafeHtml {
  return html`<label><input type="radio" name="${name}" value="${value}"${checked ? html` checked` : ''}${extra}><span>${label}</span></label>`;
}

export const secondaryButton = (label: string): SafeHtml => html`<button type="submit" class="secondary">${label}</button>`;

const DOLLAR_SIGN = html`<span aria-hidden="true">$</span>`;

/**
 * An amount in dollars: "$" before a decimal text input. `attrs` are the input's further attributes, each with its
 * leading space (autocomplete, aria-describedby, aria-invalid, …).
 */
export const dollarsInput = ({ id, name, value }: { id: string; name: string; value: string }, attrs: Interpolation): SafeHtml =>
  html`<span class="prefix">${DOLLAR_SIGN}<input type="text" inputmode="decimal" class="amount" id="${id}" name="${name}" value="${value}"${attrs}></span>`;

export const money = (cents: number): string => formatCents(cents);

/** A task's reason in plain words (the code itself for a reason this version does not know). */
export const reasonLabel = (reason: string): string => REASON_LABELS[reason as ManualReason] ?? reason;

export const reasonBadge = (reason: string): SafeHtml => html`<span class="badge reason">${reasonLabel(reason)}</span>`;

const STATUS_WORDS: Record<string, string> = {
  open: 'open', resolved: 'resolved', starting: 'starting', awaiting_capture: 'waiting for payment', awaiting_transfer: 'waiting for the payer',
  applied: 'applied', needs_attention: 'needs staff', expired: 'expired', cancelled: 'cancelled', pending: 'waiting to be sent', sent: 'sent',
};
export const statusBadge = (status: string): SafeHtml => html`<span class="badge ${status}">${STATUS_WORDS[status] ?? status}</span>`;

export const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;
/** "today", "1 day ago", "12 days ago". */
export const daysAgo = (n: number) => (n === 0 ? 'today' : `${days(n)} ago`);

/** A credit's age against its 30-day refund deadline: a meter and words (the words carry the meaning). */
export function deadline(c: CreditAge | null): Interpolation {
  if (!c) return html`<span class="muted">—</span>`;
  const cls = c.overdue ? 'overdue' : c.daysLeft <= 7 ? 'soon' : '';
  const words = c.overdue ? `${days(c.ageDays)} old · overdue by ${days(-c.daysLeft)}` : `${days(c.ageDays)} old · ${days(c.daysLeft)} left`;
  const meter = html`<meter min="0" max="30" low="15" high="23" optimum="0" value="${Math.min(c.ageDays, 30)}" aria-hidden="true"></meter>`;
  return html`<span class="deadline ${cls}">${meter}<span>${words}</span></span>`;
}

export const patientName = (p: { firstName: string; lastName: string }) => `${p.lastName}, ${p.firstName}`;

export interface Notice { kind: 'ok' | 'bad' | 'warn' | 'info'; title: string; text?: Interpolation; focus?: boolean }

export function notice(n: Notice | undefined): Interpolation {
  if (!n) return '';
  const role = n.kind === 'bad' ? 'alert' : 'status';
  return html`<div class="notice ${n.kind === 'info' ? '' : n.kind}" role="${role}" tabindex="-1"${n.focus ? html` data-focus-on-load` : ''}>
<h2>${n.title}</h2>${n.text ? html`<p>${n.text}</p>` : ''}</div>`;
}

/** What staff typed in a Collect Now form (patient billing page, superbill), and why it was refused. */
export interface CollectFormState { amount?: string; claimIds?: string[]; error?: string }

/** A Collect Now form's refusal, announced. */
export const collectError = (form: CollectFormState | undefined): Interpolation =>
  (form?.error ? html`<p class="error" id="collect-error" role="alert">${form.error}</p>` : '');

