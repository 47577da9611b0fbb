import request from 'supertest';
import { useTestStack } from '../support/harness';
import { seedScenario } from '../support/fixtures';

describe('first workflow: API → Temporal → worker → PostgreSQL', () => {
  const stack = useTestStack();

  it('runs the wiring check and records it in PostgreSQL', async () => {
    const { auth } = await seedScenario(stack.db);
    const res = await request(stack.app).post('/v1/diagnostics/wiring-checks').set(auth('admin')).expect(201);
    expect(res.body.workflowId).toMatch(/^wiring-check-[0-9a-f-]{36}$/);
    const row = await stack.db('wiring_checks').where({ workflow_id: res.body.workflowId }).first();
    expect(row).toMatchObject({ requested_by: 'api' });
    const description = await stack.client.workflow.getHandle(res.body.workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
  });
});

describe('staff authentication on the diagnostics route', () => {
  const stack = useTestStack({ worker: false });

  it('refuses a missing token (401) and a non-admin role (403)', async () => {
    const { auth } = await seedScenario(stack.db);
    await request(stack.app).post('/v1/diagnostics/wiring-checks').expect(401).expect('Content-Type', /problem\+json/);
    await request(stack.app).post('/v1/diagnostics/wiring-checks').set(auth('frontDesk')).expect(403);
    expect(await stack.db('wiring_checks').count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 0 }]);
  });
});
