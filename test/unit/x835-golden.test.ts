/**
 * Golden 835 files (test/fixtures/835/, written by hand in X12 5010 syntax, one segment per line so a segment's
 * position is its line number) → the exact model, or the exact error: segment, position, message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Remittance835, Transaction835 } from '../../edi/x835/model';
import { readRemittance } from '../../edi/x835/validate';
import { X12Error } from '../../edi/x12/errors';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/835', name), 'utf8');
const transactionsOf = (r: Remittance835) => r.groups.flatMap((g) => g.transactions);

function errorOf(read: () => unknown): { segment: string; position: number; message: string } {
  try {
    read();
  } catch (e) {
    if (!(e instanceof X12Error)) throw e;
    return { segment: e.segment, position: e.position, message: e.message };
  }
  throw new Error('expected an X12Error');
}

const ACME = { name: 'ACME HEALTH PLAN', id: { qualifier: 'XV', value: 'ACME01' } };
const CLINIC = { name: 'DEMO CLINIC', id: { qualifier: 'XX', value: '1234567893' } };

const transfer: Transaction835 = {
  controlNumber: '0001',
  payment: { handlingCode: 'I', totalCents: 6480, creditDebit: 'C', method: 'ACH', date: '2024-03-15' },
  trace: { number: 'EFT240315001', payerId: '1512345678' },
  payer: ACME,
  payee: CLINIC,
  claims: [{
    patientControlNumber: 'PFC-1001', status: '1', chargeCents: 24550, paidCents: 6480, patientResponsibilityCents: 6810,
    filingIndicator: '12', payerClaimControlNumber: 'ACM240315001', adjustments: [],
    patient: { lastName: 'DOE', firstName: 'JANE', memberId: 'W123456789' },
    serviceLines: [
      {
        procedure: { qualifier: 'HC', code: '99213', modifiers: [] }, chargeCents: 15000, paidCents: 5250, units: '1', serviceDate: '2024-03-01',
        adjustments: [{ group: 'PR', reasonCode: '3', amountCents: 2500 }, { group: 'CO', reasonCode: '45', amountCents: 7250 }],
      },
      {
        procedure: { qualifier: 'HC', code: '80053', modifiers: [] }, chargeCents: 9550, paidCents: 1230, units: '1', serviceDate: '2024-03-01',
        adjustments: [
          { group: 'PR', reasonCode: '1', amountCents: 4000 },
          { group: 'PR', reasonCode: '2', amountCents: 310 },
          { group: 'CO', reasonCode: '45', amountCents: 4010 },
        ],
      },
    ],
  }],
  providerAdjustments: [],
};

describe('835 golden files: valid', () => {
  it('a transfer to the patient (deductible, coinsurance, copay on the service lines): the whole model', () => {
    expect(readRemittance(fixture('transfer-to-patient.835'))).toEqual({
      interchange: {
        sender: { qualifier: 'ZZ', id: 'CLEARHOUSE' }, receiver: { qualifier: 'ZZ', id: 'PAYFLOWDEMO' },
        date: '2024-03-15', time: '1200', controlNumber: '000000101', usage: 'T',
      },
      groups: [{ senderCode: 'CLEARHOUSE', receiverCode: 'PAYFLOWDEMO', date: '2024-03-15', time: '1200', controlNumber: '101', transactions: [transfer] }],
    });
  });

  it('custom delimiters (| ! ^ ~) with CR LF line breaks read as the same file with * ^ : ~', () => {
    expect(readRemittance(fixture('custom-delimiters.835'))).toEqual(readRemittance(fixture('transfer-to-patient.835')));
  });

  it('a reversal (CLP02 = 22, negated) and its re-adjudication in one check', () => {
    expect(transactionsOf(readRemittance(fixture('reversal-readjudication.835')))).toEqual([{
      controlNumber: '0001',
      payment: { handlingCode: 'C', totalCents: 2000, creditDebit: 'C', method: 'CHK', date: '2024-03-15' },
      trace: { number: 'CHK40021', payerId: '1512345678' },
      payer: { name: 'ACME HEALTH PLAN' },
      payee: CLINIC,
      claims: [
        {
          patientControlNumber: 'PFC-1002', status: '22', chargeCents: -20000, paidCents: -12000, patientResponsibilityCents: -3000,
          filingIndicator: '12', payerClaimControlNumber: 'ACM240201007',
          adjustments: [{ group: 'CO', reasonCode: '45', amountCents: -5000 }, { group: 'PR', reasonCode: '2', amountCents: -3000 }],
          patient: { lastName: 'ROE', firstName: 'RICHARD' }, serviceLines: [],
        },
        {
          patientControlNumber: 'PFC-1002', status: '1', chargeCents: 20000, paidCents: 14000, patientResponsibilityCents: 1000,
          filingIndicator: '12', payerClaimControlNumber: 'ACM240315009',
          adjustments: [{ group: 'PR', reasonCode: '3', amountCents: 1000 }, { group: 'CO', reasonCode: '45', amountCents: 5000 }],
          patient: { lastName: 'ROE', firstName: 'RICHARD' }, serviceLines: [],
        },
      ],
      providerAdjustments: [],
    }]);
  });

  it('a denial (CLP02 = 4): nothing paid, a CO adjustment, notification only (BPR01 = H, NON)', () => {
    expect(transactionsOf(readRemittance(fixture('denial.835')))).toEqual([{
      controlNumber: '0001',
      payment: { handlingCode: 'H', totalCents: 0, creditDebit: 'C', method: 'NON', date: '2024-03-15' },
      trace: { number: 'NOPAY0315', payerId: '1512345678' },
      payer: ACME,
      payee: CLINIC,
      claims: [{
        patientControlNumber: 'PFC-1003', status: '4', chargeCents: 18000, paidCents: 0, patientResponsibilityCents: 0,
        filingIndicator: '12', payerClaimControlNumber: 'ACM240315011', adjustments: [],
        patient: { lastName: 'POE', firstName: 'ALEX', memberId: 'X987654321' },
        serviceLines: [{
          procedure: { qualifier: 'HC', code: '97110', modifiers: ['GP'] }, chargeCents: 18000, paidCents: 0, units: '3', serviceDate: '2024-03-05',
          adjustments: [{ group: 'CO', reasonCode: '50', amountCents: 18000 }],
        }],
      }],
      providerAdjustments: [],
    }]);
  });

  it('a multi-claim check with a PLB: interest (L6, negative) adds, a recoupment (WO, positive) reduces', () => {
    const [t] = transactionsOf(readRemittance(fixture('multi-claim-plb.835')));
    expect(t).toEqual({
      controlNumber: '0001',
      payment: { handlingCode: 'I', totalCents: 38350, creditDebit: 'C', method: 'ACH', date: '2024-03-15' },
      trace: { number: 'EFT240315077', payerId: '1512345678' },
      payer: ACME,
      payee: CLINIC,
      claims: [
        {
          patientControlNumber: 'PFC-2001', status: '1', chargeCents: 15000, paidCents: 10000, patientResponsibilityCents: 2000,
          filingIndicator: '12', payerClaimControlNumber: 'ACM240315021',
          adjustments: [{ group: 'PR', reasonCode: '2', amountCents: 2000 }, { group: 'CO', reasonCode: '45', amountCents: 3000 }],
          patient: { lastName: 'DOE', firstName: 'JOHN', memberId: 'W555000111' }, serviceLines: [],
        },
        {
          patientControlNumber: 'PFC-2002', status: '2', chargeCents: 30075, paidCents: 25075, patientResponsibilityCents: 0,
          filingIndicator: 'MC', payerClaimControlNumber: 'ACM240315022',
          adjustments: [{ group: 'OA', reasonCode: '23', amountCents: 5000 }],
          patient: { lastName: 'LEE', firstName: 'KIM', memberId: 'M222333444' }, serviceLines: [],
        },
        {
          patientControlNumber: 'PFC-2003', status: '1', chargeCents: 12000, paidCents: 8025, patientResponsibilityCents: 3975,
          filingIndicator: '12', payerClaimControlNumber: 'ACM240315023', adjustments: [],
          patient: { lastName: 'PARK', firstName: 'SAM', memberId: 'W777888999' },
          serviceLines: [{
            procedure: { qualifier: 'HC', code: '99214', modifiers: ['25'] }, chargeCents: 12000, paidCents: 8025, units: '1', serviceDate: '2024-03-10',
            adjustments: [{ group: 'PR', reasonCode: '1', amountCents: 3975 }],
          }],
        },
      ],
      providerAdjustments: [{
        providerId: '1234567893', fiscalPeriodDate: '2024-12-31',
        items: [{ reasonCode: 'L6', amountCents: -250 }, { reasonCode: 'WO', reference: 'ACM231101005', amountCents: 5000 }],
      }],
    });
    // 100.00 + 250.75 + 80.25 = 431.00 paid on claims; − (−2.50 + 50.00) of PLB = 383.50 = BPR02
    expect(t!.payment.totalCents).toBe(10000 + 25075 + 8025 - (-250 + 5000));
  });

  it('two ST transactions in one group, each its own payment', () => {
    const r = readRemittance(fixture('two-transactions.835'));
    expect(r.groups).toHaveLength(1);
    expect(transactionsOf(r)).toEqual([
      {
        controlNumber: '0001',
        payment: { handlingCode: 'I', totalCents: 9000, creditDebit: 'C', method: 'ACH', date: '2024-03-15' },
        trace: { number: 'EFT240315101', payerId: '1512345678' },
        payer: ACME, payee: CLINIC,
        claims: [{
          patientControlNumber: 'PFC-3001', status: '1', chargeCents: 12000, paidCents: 9000, patientResponsibilityCents: 3000,
          filingIndicator: '12', payerClaimControlNumber: 'ACM240315031', adjustments: [{ group: 'PR', reasonCode: '3', amountCents: 3000 }],
          patient: { lastName: 'DOE', firstName: 'JANE', memberId: 'W123456789' }, serviceLines: [],
        }],
        providerAdjustments: [],
      },
      {
        controlNumber: '0002',
        payment: { handlingCode: 'I', totalCents: 4525, creditDebit: 'C', method: 'CHK', date: '2024-03-16' },
        trace: { number: 'CHK50022', payerId: '1999999999' },
        payer: { name: 'BETA MUTUAL', id: { qualifier: 'XV', value: 'BETA02' } }, payee: CLINIC,
        claims: [{
          patientControlNumber: 'PFC-3002', status: '2', chargeCents: 6000, paidCents: 4525, patientResponsibilityCents: 1475,
          filingIndicator: 'MC', payerClaimControlNumber: 'BETA240316001', adjustments: [{ group: 'PR', reasonCode: '2', amountCents: 1475 }],
          patient: { lastName: 'DOE', firstName: 'JANE', memberId: 'M123456789' }, serviceLines: [],
        }],
        providerAdjustments: [],
      },
    ]);
  });
});

describe('835 golden files: refused, naming segment and position, never the contents', () => {
  it.each([
    ['bad-se-count.835', 'SE', 17, 'SE at segment 17: SE01 says 14 segments in the transaction, there are 15'],
    ['bad-ge-count.835', 'GE', 18, 'GE at segment 18: GE01 says 2 transactions in the group, there are 1'],
    ['bad-iea-count.835', 'IEA', 19, 'IEA at segment 19: IEA01 says 2 functional groups in the interchange, there are 1'],
    ['control-mismatch.835', 'SE', 17, 'SE at segment 17: SE02 does not match ST02 (ST at segment 3)'],
    ['unbalanced-bpr.835', 'BPR', 4,
      "BPR at segment 4: BPR02 (total payment $95.00) must equal the claims' payments minus the provider adjustments (PLB): $90.00"],
    ['non-numeric-amount.835', 'CLP', 14, 'CLP at segment 14: CLP04 (payment amount) is not an amount'],
    ['three-decimals.835', 'CLP', 14, 'CLP at segment 14: CLP03 (total charge) has more than 2 decimals'],
    ['truncated.835', 'NM1', 16, 'NM1 at segment 16: the file ends inside this segment (no segment terminator)'],
  ])('%s → %s at segment %d', (name, segment, position, message) => {
    const error = errorOf(() => readRemittance(fixture(name)));
    expect(error).toEqual({ segment, position, message });
    expect(error.message).not.toMatch(/DOE|JANE|W123456789|PFC-/); // no PHI, no claim numbers
  });

  const small = fixture('bad-se-count.835').replace('SE*14*0001', 'SE*15*0001');

  it('the base of those files is itself valid', () => {
    expect(() => readRemittance(small)).not.toThrow();
  });

  it.each([
    ['GE02 ≠ GS06', small.replace('GE*1*106', 'GE*1*107'), { segment: 'GE', position: 18, message: 'GE at segment 18: GE02 does not match GS06 (GS at segment 2)' }],
    ['IEA02 ≠ ISA13', small.replace('IEA*1*000000106', 'IEA*1*000000107'), { segment: 'IEA', position: 19, message: 'IEA at segment 19: IEA02 does not match ISA13 (ISA at segment 1)' }],
    ['cut after a segment: no SE', small.slice(0, small.indexOf('\nSE*') + 1), { segment: 'SE', position: 17, message: 'SE at segment 17: the file ends before SE: it is truncated' }],
    ['cut before IEA', small.slice(0, small.indexOf('\nIEA*') + 1), { segment: 'IEA', position: 19, message: 'IEA at segment 19: the file ends before IEA: it is truncated' }],
    ['a CAS before any claim', small.replace('LX*1~', 'CAS*PR*1*5~'), { segment: 'CAS', position: 13, message: 'CAS at segment 13: CAS outside a claim' }],
    ['a claim without its patient', small.replace(/NM1\*QC[^~]*~\n/, 'REF*1K*X~\n'), { segment: 'CLP', position: 14, message: 'CLP at segment 14: the claim has no patient (NM1*QC)' }],
    ['an unknown segment', small.replace('LX*1~', 'ZZZ*1~'), { segment: 'ZZZ', position: 13, message: 'ZZZ at segment 13: not a segment of an 835' }],
    ['an impossible date', small.replace('*20240315~', '*20240231~'), { segment: 'BPR', position: 4, message: 'BPR at segment 4: BPR16 (payment date) is not a date' }],
    ['claim status 5', small.replace('CLP*PFC-3001*1*', 'CLP*PFC-3001*5*'), {
      segment: 'CLP', position: 14, message: 'CLP at segment 14: CLP02 (claim status) must be one of 1, 2, 3, 4, 19, 20, 21, 22, 23' }],
    ['a reversal with positive amounts', small.replace('CLP*PFC-3001*1*', 'CLP*PFC-3001*22*'), {
      segment: 'CLP', position: 14, message: 'CLP at segment 14: a reversal (CLP02 = 22) carries negated amounts: CLP03, CLP04 and CLP05 cannot be positive' }],
    ['a claim whose adjustments do not explain the difference', small.replace('CAS*PR*3*30', 'CAS*PR*3*20'), {
      segment: 'CLP', position: 14, message: 'CLP at segment 14: CLP03 − CLP04 ($30.00) must equal the claim\'s adjustments (CAS), lines included: $20.00' }],
    ['version 4010', small.replace('*00501*', '*00401*'), { segment: 'ISA', position: 1, message: 'ISA at segment 1: ISA12 must be 00501: only X12 version 5010 is read' }],
    ['not an X12 file', 'hello', { segment: 'ISA', position: 1, message: 'ISA at segment 1: an interchange must begin with an ISA segment' }],
  ])('%s', (_what, text, expected) => {
    expect(errorOf(() => readRemittance(text))).toEqual(expected);
  });
});
