/**
 * The search attributes a run starts with (workflows/search-attributes.ts; never PHI, they are not encrypted), in one
 * order: the path, its first status, the practice. Pure.
 */
import { PayflowPath, PayflowPracticeId, PayflowStatus } from '../search-attributes';

export function startAttributes(a: { path: string; status?: string; practiceId?: string }) {
  return [
    { key: PayflowPath, value: a.path },
    ...(a.status !== undefined ? [{ key: PayflowStatus, value: a.status }] : []),
    ...(a.practiceId !== undefined ? [{ key: PayflowPracticeId, value: a.practiceId }] : []),
  ];
}
