/**
 * The production build (`npm run build`, issue 19): the API, the worker, the stand-in, the identity provider and the
 * scripts compiled with tsc to dist/ (CommonJS, source maps), the pages' static files copied beside their code (they are
 * read from `__dirname/static`), and the workflow bundle prebuilt from the compiled workflows. The Docker image and the
 * production processes run `node dist/…`: no TypeScript loader at run time (bench/README.md: start-up and memory).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const out = join(root, 'dist');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const dir of ['web/staff/static', 'web/portal/static']) cpSync(join(root, dir), join(out, dir), { recursive: true });
execFileSync(process.execPath, [join(out, 'worker', 'bundle.js'), join(out, 'workflow-bundle.js')], { stdio: 'inherit' });
process.stdout.write(`built ${out}\n`);
