/** Human durations for configuration: `90s`, `15m`, `24h`, `120d` (also `500ms`). Pure; safe in workflows. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNITS[m[2]!] ?? NaN);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}
