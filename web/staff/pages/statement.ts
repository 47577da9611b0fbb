/**
 * A statement for billing staff: its facts and every message sent about it (the statement, its reminders, a postal
 * letter that replaced a failed email or text), each with its delivery state: pending, sent (when), failed (retried),
 * rejected (refused for good, with the reason code), suppressed; attempts; and the fallback that replaced it. PHI
 * (recipients): billing and admin only, as GET /v1/notifications.
 */
import { html } from '../../../lib/html';
import { formatDate, formatInstant, money, page, type PageContext } from '../layout';

export interface StatementMessagesModel {
  statement: { statementId: string; patientId: string; statementDate: string; status: string; totalCents: number; dueCents: number; paidCents: number; printUrl: string };
  timeZone: string;
  messages: {
    id: string; channel: string; kind: string; sequence: number; recipient: string; createdAt: Date;
    delivery: { state: string; attempts: number; lastError: string | null; sentAt: Date | null; fallbackOf: string | null; fallbackId: string | null };
  }[];
}

const STATE_WORDS: Record<string, string> = {
  pending: 'Pending', sent: 'Sent', failed: 'Failed (retrying)', rejected: 'Rejected', suppressed: 'Suppressed', delivered: 'Delivered', undelivered: 'Undelivered',
};
const CHANNEL_WORDS: Record<string, string> = { email: 'Email', text: 'Text message', mail: 'Postal mail' };
const kindWords = (kind: string, sequence: number) => (kind === 'reminder' ? `Reminder ${sequence}` : kind === 'statement' ? 'Statement' : 'Receipt');

export function statementMessagesPage(ctx: PageContext, m: StatementMessagesModel): string {
  const s = m.statement;
  const rows = m.messages.map((n) => {
    const d = n.delivery;
    const fallback = d.fallbackOf ? 'replaces a failed message' : d.fallbackId ? 'replaced by postal mail' : '';
    return html`<tr id="message-${n.id}">
<td>${kindWords(n.kind, n.sequence)}</td><td>${CHANNEL_WORDS[n.channel] ?? n.channel}</td>
<td class="small">${n.recipient}</td>
<td><strong>${STATE_WORDS[d.state] ?? d.state}</strong>${d.lastError ? html`<br><span class="small">${d.lastError}</span>` : ''}</td>
<td class="num">${d.attempts}</td><td>${d.sentAt ? formatInstant(d.sentAt, m.timeZone) : '—'}</td>
<td class="small">${fallback}</td>
</tr>`;
  });
  const title = `Statement ${formatDate(s.statementDate)}`;
  return page({ title, section: 'patients', ctx }, html`<p class="crumbs"><a href="/staff/patients/${s.patientId}">← The patient</a></p>
<h1>Statement of ${formatDate(s.statementDate)}</h1>
<dl class="facts">
<dt>Status</dt><dd>${s.status}</dd><dt>Total</dt><dd>${money(s.totalCents)}</dd><dt>Paid since</dt><dd>${money(s.paidCents)}</dd>
<dt>Due</dt><dd>${money(s.dueCents)}</dd><dt>Printable statement</dt><dd><a href="${s.printUrl}">Open</a></dd>
</dl>
<h2>Messages</h2>
${m.messages.length === 0 ? html`<p class="muted">No message sent yet.</p>` : html`<table class="data">
<caption class="visually-hidden">Messages about this statement, newest first, with their delivery state</caption>
<thead><tr><th scope="col">Message</th><th scope="col">Channel</th><th scope="col">To</th><th scope="col">Delivery</th>
<th scope="col" class="num">Attempts</th><th scope="col">Sent</th><th scope="col">Fallback</th></tr></thead>
<tbody>${rows}</tbody></table>`}`);
}
