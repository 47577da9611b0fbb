import { rmSync } from 'node:fs';
import { sharedStack } from './shared-stack';

export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as Record<string, unknown>).__payflowStop as (() => Promise<void>) | undefined;
  await stop?.();
  rmSync(sharedStack().tmpDir, { recursive: true, force: true });
}
