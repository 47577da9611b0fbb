/**
 * Issue 14: an integrator can generate a typed client from the document. The TypeScript types of every path are
 * generated from the served document with openapi-typescript's programmatic API, then a small client written against
 * them is type-checked with the TypeScript compiler: a right call (Collect Now's body, the collection id and payment
 * link of its 201 answer, a task's resolution) compiles cleanly, and wrong ones (a dollars string for amountCents, a
 * field the answer does not have, an unknown action) are refused, so the check cannot pass vacuously.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { openApiDocument } from '../../server/openapi';

const dir = mkdtempSync(join(tmpdir(), 'payflow-openapi-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = `import type { paths } from './api';
type CollectNow = paths['/v1/visits/{visitId}/copay-collections']['post'];
export type CollectNowBody = CollectNow['requestBody']['content']['application/json'];
export type Started = CollectNow['responses'][201]['content']['application/json'];
export type Resolution = NonNullable<paths['/v1/manual-tasks/{taskId}/resolve']['post']['requestBody']>['content']['application/json'];
export type TaskPage = paths['/v1/manual-tasks']['get']['responses'][200]['content']['application/json'];
type Query = NonNullable<paths['/v1/manual-tasks']['get']['parameters']['query']>;

/** What a typed client does: a path, a typed body, a typed answer (the transport is left out). */
export declare function post<B, A>(path: string, body: B): Promise<A>;
`;

/** Diagnostics of a program made of the generated types and one client file. */
function check(client: string): string[] {
  const file = join(dir, `client-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, HEADER + client);
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, types: [], skipLibCheck: false, lib: ['lib.es2022.d.ts'],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName.slice(dir.length + 1)}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/**
 * openapi-typescript's programmatic API (`openapiTS` + `astToString`), run in a Node child process: its CommonJS
 * build requires ESM-only packages, which jest's module runtime cannot load on Node 20; Node's own ESM loader can.
 */
const GENERATE = `
import openapiTS, { astToString } from 'openapi-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
const [, input, output] = process.argv;
writeFileSync(output, astToString(await openapiTS(JSON.parse(readFileSync(input, 'utf8')), { silent: true })));
`;

beforeAll(() => {
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(openApiDocument));
  execFileSync(process.execPath, ['--input-type=module', '-e', GENERATE, join(dir, 'openapi.json'), join(dir, 'api.d.ts')], {
    cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000,
  });
}, 60_000);

describe('a TypeScript client generated from the document (openapi-typescript)', () => {
  it('type-checks a right call: Collect Now with amountCents, reading the collection id and link of the 201 answer', () => {
    expect(check(`
export async function collectNow(visitId: string, cents: number): Promise<{ id: string; link: string | null; existing: boolean }> {
  const body: CollectNowBody = { amountCents: cents };
  const started = await post<CollectNowBody, Started>(\`/v1/visits/\${visitId}/copay-collections\`, body);
  return { id: started.collectionId, link: started.paymentRequest?.url ?? null, existing: started.existing };
}
export const apply: Resolution = { action: 'apply', applications: [{ claimId: 'c', amountCents: 2500 }], note: 'checked' };
export const close: Resolution = { action: 'close', note: 'nothing left' };
export const firstPage: Query = { status: 'open', limit: 25 };
export const reasons = (page: TaskPage): number => page.countsByReason.credit_remaining ?? 0;
`)).toEqual([]);
  });

  it('refuses a wrong field type, a field the answer does not have, and an unknown action', () => {
    const dollars = check(`export const body: CollectNowBody = { amountCents: '25.00' };\n`);
    expect(dollars).toEqual([expect.stringMatching(/Type 'string' is not assignable to type 'number'/)]);
    const missing = check(`export const id = (s: Started): string => s.collectionID;\n`);
    expect(missing).toEqual([expect.stringMatching(/Property 'collectionID' does not exist/)]);
    const action = check(`export const r: Resolution = { action: 'refund-all', note: 'n' };\n`);
    expect(action.length).toBeGreaterThan(0);
    const status = check(`export const q: Query = { status: 'closed' };\n`);
    expect(status).toEqual([expect.stringMatching(/'"closed"' is not assignable/)]);
  });
});
