/** What global-setup started, as seen from a test file. */
export const TEMPLATE_DB = 'payflow_template';

export interface SharedStack {
  pgAdminUrl: string;
  /** `postgres://user:pw@host:port/` — append a database name. */
  pgUrlPrefix: string;
  temporalAddress: string;
  temporalCliPath: string;
  workflowBundlePath: string;
  tmpDir: string;
}

export function sharedStack(): SharedStack {
  const raw = process.env.PAYFLOW_TEST_STACK;
  if (!raw) throw new Error('PAYFLOW_TEST_STACK is not set: run tests through jest (test/support/global-setup.ts)');
  return JSON.parse(raw) as SharedStack;
}
