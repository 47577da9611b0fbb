/**
 * Security headers of the HTML pages (portal and staff pages), with helmet. The Content-Security-Policy allows no
 * scripts at all, styles only from our own stylesheets, and forms that post only to us, plus (on the statement page)
 * the practice's payment page, where the pay form's redirect goes. No upgrade-insecure-requests: the local stack is
 * plain http. Referrer-Policy no-referrer keeps the payment reference of the receipt URL to ourselves.
 */
import type { RequestHandler } from 'express';
import type { HelmetOptions } from 'helmet';

export function contentSecurityPolicy(extraFormAction: string[] = []): string {
  return [
    "default-src 'none'", "style-src 'self'", "img-src 'self'", `form-action 'self'${extraFormAction.map((o) => ` ${o}`).join('')}`,
    "frame-ancestors 'none'", "base-uri 'none'",
  ].join('; ');
}

export const helmetOptions: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  frameguard: { action: 'deny' },
  // 1 year; ignored by browsers on plain http (the local stack).
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
};

/**
 * Every portal answer may carry PHI or a session (pages, redirects, errors, even a 404 under /portal): no cache, shared
 * or the browser's, keeps a copy. Mounted after the stylesheets, which carry nothing personal and may be cached.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};
