/** A CSV download for the JSON API and the staff pages: never cached (it names patients), a file name with the practice-local date. */
import type { Response } from 'express';

export function sendCsv(res: Response, name: string, asOfDate: string, body: string): void {
  res.status(200).set({
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}-${asOfDate}.csv"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  }).send(body);
}
