/** Prebuilds the workflow bundle (`npm run build:workflows`), so workers start fast and run exactly this code. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export async function buildWorkflowBundle(outFile: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
  const path = resolve(outFile);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
  return path;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

if (require.main === module) {
  const out = process.argv[2] ?? 'dist/workflow-bundle.js';
  buildWorkflowBundle(out).then(
    (path) => process.stdout.write(`workflow bundle written to ${path}\n`),
    (err: Error) => {
      process.stderr.write(`bundling failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
