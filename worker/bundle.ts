/** Prebuilds the workflow bundle (`npm run build:workflows`), so workers start fast and run exactly this code. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FAILURE_CONVERTER_PATH } from '../lib/codec';
import { WORKFLOW_INTERCEPTOR_MODULES } from './telemetry';

export async function buildWorkflowBundle(outFile: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // Activity summaries and OpenTelemetry spans, and the failure converter that encodes messages (worker/telemetry.ts, lib/codec).
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietLogger,
  });
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
