/**
 * The statement email (and its reminders): an HTML and a plain-text body with the statement's summary and a pay link,
 * and the statement as a PDF. Rendered from the statement as it is when the message is first written (the outbox row
 * then holds it, so a retry sends the same message). The summary is the minimum the patient needs: first name, the
 * statement date, the number of services, total, paid and amount due; the lines are in the PDF. The pay link opens
 * the portal scoped to this statement (the date of birth is still asked); the portal address and account ID follow
 * for when the link has run out.
 */
import type { Db } from '../db/connection';
import { statementDocument } from '../db/queries/statements';
import { formatCents } from '../domain/money';
import type { NotificationKind } from '../domain/notices';
import { html, htmlDocument } from '../lib/html';
import { printableOf } from '../app/statements';
import { portalUrlOf } from '../activities/statement-notices';
import { formatDate } from '../web/format';
import { payLinkFor, type PayLinkSettings } from './pay-link';
import { renderStatementPdf } from './statement-pdf';
import { unsubscribeUrl } from './unsubscribe-link';

export interface ComposedEmail {
  subject: string;
  text: string;
  html: string;
  attachment: { filename: string; content: Buffer };
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const longDate = (d: Date) => new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(d);

/** undefined when the statement is gone (never: statements are not deleted) or the patient has no email address. */
export async function composeStatementEmail(
  db: Db,
  payLinks: PayLinkSettings,
  input: { statementId: string; kind: NotificationKind; sequence: number; businessKey: string; publicBaseUrl: string },
): Promise<ComposedEmail | undefined> {
  const doc = await statementDocument(db, input.statementId);
  if (!doc || !doc.patient.email) return undefined;
  const portal = portalUrlOf(input.publicBaseUrl);
  const printed = await printableOf(db, doc, portal);
  const link = await payLinkFor(db, payLinks, { statementId: doc.statement.id, businessKey: input.businessKey, publicBaseUrl: input.publicBaseUrl });
  const practice = doc.practice.name;
  const dated = formatDate(doc.statement.statement_date);
  const reminder = input.kind === 'reminder';
  const due = formatCents(doc.due.dueCents);
  const subject = reminder ? `Reminder: your statement from ${practice}` : `Your statement from ${practice}`;
  const opening = reminder
    ? `This is a reminder about your statement from ${practice} dated ${dated}. The balance due is ${due}.`
    : `Your statement from ${practice} dated ${dated} is ready. The amount due is ${due}.`;
  const validity = `This link is yours: it works ${plural(link.maxUses, 'time')}, until ${longDate(link.expiresAt)}, and asks for the patient's date of birth.`;
  const fallback = `If the link no longer works, go to ${portal} and enter your account ID ${doc.patient.accountId} and the patient's date of birth.`;
  const unsubscribe = unsubscribeUrl(input.publicBaseUrl, doc.statement.patient_id, payLinks.secret);
  const summary: [string, string][] = [
    ['Statement date', dated], ['Services', String(printed.lines.length)], ['Total of this statement', formatCents(doc.due.totalCents)],
    ...(doc.due.paidCents > 0 ? [['Payments received since', `-${formatCents(doc.due.paidCents)}`] as [string, string]] : []),
    ['Amount due', due],
  ];

  const text = [
    `Dear ${doc.patient.firstName},`, '', opening, '',
    ...summary.map(([k, v]) => `${k}: ${v}`), '',
    ...(printed.planNote ? [printed.planNote, ''] : []),
    `Pay online: ${link.url}`, validity, 'You can pay all of it or part of it.', '',
    fallback, '',
    'Your statement is attached as a PDF.', '',
    `Questions about your bill? Call the ${practice} billing office.`, '',
    `No more email from us? Unsubscribe: ${unsubscribe} (your statements then come by mail).`,
  ].join('\n');

  const body = htmlDocument({ title: subject }, html`<div style="font-family: Arial, Helvetica, sans-serif; max-width: 560px; color: #1a1a1a; line-height: 1.5">
<p style="font-size: 18px; font-weight: bold; margin: 0 0 16px">${practice}</p>
<p>Dear ${doc.patient.firstName},</p>
<p>${opening}</p>
<table role="presentation" style="border-collapse: collapse; margin: 16px 0">
${summary.map(([k, v], i) => html`<tr><td style="padding: 4px 16px 4px 0${i === summary.length - 1 ? '; font-weight: bold' : ''}">${k}</td><td style="padding: 4px 0; text-align: right${i === summary.length - 1 ? '; font-weight: bold' : ''}">${v}</td></tr>`)}
</table>
${printed.planNote ? html`<p>${printed.planNote}</p>` : ''}
<p><a href="${link.url}" style="display: inline-block; background: #0b5cad; color: #ffffff; padding: 12px 20px; border-radius: 4px; text-decoration: none; font-weight: bold">Pay ${due} online</a></p>
<p style="font-size: 13px; color: #555">${validity} You can pay all of it or part of it.</p>
<p style="font-size: 13px; color: #555">${fallback}</p>
<p>Your statement is attached as a PDF.</p>
<p style="font-size: 13px; color: #555">Questions about your bill? Call the ${practice} billing office.</p>
<p style="font-size: 12px; color: #777">No more email from us? <a href="${unsubscribe}" style="color: #555">Unsubscribe</a> (your statements then come by mail).</p>
</div>`);

  const pdf = await renderStatementPdf(printed);
  return { subject, text, html: body, attachment: { filename: `statement-${doc.statement.statement_date}.pdf`, content: pdf } };
}
