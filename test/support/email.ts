/**
 * Email in tests: a real SMTP server in this process (mail/local-smtp.ts: smtp-server + mailparser, with its web
 * inbox), and a worker whose notifier sends email over SMTP to it (mail/smtp-notifier.ts), on the test file's task
 * queue. The harness's own worker keeps the outbox-only notifier: files that test email use
 * `useTestStack({ worker: false })` and start this one.
 * Call `useLocalSmtp()` and `useEmailWorker()` inside a describe block nested in the one that called useTestStack, so
 * their afterAll (stop the worker, close the server) runs before the stack's.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startLocalSmtp, type LocalSmtp } from '../../mail/local-smtp';
import { createSmtpNotifier } from '../../mail/smtp-notifier';
import type { PayLinkSettings } from '../../mail/pay-link';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { createWorker } from '../../worker/create-worker';
import { DEV_PAY_LINK_SECRET } from '../../app/statements-settings';
import type { Notifier } from '../../lib/notifier';
import { TEST_DATA_CONVERTER } from './codec';
import type { TestStack } from './harness';
import { sharedStack } from './shared-stack';

export const TEST_MAIL_FROM = 'Harbor billing <billing@payflow.local>';
export const TEST_PAY_LINKS: PayLinkSettings = { secret: DEV_PAY_LINK_SECRET, ttlMs: 30 * 86_400_000, maxUses: 3 };

/** The local SMTP server for this describe block (on free ports). */
export function useLocalSmtp(): { readonly smtp: LocalSmtp } {
  let smtp: LocalSmtp | undefined;
  beforeAll(async () => {
    smtp = await startLocalSmtp();
  });
  afterAll(() => smtp?.close());
  return {
    get smtp() {
      return smtp!;
    },
  };
}

export function emailNotifier(stack: TestStack, smtpUrl: string, publicBaseUrl: string): Notifier {
  return createSmtpNotifier({ db: stack.db, smtpUrl, from: TEST_MAIL_FROM, payLinks: TEST_PAY_LINKS, publicBaseUrl });
}

/** A worker on the file's task queue whose notifier sends email to `mail()`'s server; started in beforeAll. */
export function useEmailWorker(stack: TestStack, mail: () => LocalSmtp, publicBaseUrl: () => string): { readonly worker: Worker } {
  let connection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let done: Promise<void> | undefined;
  beforeAll(async () => {
    const shared = sharedStack();
    connection = await NativeConnection.connect({ address: shared.temporalAddress });
    worker = await createWorker({
      connection, db: stack.db, ehr: createHttpEhrAdapter({ baseUrl: stack.standin.url }), namespace: 'default', taskQueue: stack.taskQueue,
      workflowBundlePath: shared.workflowBundlePath, shutdownGraceSeconds: 5, dataConverter: TEST_DATA_CONVERTER,
      notifier: emailNotifier(stack, mail().smtpUrl, publicBaseUrl()),
    });
    done = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await done;
    await connection?.close();
  });
  return {
    get worker() {
      return worker!;
    },
  };
}
