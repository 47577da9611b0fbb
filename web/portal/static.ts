/**
 * The portal's stylesheets, static files served at /portal/static/*.css (static/portal.css for the portal's pages,
 * static/statement.css for the printable statement), so the Content-Security-Policy needs no inline styles and no
 * scripts at all. portal.css is phone first: one column, 44 px touch targets, tables that become stacked cards on
 * narrow screens; visible focus everywhere; colours with at least 4.5:1 contrast. statement.css is a letter-size page
 * on paper, a sheet of paper on screen.
 *
 * They carry nothing personal, so they may be cached for an hour (Cache-Control: public, max-age=3600; mounted before
 * the portal's `no-store`). The headers are the ones the stylesheets had when a route sent them from strings:
 * `text/css; charset=utf-8`, Express's weak ETag of the content (conditional requests answer 304), no Last-Modified,
 * no byte ranges. Only the files themselves: no index, no directory redirect, anything else falls through to the
 * portal's 404.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';

const STATIC_DIR = join(__dirname, 'static');

const etags = new Map<string, string>();
/** Express's default ETag of a response body: W/"<byte length, hex>-<SHA-1, base64, 27 characters>". */
function etagOf(path: string): string {
  let etag = etags.get(path);
  if (etag === undefined) {
    const body = readFileSync(path);
    etag = `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`;
    etags.set(path, etag);
  }
  return etag;
}

export const portalStylesheets = express.static(STATIC_DIR, {
  index: false,
  redirect: false,
  dotfiles: 'ignore',
  maxAge: 3_600_000,
  lastModified: false,
  acceptRanges: false,
  etag: false,
  setHeaders: (res, path) => res.setHeader('ETag', etagOf(path)),
});
