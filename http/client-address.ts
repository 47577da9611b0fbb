/** Who is asking: the client's address, as the portal's lock-outs and the credential limits count it. */
import type { Request } from 'express';

/** The client's address: the connection's, or the n-th X-Forwarded-For entry from the right behind n trusted proxies. */
export function clientAddress(req: Request, trustedProxyHops: number): string {
  const direct = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxyHops <= 0) return direct;
  const chain = String(req.headers['x-forwarded-for'] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return chain[chain.length - trustedProxyHops] ?? chain[0] ?? direct;
}
