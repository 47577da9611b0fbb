/**
 * Issue 14: all HTML lives in web/ (web/staff/, web/portal/, web/codec/), and no template line there is longer than 160
 * characters. Checked on the source with the TypeScript parser:
 *   in web/, every line a template holding HTML spans (an html`…` template, or any template or string with a tag in it)
 *   is at most 160 characters, the code inside its `${…}` included;
 *   outside web/, no source file of the service renders HTML: no html`…` template, no htmlDocument(…) call, no
 *   literal with an HTML document or form in it. lib/html.ts (the `html` tag itself and the document frame, shared
 *   with the EHR stand-in) and the stand-in (ehr/standin/, a separate program with its own pages) are left out.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { repoPath, tsFilesUnder } from '../support/source-files';

const MAX_LINE = 160;
/** Where the service's code lives, besides web/ (scripts, the benchmark and the tests are tools, not the service). */
const SERVICE_FOLDERS = ['activities', 'api', 'app', 'contracts', 'db', 'domain', 'ehr', 'http', 'lib', 'server', 'worker', 'workflows'];
const NOT_CHECKED = ['lib/html.ts', 'ehr/standin/'];


const MARKUP = /<\/?[a-z][a-z0-9-]*[\s>/]|<!doctype/i;
const DOCUMENT = /<!doctype html|<html[\s>]|<body[\s>]|<form[\s>]/i;

type Literal = ts.TemplateExpression | ts.NoSubstitutionTemplateLiteral | ts.StringLiteral;

/** A literal's text without what is interpolated into it. */
function textOf(node: Literal): string {
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('');
  return node.text;
}

const isHtmlTag = (node: ts.Node): boolean =>
  ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'html';

function walk(source: ts.SourceFile, visit: (node: ts.Node) => void): void {
  const go = (node: ts.Node) => {
    visit(node);
    ts.forEachChild(node, go);
  };
  go(source);
}

const parse = (name: string, text: string) => ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);

/** Lines (1-based) over the limit that belong to a template holding HTML. */
function longTemplateLines(name: string, text: string, max = MAX_LINE): string[] {
  const source = parse(name, text);
  const lines = text.split('\n');
  const spanned = new Set<number>();
  walk(source, (node) => {
    const markup = isHtmlTag(node)
      || ((ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) && MARKUP.test(textOf(node)));
    if (!markup) return;
    const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
    for (let line = first; line <= last; line++) spanned.add(line);
  });
  return [...spanned].sort((a, b) => a - b)
    .filter((line) => (lines[line] ?? '').length > max)
    .map((line) => `${name}:${line + 1} (${lines[line]!.length} characters)`);
}

/** Where a file renders HTML: html`…` templates, htmlDocument(…) calls, literals holding a document or a form. */
function htmlRenderedIn(name: string, text: string): string[] {
  const source = parse(name, text);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) => found.push(`${name}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1} ${what}`);
  walk(source, (node) => {
    if (isHtmlTag(node)) at(node, 'html`…` template');
    else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'htmlDocument') at(node, 'htmlDocument(…)');
    else if ((ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isStringLiteral(node)) && DOCUMENT.test(textOf(node))) {
      at(node, 'HTML in a literal');
    }
  });
  return found;
}

describe('the checks themselves', () => {
  it('find a long line of an html template, including the code inside ${…}, and leave other long lines alone', () => {
    const long = 'x'.repeat(170);
    const text = [
      `const a = html\`<p>\${b}</p>`, `${long}\`;`,
      `const c = \`<td>\${d}</td>\${\n  ${long}}\`;`,
      `const e = '${long}';`, `const f = \`${long}\`;`,
    ].join('\n');
    expect(longTemplateLines('t.ts', text)).toEqual(['t.ts:2 (172 characters)', 't.ts:4 (175 characters)']);
  });

  it('find HTML rendered outside web/', () => {
    const text = [
      'const a = html`<p>x</p>`;',
      'const b = htmlDocument({ title: "t" }, "");',
      'res.send(`<!doctype html><p>${x}</p>`);',
      "const c = '<form method=\"post\">';",
      "const d = 'a < b and <b> is not a document';",
    ].join('\n');
    expect(htmlRenderedIn('a.ts', text)).toEqual([
      'a.ts:1 html`…` template', 'a.ts:2 htmlDocument(…)', 'a.ts:3 HTML in a literal', 'a.ts:4 HTML in a literal',
    ]);
  });
});

describe('templates', () => {
  const webFiles = tsFilesUnder('web');

  it(`no line of a template in web/ is longer than ${MAX_LINE} characters`, () => {
    expect(webFiles.length).toBeGreaterThan(10);
    expect(webFiles.flatMap((file) => longTemplateLines(repoPath(file), readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('the pages are in web/: no HTML is rendered in api/, app/ or anywhere else in the service', () => {
    const files = SERVICE_FOLDERS.flatMap(tsFilesUnder).filter((file) => !NOT_CHECKED.some((p) => repoPath(file).startsWith(p)));
    expect(files.some((file) => repoPath(file).startsWith('api/'))).toBe(true);
    expect(files.some((file) => repoPath(file).startsWith('app/'))).toBe(true);
    expect(files.flatMap((file) => htmlRenderedIn(repoPath(file), readFileSync(file, 'utf8')))).toEqual([]);
  });
});
