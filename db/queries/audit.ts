/**
 * The audit trail: who did what, when, before → after. Append-only (a trigger refuses UPDATE and DELETE).
 * Call it inside the transaction that makes the change, so the change and its audit row commit together.
 *
 * Never put PHI into `before` / `after` (names, dates of birth, account ids, visit details, free-text notes):
 * only ids, amounts, statuses and reasons.
 */
import type { Db } from '../connection';

export interface AuditEntry {
  practiceId?: string | null;
  /** `user:{id}`, `system:workflow`, … */
  actor: string;
  /** e.g. `payment.recorded`, `application.reversed`. */
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

/** JSONB parameters are passed as JSON text: node-postgres would turn a JS array into a PostgreSQL array. */
const asJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

export async function writeAudit(trx: Db, entry: AuditEntry): Promise<void> {
  await trx('audit_log').insert({
    practice_id: entry.practiceId ?? null,
    actor: entry.actor,
    action: entry.action,
    entity_type: entry.entityType,
    entity_id: entry.entityId,
    before: asJson(entry.before),
    after: asJson(entry.after),
    request_id: entry.requestId ?? null,
  });
}
