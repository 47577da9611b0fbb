/**
 * Issue 16, "stand-in speaks 835": the stand-in clearinghouse's claims → real 835 files (ehr/standin/remittance-835.ts),
 * each read back by our own reader (envelopes, counts, BPR02 = Σ CLP04 − Σ PLB, per-claim and per-line balances).
 */
import type { ClaimRecord } from '../../db/queries/reference-data';
import { parseEnv } from '../../lib/config';
import { standinEnvSchema } from '../../ehr/standin/config';
import { readRemittance } from '../../edi/x835/validate';
import { writeRemittance } from '../../edi/x835/write';
import { Not835, remittanceFile, STANDIN_PAYEE_NPI, type RemittanceClaim } from '../../ehr/standin/remittance-835';

const ctx = { traceNumber: 'SI20261130ABCDEF', controlNumber: 42, date: '2026-11-30', time: '0915', payee: { name: 'Sunset Family Medicine', npi: STANDIN_PAYEE_NPI } };
const base: ClaimRecord = {
  practiceExternalId: 'demo-practice', visitExternalId: 'v-1', externalId: 'c-1', version: 2, responsibility: 'patient', payerName: 'Blue Harbor Health',
  payerStatus: 'adjudicated', patientResponsibilityCents: 4000,
  lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 10000, adjustmentCents: 4000, patientResponsibilityCents: 4000 }],
};
const roundTrip = (claims: RemittanceClaim[]) => readRemittance(writeRemittance(remittanceFile(claims, ctx), { lineBreaks: true }));
const prOf = (c: { adjustments: { group: string; amountCents: number }[]; serviceLines: { adjustments: { group: string; amountCents: number }[] }[] }) =>
  [...c.adjustments, ...c.serviceLines.flatMap((l) => l.adjustments)].filter((a) => a.group === 'PR').reduce((n, a) => n + a.amountCents, 0);

