/**
 * `npm run bench:remittance -- [--claims 5000] [--matched 2500] [--lanes 4] [--baseline 200] [--json out.json]`
 *
 * Ingest of one big 835 (issue 16) against an isolated real stack (bench/stack.ts): a generated file of `--claims`
 * claim payments, `--matched` of them naming our claims (each moves its claim to the patient), the rest unmatched,
 * written by the stand-in clearinghouse's builder (ehr/standin/remittance-835.ts → edi/x835/write.ts) and POSTed to
 * POST /v1/remittances as the clearinghouse does. Measures:
 *   - the time to ingest (the POST's answer), and how long our reader alone takes on the file in this process (the
 *     synchronous part: while the API parses, its event loop serves nothing else);
 *   - the API process's peak RSS (/proc VmRSS, sampled) and peak V8 heap used (its Prometheus default metrics), and the
 *     longest event-loop stall it saw (prom-client's nodejs_eventloop_lag_max_seconds, scraped every 250 ms);
 *   - Collect Now (POST /v1/visits/{id}/copay-collections, `--lanes` at once) p50/p99 without ingest, then while the
 *     file is being ingested: the ratio says how much a big file disturbs the front desk.
 * Figures are for the machine it ran on: report them as ratios, with the machine (bench/README.md).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { upsertClaim, upsertPatient, upsertPractice, upsertVisit, type ClaimRecord } from '../db/queries/reference-data';
import { upsertStaff } from '../db/queries/staff';
import { readRemittance } from '../edi/x835/validate';
import { writeRemittance } from '../edi/x835/write';
import { remittanceFile, STANDIN_PAYEE_NPI, type RemittanceClaim } from '../ehr/standin/remittance-835';
import { Latencies, memoryOf, sampleMemory } from './measure';
import { freePort, startBenchStack, type BenchStack } from './stack';

const { values: args } = parseArgs({
  options: {
    claims: { type: 'string', default: '5000' },
    matched: { type: 'string', default: '2500' },
    lanes: { type: 'string', default: '4' },
    baseline: { type: 'string', default: '200' },
    'probe-visits': { type: 'string', default: '1500' },
    json: { type: 'string' },
  },
});
const CLAIMS = Number(args.claims);
const MATCHED = Math.min(CLAIMS, Number(args.matched));
const LANES = Number(args.lanes);
const BASELINE = Number(args.baseline);
const PROBE_VISITS = Math.max(BASELINE + LANES, Number(args['probe-visits']));
const log = (line: string) => process.stderr.write(`${line}\n`);

const PRACTICE = 'bench-remit-practice';
const FRONT_DESK = 'bench-remit-front-desk-token';
const CLEARINGHOUSE = 'bench-remit-clearinghouse-token';
const chargeLine = (pr: number) => [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 14000 - pr, adjustmentCents: 4000, patientResponsibilityCents: pr }];
const submitted = (visitExternalId: string, externalId: string): ClaimRecord => ({
  practiceExternalId: PRACTICE, visitExternalId, externalId, version: 1, responsibility: 'payer', payerName: 'Bench Health Plan', payerStatus: 'submitted',
  patientResponsibilityCents: 0, lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 }],
});

/** Visits with claims still with the payer: `matched` for the file, the rest for Collect Now. Setup, not measured. */
async function seed(stack: BenchStack): Promise<{ probeVisitIds: string[] }> {
  const practiceId = await upsertPractice(stack.db, { externalId: PRACTICE, name: 'Bench Clinic', timeZone: 'America/Los_Angeles', paymentPageUrl: 'http://127.0.0.1:9/pay' });
  await upsertStaff(stack.db, { practiceId, displayName: 'Bench front desk', role: 'front_desk', token: FRONT_DESK });
  await upsertStaff(stack.db, { practiceId, displayName: 'Bench clearinghouse', role: 'billing', token: CLEARINGHOUSE });
  const total = MATCHED + PROBE_VISITS;
  for (let p = 0; p < Math.ceil(total / 20); p++) {
    await upsertPatient(stack.db, { practiceExternalId: PRACTICE, externalId: `brp-${p}`, version: 1, firstName: 'Bench', lastName: `Patient${p}`, dateOfBirth: '1980-01-01' });
  }
  const probeVisitIds: string[] = [];
  const make = async (i: number) => {
    const visitExternalId = `brv-${i}`;
    const { id } = await upsertVisit(stack.db, { practiceExternalId: PRACTICE, patientExternalId: `brp-${Math.floor(i / 20)}`, externalId: visitExternalId, version: 1, dateOfService: '2026-11-20' });
    await upsertClaim(stack.db, submitted(visitExternalId, `brc-${i}`));
    if (i >= MATCHED) probeVisitIds.push(id);
  };
  for (let i = 0; i < total; i += 16) await Promise.all([...Array(Math.min(16, total - i)).keys()].map((k) => make(i + k)));
  return { probeVisitIds };
}

