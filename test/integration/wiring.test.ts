import request from 'supertest';
import { useTestStack } from '../support/harness';

describe('first workflow: API → Temporal → worker → PostgreSQL', () => {
  const stack = useTestStack();

  it('runs the wiring check and records it in PostgreSQL', async () => {
    const res = await request(stack.app).post('/v1/diagnostics/wiring-checks').expect(201);
    expect(res.body.workflowId).toMatch(/^wiring-check-[0-9a-f-]{36}$/);
    const row = await stack.db('wiring_checks').where({ workflow_id: res.body.workflowId }).first();
    expect(row).toMatchObject({ requested_by: 'api' });
    const description = await stack.client.workflow.getHandle(res.body.workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
  });
});
