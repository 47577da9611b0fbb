/**
 * The statement as a PDF (pdfkit), attached to the statement email: the same content as the printable statement
 * (web/portal/pages/printable-statement.ts, from the same data: app/statements.ts portalLines): letterhead, statement
 * date, account ID, amount due, the lines (date of service, procedure, charge, insurance paid, adjustments, patient
 * paid, patient balance: today's when it changed), why the patient owes each claim, the totals, how to pay online, the
 * payment stub. Letter size, the built-in Helvetica (no font files), deterministic for the same data (fixed dates).
 */
import PDFDocument from 'pdfkit';
import { formatCents, type Cents } from '../domain/money';
import { owedLineText, type OwedLine } from '../domain/remittance-reasons';
import { formatDate } from '../web/format';

export interface StatementPdfLine {
  dateOfService: string; procedureCode: string; description: string | null; chargeCents: Cents; insurancePaidCents: Cents;
  adjustmentCents: Cents; patientPaidCents: Cents; balanceCents: Cents; currentBalanceCents: Cents; whyYouOwe?: OwedLine[];
}

export interface StatementPdfModel {
  practiceName: string; patientName: string; accountId: string; statementDate: string; lines: StatementPdfLine[];
  totalCents: Cents; paidCents: Cents; dueCents: Cents; portalUrl: string;
  /** The line about the patient's live payment plan, whose claims the statement leaves out. */
  planNote?: string;
}

const COLUMNS: { title: string; width: number; align: 'left' | 'right' }[] = [
  { title: 'Date of service', width: 70, align: 'left' }, { title: 'Procedure', width: 150, align: 'left' },
  { title: 'Charge', width: 55, align: 'right' }, { title: 'Insurance paid', width: 55, align: 'right' },
  { title: 'Adjustments', width: 55, align: 'right' }, { title: 'Patient paid', width: 55, align: 'right' },
  { title: 'Patient balance', width: 72, align: 'right' },
];

export function renderStatementPdf(s: StatementPdfModel): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'LETTER', margin: 50,
    // Fixed metadata dates: the same statement renders to the same bytes.
    info: { Title: `Statement ${formatDate(s.statementDate)}`, Author: s.practiceName, CreationDate: new Date(`${s.statementDate}T12:00:00Z`), ModDate: new Date(`${s.statementDate}T12:00:00Z`) },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;

  // Letterhead and the statement's facts.
  doc.font('Helvetica-Bold').fontSize(18).text(s.practiceName, left, 50, { width: width / 2 });
  doc.font('Helvetica').fontSize(10).text('Patient billing statement', { width: width / 2 });
  const facts: [string, string][] = [
    ['Statement date', formatDate(s.statementDate)], ['Account ID', s.accountId], ['Amount due', formatCents(s.dueCents)], ['Due', 'Upon receipt'],
  ];
  doc.font('Helvetica-Bold').fontSize(14).text('Statement', left + width / 2, 50, { width: width / 2, align: 'right' });
  for (const [k, v] of facts) doc.font('Helvetica').fontSize(9).text(`${k}: ${v}`, left + width / 2, undefined, { width: width / 2, align: 'right' });
  doc.moveDown(2);
  doc.font('Helvetica-Bold').fontSize(11).text(s.patientName, left);
  doc.font('Helvetica').fontSize(8).text('Mailing address of record');
  doc.moveDown(1.5);

  // The lines.
  const row = (cells: string[], font: string) => {
    const y = doc.y;
    let x = left;
    let bottom = y;
    doc.font(font).fontSize(8);
    cells.forEach((cell, i) => {
      const col = COLUMNS[i]!;
      doc.text(cell, x, y, { width: col.width - 4, align: col.align });
      bottom = Math.max(bottom, doc.y);
      x += col.width;
    });
    doc.x = left;
    doc.y = bottom + 4;
  };
  row(COLUMNS.map((c) => c.title), 'Helvetica-Bold');
  doc.moveTo(left, doc.y - 2).lineTo(left + width, doc.y - 2).stroke();
  for (const l of s.lines) {
    const balance = l.currentBalanceCents === l.balanceCents ? formatCents(l.balanceCents) : `${formatCents(l.balanceCents)} (now ${formatCents(l.currentBalanceCents)})`;
    row([
      formatDate(l.dateOfService), `${l.procedureCode}${l.description ? ` ${l.description}` : ''}`, formatCents(l.chargeCents),
      formatCents(l.insurancePaidCents), formatCents(l.adjustmentCents), formatCents(l.patientPaidCents), balance,
    ], 'Helvetica');
    if (l.whyYouOwe && l.whyYouOwe.length > 0) {
      doc.font('Helvetica-Oblique').fontSize(8).text('Why you owe for this visit, as your insurance explained it:', left + 10, undefined, { width: width - 10 });
      for (const r of l.whyYouOwe) doc.font('Helvetica').fontSize(8).text(`• ${owedLineText(r)}`, left + 16, undefined, { width: width - 16 });
      doc.x = left;
      doc.moveDown(0.5);
    }
  }
  if (s.lines.some((l) => l.currentBalanceCents !== l.balanceCents)) {
    doc.font('Helvetica').fontSize(8).text("Some balances changed since this statement (your insurance reprocessed a claim). The amount due is today's.", left, undefined, { width });
  }
  doc.moveTo(left, doc.y).lineTo(left + width, doc.y).stroke();
  doc.moveDown(0.5);

  // Totals.
  const total = (label: string, value: string, bold = false) =>
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(bold ? 11 : 9).text(`${label}   ${value}`, left, undefined, { width, align: 'right' });
  total('Total of this statement', formatCents(s.totalCents));
  if (s.paidCents > 0) total('Payments received since', `-${formatCents(s.paidCents)}`);
  total('Amount due', formatCents(s.dueCents), true);
  if (s.planNote) doc.moveDown(0.5).font('Helvetica').fontSize(9).text(s.planNote, left, undefined, { width });
  doc.moveDown(1.5);

  // How to pay online.
  doc.font('Helvetica-Bold').fontSize(11).text('Pay online: fast and secure', left, undefined, { width });
  doc.font('Helvetica').fontSize(9).text(
    `Go to ${s.portalUrl} and enter your account ID ${s.accountId} and the patient's date of birth. You may pay all or part of the amount due.`,
    { width },
  );
  doc.fontSize(8).text(`Questions about this statement? Call the ${s.practiceName} billing office.`, { width });
  doc.moveDown(2);

  // The payment stub.
  doc.dash(3, { space: 3 }).moveTo(left, doc.y).lineTo(left + width, doc.y).stroke().undash();
  doc.moveDown(0.5);
  doc.font('Helvetica').fontSize(8).text('Please detach and return this part with your payment.', left, undefined, { width });
  doc.moveDown(0.5);
  const stub: [string, string][] = [
    ['Account ID', s.accountId], ['Statement date', formatDate(s.statementDate)], ['Amount due', formatCents(s.dueCents)], ['Amount enclosed', '________________'],
    ['Make checks payable to', s.practiceName], ['Patient', s.patientName],
  ];
  for (const [k, v] of stub) doc.font('Helvetica').fontSize(9).text(`${k}: `, { continued: true }).font('Helvetica-Bold').text(v);
  doc.end();
  return done;
}
