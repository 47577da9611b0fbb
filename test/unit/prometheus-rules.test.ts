/**
 * The worker-health alert rules (ops/prometheus/worker-health.rules.yml) have the shape Prometheus loads, and each one
 * reads a metric the worker (test/integration/worker-process.test.ts checks its endpoint) or the Temporal server exports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Rule { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }

describe('ops/prometheus/worker-health.rules.yml', () => {
  const file = parse(readFileSync(join(__dirname, '..', '..', 'ops', 'prometheus', 'worker-health.rules.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = file.groups.flatMap((g) => g.rules);

  it('is one group of alerts, each with an expression, a duration, a severity, a summary and a runbook', () => {
    expect(file.groups.map((g) => g.name)).toEqual(['payflow-worker-health']);
    for (const r of rules) {
      expect(r).toMatchObject({ alert: expect.stringMatching(/^Payflow[A-Za-z]+$/), expr: expect.any(String), for: expect.stringMatching(/^\d+m$/) });
      expect(['page', 'ticket']).toContain(r.labels.severity);
      expect(r.annotations.summary).toBeTruthy();
      expect(r.annotations.runbook).toMatch(/^docs\/operations\.md#/);
    }
  });

  it("covers Temporal's worker-health signals: schedule-to-start latency, slot availability, sync match rate, pollers", () => {
    const exprs = rules.map((r) => r.expr).join('\n');
    for (const metric of ['temporal_workflow_task_schedule_to_start_latency_bucket', 'temporal_activity_schedule_to_start_latency_bucket',
      'temporal_worker_task_slots_available', 'poll_success_sync', 'temporal_num_pollers']) {
      expect(exprs).toContain(metric);
    }
  });
});