describe('the stand-in clearinghouse writes real 835 files', () => {
  it('a transfer to the patient: CLP02 1, PR copay/deductible/coinsurance adding up to the patient responsibility, CO for the rest, a balanced envelope', () => {
    const r = roundTrip([{ claim: base, share: { copayCents: 2500, deductibleCents: 1000, coinsuranceCents: 500 }, patient: { firstName: 'Ada', lastName: 'Reyes' }, dateOfService: '2026-11-20' }]);
    expect(r.interchange).toMatchObject({ controlNumber: '000000042', usage: 'T', date: '2026-11-30' });
    const t = r.groups[0]!.transactions[0]!;
    expect(t.trace.number).toBe(ctx.traceNumber);
    expect(t.payment).toMatchObject({ totalCents: 10000, creditDebit: 'C', handlingCode: 'C', method: 'ACH' });
    const [claim] = t.claims;
    expect(claim).toMatchObject({ patientControlNumber: 'c-1', status: '1', chargeCents: 18000, paidCents: 10000, patientResponsibilityCents: 4000 });
    expect(claim!.serviceLines[0]!.adjustments).toEqual([
      { group: 'PR', reasonCode: '3', amountCents: 2500 }, { group: 'PR', reasonCode: '1', amountCents: 1000 },
      { group: 'PR', reasonCode: '2', amountCents: 500 }, { group: 'CO', reasonCode: '45', amountCents: 4000 },
    ]);
    expect(claim!.serviceLines[0]!.serviceDate).toBe('2026-11-20');
    expect(claim!.patient).toEqual({ lastName: 'Reyes', firstName: 'Ada' });
  });

  it('without a share, all of it is copay; a partial payment (one line paid, one not) spreads the share over the lines in order', () => {
    const partial: ClaimRecord = {
      ...base, patientResponsibilityCents: 9000,
      lines: [
        { lineNumber: 1, procedureCode: '99214', chargeCents: 25000, insurerPaidCents: 15000, adjustmentCents: 6000, patientResponsibilityCents: 4000 },
        { lineNumber: 2, procedureCode: '85025', chargeCents: 6500, insurerPaidCents: 0, adjustmentCents: 1500, patientResponsibilityCents: 5000 },
      ],
    };
    const claim = roundTrip([{ claim: partial, share: { copayCents: 2500, deductibleCents: 6500 } }]).groups[0]!.transactions[0]!.claims[0]!;
    expect(claim.serviceLines.map((l) => l.adjustments.filter((a) => a.group === 'PR').map((a) => [a.reasonCode, a.amountCents]))).toEqual([[['3', 2500], ['1', 1500]], [['1', 5000]]]);
    expect(claim.serviceLines[1]).toMatchObject({ paidCents: 0, chargeCents: 6500 });
    expect(prOf(claim)).toBe(9000);
    const copayOnly = roundTrip([{ claim: base }]).groups[0]!.transactions[0]!.claims[0]!;
    expect(copayOnly.serviceLines[0]!.adjustments.filter((a) => a.group === 'PR')).toEqual([{ group: 'PR', reasonCode: '3', amountCents: 4000 }]);
  });

  it('a reversal: CLP02 22 with every amount negated, the payment a debit', () => {
    const r = roundTrip([{ claim: { ...base, version: 3, responsibility: 'payer', payerStatus: 'reprocessing' } }]);
    const t = r.groups[0]!.transactions[0]!;
    expect(t.payment).toMatchObject({ totalCents: 10000, creditDebit: 'D' });
    expect(t.claims[0]).toMatchObject({ status: '22', chargeCents: -18000, paidCents: -10000, patientResponsibilityCents: -4000 });
    expect(prOf(t.claims[0]!)).toBe(-4000);
  });

  it('a denial: CLP02 4, nothing paid, the whole charge CO 50; a notification with no money', () => {
    const r = roundTrip([{ claim: { ...base, responsibility: 'payer', payerStatus: 'denied' } }]);
    const t = r.groups[0]!.transactions[0]!;
    expect(t.payment).toMatchObject({ totalCents: 0, handlingCode: 'H', method: 'NON' });
    expect(t.claims[0]).toMatchObject({ status: '4', paidCents: 0, patientResponsibilityCents: 0 });
    expect(t.claims[0]!.serviceLines[0]!.adjustments).toEqual([{ group: 'CO', reasonCode: '50', amountCents: 18000 }]);
  });

  it('several claims: one transaction per payer, each with its own trace, each balanced', () => {
    const other = { ...base, externalId: 'c-2', payerName: 'Pacific Mutual' };
    const r = roundTrip([{ claim: base }, { claim: other }, { claim: { ...base, externalId: 'c-3' } }]);
    const ts = r.groups[0]!.transactions;
    expect(ts.map((t) => [t.trace.number, t.claims.map((c) => c.patientControlNumber), t.payment.totalCents])).toEqual([
      [ctx.traceNumber, ['c-1', 'c-3'], 20000], [`${ctx.traceNumber}-2`, ['c-2'], 10000],
    ]);
    expect(new Set(ts.map((t) => t.trace.payerId)).size).toBe(2);
  });

  it.each([
    ['a claim still submitted', { ...base, responsibility: 'payer' as const, payerStatus: 'submitted' }, undefined, /has not adjudicated/],
    ['a share that does not add up', base, { copayCents: 2500 }, /adds up to 2500 cents/],
    ['lines that do not add up to the claim', { ...base, patientResponsibilityCents: 5000 }, undefined, /lines' patient responsibility/],
    ['paid + owed above the charge', { ...base, lines: [{ ...base.lines[0]!, insurerPaidCents: 15000 }] }, undefined, /exceed the charge/],
  ])('refuses %s (Not835)', (_label, claim, share, message) => {
    expect(() => remittanceFile([{ claim, ...(share ? { share } : {}) }], ctx)).toThrow(Not835);
    expect(() => remittanceFile([{ claim, ...(share ? { share } : {}) }], ctx)).toThrow(message);
  });

  it('cleans delimiters out of names instead of writing a broken file', () => {
    const r = roundTrip([{ claim: { ...base, payerName: 'Acme*Health~Plan' }, patient: { firstName: 'A:B', lastName: 'C^D' } }]);
    expect(r.groups[0]!.transactions[0]!.payer.name).toBe('Acme Health Plan');
    expect(r.groups[0]!.transactions[0]!.claims[0]!.patient).toEqual({ lastName: 'C D', firstName: 'A B' });
  });
});

describe('the stand-in configuration for its 835 files', () => {
  const messageFor = (env: Record<string, string>) => {
    try {
      parseEnv(standinEnvSchema, env);
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('defaults to 835 files with the demo clearinghouse token, to the webhook base URL', () => {
    expect(parseEnv(standinEnvSchema, {})).toMatchObject({ EHR_STANDIN_REMITTANCE_FORMAT: '835', PAYFLOW_API_TOKEN: 'demo-clearinghouse-token' });
    expect(parseEnv(standinEnvSchema, {}).PAYFLOW_API_URL).toBeUndefined(); // main.ts: PAYFLOW_WEBHOOK_BASE_URL
    expect(parseEnv(standinEnvSchema, { EHR_STANDIN_REMITTANCE_FORMAT: 'json', PAYFLOW_API_URL: 'http://api:3000' })).toMatchObject({ EHR_STANDIN_REMITTANCE_FORMAT: 'json', PAYFLOW_API_URL: 'http://api:3000' });
  });

  it.each([
    [{ EHR_STANDIN_REMITTANCE_FORMAT: 'xml' }, 'EHR_STANDIN_REMITTANCE_FORMAT must be 835 or json'],
    [{ PAYFLOW_API_URL: 'ftp://api' }, 'PAYFLOW_API_URL must be an http(s) URL'],
    [{ PAYFLOW_API_TOKEN: 'short' }, 'PAYFLOW_API_TOKEN must be at least 8 characters'],
  ])('refuses %j naming the variable, never its value', (env, message) => {
    const got = messageFor(env);
    expect(got).toContain(message);
    for (const v of Object.values(env)) expect(got).not.toContain(`: ${v}`);
  });
});
