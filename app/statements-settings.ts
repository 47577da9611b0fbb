/**
 * Settings of the statement path and the patient portal, from configuration (lib/config.ts). The app layer takes them as
 * a dependency (server/app.ts AppDeps.statements); anything not given falls back to the development defaults below, which the
 * configuration refuses in production.
 */
import type { ServiceConfig } from '../lib/config';

export const DEV_PORTAL_SECRET = 'dev-portal-secret-not-for-production';
export const DEV_PAYMENT_LINK_SECRET = 'dev-payment-link-secret';
export const DEV_PAY_LINK_SECRET = 'dev-pay-link-secret-not-for-production';

export interface StatementsSettings {
  /** Base URL patients reach us at: portal links in statements, the return address from the payment page. */
  publicBaseUrl: string;
  /** Signs portal sessions and CSRF tokens; keys the hashes of account ids and client addresses. */
  portalSecret: string;
  /** Signs the payment-page reference (shared with the processor). */
  paymentLinkSecret: string;
  paymentLinkTtlMs: number;
  /** Signs the pay links in statement emails (mail/pay-link.ts), which the portal accepts (web/portal/pay-link-routes.ts). */
  payLinkSecret: string;
  sessionTtlMs: number;
  /** Failed lookups on one account within `lockoutMs` that lock it for `lockoutMs`. */
  maxFailuresPerAccount: number;
  /** Failed lookups from one client address within `lockoutMs` that lock it out for `lockoutMs`. */
  maxFailuresPerClient: number;
  lockoutMs: number;
  /** Proxies in front of the API whose X-Forwarded-For entries to trust (0: use the connection's address). */
  trustedProxyHops: number;
  reminderIntervalMs: number;
  reminderLimit: number;
  /**
   * Portal payments one statement may start within `portalPaymentWindowMs`: each is a collection and a registration on
   * the statement's run (history), so an unbounded Pay button would grow both. Pressing Pay again with the same amount
   * reuses the open one and does not count.
   */
  maxPortalPaymentsPerStatement: number;
  portalPaymentWindowMs: number;
}

export const DEFAULT_STATEMENTS_SETTINGS: StatementsSettings = {
  publicBaseUrl: 'http://localhost:3000',
  portalSecret: DEV_PORTAL_SECRET,
  paymentLinkSecret: DEV_PAYMENT_LINK_SECRET,
  paymentLinkTtlMs: 30 * 60_000,
  payLinkSecret: DEV_PAY_LINK_SECRET,
  sessionTtlMs: 15 * 60_000,
  maxFailuresPerAccount: 10,
  maxFailuresPerClient: 100,
  lockoutMs: 30 * 60_000,
  trustedProxyHops: 0,
  reminderIntervalMs: 14 * 86_400_000,
  reminderLimit: 3,
  maxPortalPaymentsPerStatement: 5,
  portalPaymentWindowMs: 24 * 3_600_000,
};

export function statementsSettingsFromConfig(c: ServiceConfig): StatementsSettings {
  return {
    publicBaseUrl: c.PUBLIC_BASE_URL,
    portalSecret: c.PORTAL_SECRET,
    paymentLinkSecret: c.PAYMENT_LINK_SECRET,
    paymentLinkTtlMs: c.PAYMENT_LINK_TTL,
    payLinkSecret: c.PAY_LINK_SECRET,
    sessionTtlMs: c.PORTAL_SESSION_TTL,
    maxFailuresPerAccount: c.PORTAL_MAX_FAILURES_PER_ACCOUNT,
    maxFailuresPerClient: c.PORTAL_MAX_FAILURES_PER_CLIENT,
    lockoutMs: c.PORTAL_LOCKOUT,
    trustedProxyHops: c.PORTAL_TRUSTED_PROXY_HOPS,
    reminderIntervalMs: c.STATEMENT_REMINDER_INTERVAL,
    reminderLimit: c.STATEMENT_REMINDER_LIMIT,
    // Not configurable: a patient needs one or two; the cap only stops a runaway button or script.
    maxPortalPaymentsPerStatement: DEFAULT_STATEMENTS_SETTINGS.maxPortalPaymentsPerStatement,
    portalPaymentWindowMs: DEFAULT_STATEMENTS_SETTINGS.portalPaymentWindowMs,
  };
}

export const resolveStatementsSettings = (given: Partial<StatementsSettings> | undefined): StatementsSettings => ({
  ...DEFAULT_STATEMENTS_SETTINGS,
  ...given,
  publicBaseUrl: (given?.publicBaseUrl ?? DEFAULT_STATEMENTS_SETTINGS.publicBaseUrl).replace(/\/+$/, ''),
});
