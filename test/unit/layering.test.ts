/**
 * The layers (docs/decisions.md, "Layers (issue 14)"), checked on the source: every import of every TypeScript file
 * of the service is read (with the TypeScript compiler's own pre-processor: static, `export … from`, dynamic
 * `import()` and `require()`), resolved to the folder it lands in, and held against the rules below.
 *   api/ (JSON) and web/ (HTML) never import each other: both are adapters over app/, mounted by server/;
 *   app/ is never HTTP: no express, nothing of api/, web/, http/ or server/;
 *   http/ (plumbing shared by api/ and web/) imports neither of them, nor server/;
 *   nothing but server/ (and tests, scripts, the benchmark) imports server/;
 *   workflows/, db/ and domain/ never import app/ or an HTTP layer (the arrows point one way);
 *   workflows/starts/ is pure, because the statement batch's workflow bundles it: no Node module, no I/O library,
 *   and @temporalio/client for its types only;
 *   SQL lives in db/ only (scripts and the benchmark aside), and db/ raises its own errors (db/errors.ts), never an
 *   HTTP-shaped one of lib/errors.ts: the app layer maps them (app/errors.ts);
 *   contracts/ (the request and response schemas the OpenAPI document is generated from) imports only zod, domain/
 *   and contracts/, so api/, web/, app/, ehr/ and server/ may all read it.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { ROOT, tsFilesUnder } from '../support/source-files';

const SOURCE_FOLDERS = ['activities', 'api', 'app', 'contracts', 'db', 'domain', 'ehr', 'http', 'lib', 'server', 'web', 'worker', 'workflows'];

interface Edge { from: string; specifier: string; target: string; typeOnly: boolean }


/** `import type …` / `export type … from` statements, by their module specifier. */
function typeOnlySpecifiers(text: string): Set<string> {
  const found = new Set<string>();
  for (const m of text.matchAll(/\b(?:import|export)\s+type\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/g)) found.add(m[1]!);
  return found;
}

/** Every import of a file: a relative one as the repository path it resolves to, a package by its name. */
function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const typeOnly = typeOnlySpecifiers(text);
  const from = relative(ROOT, file).split(sep).join('/');
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: specifier }) => ({
    from,
    specifier,
    target: specifier.startsWith('.') ? relative(ROOT, resolve(dirname(file), specifier)).split(sep).join('/') : specifier,
    typeOnly: typeOnly.has(specifier),
  }));
}

const edges = SOURCE_FOLDERS.flatMap(tsFilesUnder).flatMap(edgesOf);
const inFolder = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const isPackage = (target: string, name: string) => target === name || target.startsWith(`${name}/`);
const show = (bad: Edge[]) => bad.map((e) => `${e.from} imports ${e.specifier}`);

describe('layers', () => {
  it('reads the imports it checks (server/ mounts both api/ and web/)', () => {
    expect(edges.length).toBeGreaterThan(500);
    const server = edges.filter((e) => e.from === 'server/app.ts');
    expect(server.some((e) => inFolder(e.target, 'api'))).toBe(true);
    expect(server.some((e) => inFolder(e.target, 'web'))).toBe(true);
  });

  it('api/ does not import web/, and web/ does not import api/', () => {
    expect(show(edges.filter((e) => inFolder(e.from, 'api') && inFolder(e.target, 'web')))).toEqual([]);
    expect(show(edges.filter((e) => inFolder(e.from, 'web') && inFolder(e.target, 'api')))).toEqual([]);
  });

  it('app/ does not import express, nor any HTTP layer', () => {
    const bad = edges.filter((e) => inFolder(e.from, 'app') && (
      isPackage(e.target, 'express') || e.target.startsWith('@types/express') || ['api', 'web', 'http', 'server'].some((f) => inFolder(e.target, f))));
    expect(show(bad)).toEqual([]);
  });

  it('the arrows point one way below the use cases: workflows/, db/ and domain/ never import app/ or an HTTP layer', () => {
    const upper = ['app', 'api', 'web', 'http', 'server'];
    const bad = edges.filter((e) => ['workflows', 'db', 'domain'].some((f) => inFolder(e.from, f)) && upper.some((f) => inFolder(e.target, f)));
    expect(show(bad)).toEqual([]);
  });

  it('http/ imports neither api/, web/ nor server/; only server/ imports server/', () => {
    expect(show(edges.filter((e) => inFolder(e.from, 'http') && ['api', 'web', 'server'].some((f) => inFolder(e.target, f))))).toEqual([]);
    expect(show(edges.filter((e) => !inFolder(e.from, 'server') && inFolder(e.target, 'server')))).toEqual([]);
  });

  it('workflows/starts/ is pure enough for a workflow bundle', () => {
    const bad = edges.filter((e) => inFolder(e.from, 'workflows/starts') && !e.typeOnly && (
      e.target.startsWith('node:') || ['fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process', 'net'].includes(e.target)
      || ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'knex', 'pg', 'express', 'pino'].some((p) => isPackage(e.target, p))
      || ['db', 'activities', 'lib'].some((f) => inFolder(e.target, f))));
    expect(show(bad)).toEqual([]);
  });

  it('contracts/ imports only zod, domain/ and contracts/ (no express, db/, Temporal or HTTP layer)', () => {
    const fromContracts = edges.filter((e) => inFolder(e.from, 'contracts'));
    expect(fromContracts.length).toBeGreaterThan(10); // the check sees the folder's imports
    const bad = fromContracts.filter((e) => !(e.target === 'zod' || inFolder(e.target, 'domain') || inFolder(e.target, 'contracts')));
    expect(show(bad)).toEqual([]);
  });

  it('SQL lives in db/ only, and db/ raises its own errors (no HTTP status in db/)', () => {
    // A query builder called on a table (`trx('claims')`, `db("payments")`), raw SQL, or knex imported for more than types.
    const sqlAt = (file: string) => /\b(?:trx|db|knex)\(\s*['"`]|\.raw\(/.test(readFileSync(file, 'utf8'));
    const outside = SOURCE_FOLDERS.filter((f) => f !== 'db').flatMap(tsFilesUnder).filter(sqlAt).map((f) => relative(ROOT, f));
    expect(outside).toEqual([]);
    expect(tsFilesUnder('db').filter(sqlAt).length).toBeGreaterThan(10); // the check sees SQL where it is
    expect(show(edges.filter((e) => !inFolder(e.from, 'db') && !e.typeOnly && isPackage(e.target, 'knex')))).toEqual([]);
    expect(show(edges.filter((e) => inFolder(e.from, 'db') && e.target === 'lib/errors'))).toEqual([]);
  });
});
