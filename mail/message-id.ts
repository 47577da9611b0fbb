/**
 * The Message-ID of an email, derived from its business key: `<sha256(businessKey)@domain>`. A retried send carries the
 * same Message-ID, so the receiving side (and our tests) recognise a repeat. The hash hides the key (ids only, but no
 * need to show them); the domain is MAIL_FROM's. No PHI.
 */
import { createHash } from 'node:crypto';

/** The domain of an address like `billing@example.com` or `Name <billing@example.com>`. */
export function domainOf(address: string): string {
  const bare = /<([^>]+)>/.exec(address)?.[1] ?? address;
  const domain = bare.slice(bare.lastIndexOf('@') + 1).trim();
  return domain || 'payflow.local';
}

export function messageIdFor(businessKey: string, from: string): string {
  return `<${createHash('sha256').update(businessKey).digest('hex')}@${domainOf(from)}>`;
}
