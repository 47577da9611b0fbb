/**
 * The local OpenID provider as a process (`node --import tsx idp/main.ts`), started by ./scripts/stack.sh and by the
 * tests (test/support/idp.ts). Environment:
 *   IDP_PORT        port to listen on (0: a free one); the issuer is http://<IDP_ISSUER_HOST>:<port>
 *   IDP_HOST        address to listen on (default 127.0.0.1)
 *   IDP_ISSUER_HOST host name in the issuer (default: IDP_HOST; the stack uses localhost)
 *   IDP_CONFIG      JSON: { clients: [{clientId, clientSecret, redirectUris}], users: [{email, name, sub?}], password }
 * Prints one line `idp listening <issuer>` once it answers (the starters wait for it). SIGTERM/SIGINT stop it.
 */
import { startIdp } from './provider';

async function main() {
  const port = Number(process.env.IDP_PORT ?? '3200');
  const host = process.env.IDP_HOST ?? '127.0.0.1';
  const raw = process.env.IDP_CONFIG;
  if (!raw) throw new Error('IDP_CONFIG is required (JSON: clients, users, password)');
  const idp = await startIdp({ port, host, issuerHost: process.env.IDP_ISSUER_HOST ?? host, config: JSON.parse(raw) as never });
  process.stdout.write(`idp listening ${idp.issuer}\n`);
  const stop = () => void idp.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`The local identity provider did not start: ${err.message}\n`);
  process.exit(1);
});
