/**
 * edi/ (the X12 tokenizer, the 835 model, parser, validation and writer) is pure: it imports only edi/ and domain/,
 * no package and no Node built-in, so the API, the stand-in and the worker can all use it, and it can never reach
 * db/, app/, api/ or web/. domain/remittance-reasons.ts stays below it: domain/ never imports edi/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '../..');

function filesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(folder, name);
    return statSync(join(ROOT, path)).isDirectory() ? filesUnder(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Each import of a file, as the repository path it resolves to (or the package name). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) =>
    fileName.startsWith('.') ? relative(ROOT, resolve(dirname(join(ROOT, file)), fileName)).split(sep).join('/') : fileName);
}

describe('edi/ is pure', () => {
  it('imports only edi/ and domain/', () => {
    const files = filesUnder('edi');
    expect(files.length).toBeGreaterThanOrEqual(8); // the check sees the folder
    const bad = files.flatMap((f) => importsOf(f).filter((t) => !t.startsWith('edi/') && !t.startsWith('domain/')).map((t) => `${f} imports ${t}`));
    expect(bad).toEqual([]);
  });

  it('domain/ never imports edi/', () => {
    const bad = filesUnder('domain').flatMap((f) => importsOf(f).filter((t) => t.startsWith('edi/')).map((t) => `${f} imports ${t}`));
    expect(bad).toEqual([]);
  });
});