/** The file: MATCHED claim payments moving our claims to the patient (copay/deductible/coinsurance), the rest unknown. */
function generateFile(): string {
  const claims: RemittanceClaim[] = [...Array(CLAIMS).keys()].map((i) => {
    const pr = 1000 + (i % 7) * 500;
    const matched = i < MATCHED;
    const claim: ClaimRecord = {
      ...submitted(`brv-${i}`, matched ? `brc-${i}` : `unknown-${i}`), version: 2, responsibility: 'patient', payerStatus: 'adjudicated',
      patientResponsibilityCents: pr, lines: chargeLine(pr),
    };
    return { claim, share: { copayCents: 1000, deductibleCents: pr - 1000 }, patient: { firstName: 'Bench', lastName: `Patient${Math.floor(i / 20)}` }, dateOfService: '2026-11-20' };
  });
  const model = remittanceFile(claims, { traceNumber: `BENCH${Date.now()}`, controlNumber: 1, date: '2026-11-30', time: '1200', payee: { name: 'Bench Clinic', npi: STANDIN_PAYEE_NPI } });
  return writeRemittance(model, { lineBreaks: true });
}

/** Collect Now in `LANES` lanes until `stop()` says so or the visits run out; each request timed. */
function collectNow(stack: BenchStack, visits: string[], into: Latencies, stop: () => boolean, limit = Infinity) {
  let started = 0;
  const failed: Record<string, number> = {}; // by HTTP status: 202 (link later), 503 (a dependency too slow), …
  const lane = async () => {
    while (!stop() && started < limit && visits.length > 0) {
      const visitId = visits.pop()!;
      started += 1;
      const t0 = performance.now();
      const res = await fetch(`${stack.apiUrl}/v1/visits/${visitId}/copay-collections`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${FRONT_DESK}` }, body: JSON.stringify({ amountCents: 2500 }),
      });
      await res.arrayBuffer();
      if (res.status === 201) into.add(performance.now() - t0);
      else failed[res.status] = (failed[res.status] ?? 0) + 1;
    }
  };
  return Promise.all(Array.from({ length: LANES }, lane)).then(() => ({ failed }));
}

/**
 * Peak heap used and the event-loop stalls, from the API's Prometheus default metrics: prom-client resets its lag
 * histogram at each scrape, so each scrape's max is the longest stall since the previous one; stalls over 200 ms are
 * kept with the time they were seen (seconds since `t0`), which says which phase of the ingest blocked the loop.
 */
function scrapeApi(metricsUrl: string) {
  let t0 = performance.now();
  let heapMiB = 0;
  let lagMaxMs = 0;
  const stalls: { atSeconds: number; ms: number }[] = [];
  const read = async () => {
    try {
      const text = await (await fetch(metricsUrl)).text();
      const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
      heapMiB = Math.max(heapMiB, value('nodejs_heap_size_used_bytes') / 1048576);
      const lag = value('nodejs_eventloop_lag_max_seconds') * 1000;
      lagMaxMs = Math.max(lagMaxMs, lag);
      if (lag > 200) stalls.push({ atSeconds: Math.round((performance.now() - t0) / 100) / 10, ms: Math.round(lag) });
    } catch {
      // a scrape lost while the API is busy: the next one sees the peak (the histogram keeps its max)
    }
  };
  const timer = setInterval(() => void read(), 250);
  return {
    read,
    /** From now on: peaks and stall times count from here (the scrape before it reset the lag histogram). */
    restart() {
      t0 = performance.now();
      heapMiB = 0;
      lagMaxMs = 0;
      stalls.length = 0;
    },
    async stop() {
      clearInterval(timer);
      await read();
      return { heapMiB: Math.round(heapMiB * 10) / 10, eventLoopLagMaxMs: Math.round(lagMaxMs), stalls };
    },
  };
}

async function main() {
  const apiMetricsPort = await freePort();
  log('starting an isolated stack…');
  const stack = await startBenchStack({ serviceEnv: { API_METRICS_PORT: String(apiMetricsPort) } });
  const metricsUrl = `http://127.0.0.1:${apiMetricsPort}/metrics`;
  try {
    log(`seeding ${MATCHED} claims for the file and ${PROBE_VISITS} visits for Collect Now…`);
    const { probeVisitIds } = await seed(stack);
    const file = generateFile();
    const parseMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      readRemittance(file);
      parseMs.push(performance.now() - t0);
    }
    parseMs.sort((a, b) => a - b);
    log(`file: ${CLAIMS} claims (${MATCHED} matched), ${(file.length / 1048576).toFixed(2)} MiB; our reader in this process: ${parseMs[1]!.toFixed(0)} ms`);

    // Warm-up (not counted), then Collect Now alone.
    await collectNow(stack, probeVisitIds, new Latencies(), () => false, 2 * LANES);
    const alone = new Latencies();
    const aloneScrape = scrapeApi(metricsUrl);
    const aloneRun = await collectNow(stack, probeVisitIds, alone, () => false, BASELINE);
    const aloneApi = await aloneScrape.stop();
    log(`Collect Now alone: ${JSON.stringify(alone.summary())}`);

    // The ingest, with Collect Now running beside it until the file's answer comes.
    const idle = memoryOf(stack.pids.api);
    const memory = sampleMemory({ api: stack.pids.api }, 100);
    const scrape = scrapeApi(metricsUrl);
    await scrape.read(); // resets the lag histogram's max to "since now"
    const during = new Latencies();
    let done = false;
    const t0 = performance.now();
    scrape.restart();
    const ingest = fetch(`${stack.apiUrl}/v1/remittances`, {
      method: 'POST', headers: { 'Content-Type': 'application/edi-x12', Authorization: `Bearer ${CLEARINGHOUSE}` }, body: file,
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { matched?: number; unmatched?: number } })).finally(() => {
      done = true;
    });
    const [answer, duringRun] = await Promise.all([ingest.then((a) => ({ ...a, ms: performance.now() - t0 })), collectNow(stack, probeVisitIds, during, () => done)]);
    const peaks = memory.stop();
    const api = await scrape.stop();
    const claimsMoved = Number((await stack.db('claims').where({ responsibility: 'patient' }).count<{ n: string }[]>('* as n'))[0]!.n);

    const ratio = (q: number) => Math.round((during.p(q) / alone.p(q)) * 100) / 100;
    const report = {
      date: new Date().toISOString(), machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
      file: { claims: CLAIMS, matched: MATCHED, unmatched: CLAIMS - MATCHED, bytes: file.length },
      ingest: { status: answer.status, matched: answer.body.matched, unmatched: answer.body.unmatched, seconds: Math.round(answer.ms / 100) / 10, claimsMoved },
      readerInThisProcessMs: Math.round(parseMs[1]!),
      api: { idleRssMiB: idle.rssMiB, peakRssMiB: peaks.api, peakHeapUsedMiB: api.heapMiB, eventLoopLagMaxMs: api.eventLoopLagMaxMs, eventLoopLagMaxMsWithoutIngest: aloneApi.eventLoopLagMaxMs, stallsOver200MsDuringIngest: api.stalls },
      collectNow: {
        lanes: LANES, alone: { ...alone.summary(), failed: aloneRun.failed }, duringIngest: { ...during.summary(), failed: duringRun.failed, ranOutOfVisits: probeVisitIds.length === 0 },
        ratio: { p50: ratio(50), p99: ratio(99) },
      },
    };
    console.log(JSON.stringify(report, null, 2));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stack.stop();
  }
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
