/**
 * The payment receipt email: an HTML and a plain-text body (domain/receipts.ts says what it says), sent by the SMTP
 * notifier like every email (written to the outbox first, then handed over once). Rendered once, when the message is
 * first written: a retry sends what the outbox row holds.
 */
import { receiptContent, receiptText, type ReceiptModel } from '../domain/receipts';
import { html, htmlDocument } from '../lib/html';

export interface ComposedReceipt { subject: string; text: string; html: string }

export function composeReceiptEmail(r: ReceiptModel): ComposedReceipt {
  const c = receiptContent(r);
  const body = htmlDocument({ title: c.subject }, html`<div style="font-family: Arial, Helvetica, sans-serif; max-width: 560px; color: #1a1a1a; line-height: 1.5">
<p style="font-size: 18px; font-weight: bold; margin: 0 0 16px">${r.practiceName}</p>
<p>Dear ${r.firstName},</p>
<p>${c.opening}</p>
<table role="presentation" style="border-collapse: collapse; margin: 16px 0">
${c.lines.map((l, i) => html`<tr><td style="padding: 4px 16px 4px 0${i === 0 ? '; font-weight: bold' : ''}">${l.label}</td><td style="padding: 4px 0; text-align: right${i === 0 ? '; font-weight: bold' : ''}">${l.value}</td></tr>`)}
</table>
${c.notes.map((n) => html`<p style="font-size: 13px; color: #555">${n}</p>`)}
<p style="font-size: 13px; color: #555">${c.closing}</p>
</div>`);
  return { subject: c.subject, text: receiptText(r), html: body };
}
