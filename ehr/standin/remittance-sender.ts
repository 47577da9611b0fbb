/**
 * The stand-in clearinghouse posting 835 files to payflow's POST /v1/remittances, as a real clearinghouse does: the raw
 * file (`application/edi-x12`) with the practice's API token (a billing system token, `POST /v1/api-tokens`, or the
 * demo data's `demo-clearinghouse-token`). Each file gets a fresh trace number (TRN02) and control number, so two
 * posts are two payments; the file is checked with our own reader before it leaves, so the stand-in never sends an
 * unbalanced file by mistake. Logs carry the trace and the status, never the file (it names patients).
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from '../../lib/logger';
import { readRemittance } from '../../edi/x835/validate';
import { writeRemittance } from '../../edi/x835/write';
import { instantToLocalDateTime } from './local-time';
import { Not835, remittanceFile, STANDIN_PAYEE_NPI, type RemittanceClaim } from './remittance-835';
import { jsonOrNull } from './json-body';

export interface Payflow835Target {
  /** payflow's API base, e.g. http://localhost:3000. */
  apiUrl: string;
  /** The API token per practice (one string: the same for every practice, as in the one-practice demo). */
  token: string | ((practiceExternalId: string) => string | undefined);
}

export interface RemittanceDelivery { status: number | null; body: unknown; error?: string }
export interface SentRemittance { practiceExternalId: string; traceNumber: string; file: string; delivery: RemittanceDelivery }

export interface RemittanceSenderDeps {
  target: Payflow835Target;
  now: () => Date;
  log: Logger;
  timeoutMs: number;
  /** The practice's name and time zone, as the stand-in holds them. */
  practice: (practiceExternalId: string) => { name: string; timeZone: string };
}

export function createRemittanceSender(deps: RemittanceSenderDeps) {
  const base = deps.target.apiUrl.replace(/\/+$/, '');
  let control = randomInt(1, 900_000_000);
  const tokenFor = (practice: string) => (typeof deps.target.token === 'string' ? deps.target.token : deps.target.token(practice));

  /** The claims of one practice as one 835 (Not835 when one has no 835 form), with its trace number. */
  function build(practiceExternalId: string, claims: RemittanceClaim[]): { traceNumber: string; file: string } {
    const practice = deps.practice(practiceExternalId);
    const local = instantToLocalDateTime(deps.now(), practice.timeZone); // YYYY-MM-DDTHH:MM on the practice's calendar
    const date = local.slice(0, 10);
    control = (control % 999_999_999) + 1;
    const traceNumber = `SI${date.replace(/-/g, '')}${randomBytes(5).toString('hex').toUpperCase()}`;
    const model = remittanceFile(claims, { traceNumber, controlNumber: control, date, time: local.slice(11, 16).replace(':', ''), payee: { name: practice.name, npi: STANDIN_PAYEE_NPI } });
    const file = writeRemittance(model, { lineBreaks: true });
    readRemittance(file); // throws on a bug of ours: never post a file payflow would refuse as malformed
    return { traceNumber, file };
  }

  /** POSTs a file (any 835 text) for the practice; never throws for a delivery problem, it is in the answer. */
  async function post(practiceExternalId: string, file: string): Promise<RemittanceDelivery> {
    const token = tokenFor(practiceExternalId);
    if (!token) throw new Not835('this stand-in holds no payflow API token for that practice');
    try {
      const res = await fetch(`${base}/v1/remittances`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/edi-x12', Authorization: `Bearer ${token}`, 'User-Agent': 'payflow-ehr-standin' },
        body: file,
        signal: AbortSignal.timeout(deps.timeoutMs),
        redirect: 'error',
      });
      const body = await jsonOrNull(res);
      return { status: res.status, body };
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: unknown } };
      const error = e.name === 'TimeoutError' ? `timed out after ${deps.timeoutMs} ms` : typeof e.cause?.code === 'string' ? e.cause.code : 'network error';
      return { status: null, body: null, error };
    }
  }

  return { build, post };
}
