/**
 * The portal's "Card on file" page (issue 18; docs/card-on-file-and-plans.md), on real PostgreSQL and the real app over
 * HTTP: the signed-in patient sees their own authorisations (card, cap, scope, status, charged so far) and revokes one
 * (actor patient:<id>, audited), with the session's CSRF token; another patient's authorisation, in the same practice
 * or another, is 404 and stays active; without a session, the sign-in page.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { saveAuthorisation } from '../../db/queries/card-on-file';
import { upsertPatient } from '../../db/queries/reference-data';
import { authorisationValidUntil } from '../../domain/card-on-file';
import { useTestStack } from '../support/harness';
import { PortalClient, seedStatementScenario, startPortalApp, type StatementScenario } from '../support/statement-driver';

describe('the portal card-on-file page', () => {
  const stack = useTestStack({ worker: false });
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  beforeAll(async () => {
    portal = await startPortalApp(stack);
  });
  afterAll(() => portal?.close());

  const seed = () => seedStatementScenario(stack.db, { paymentPageUrl: 'http://127.0.0.1:9/pay', email: `cof-${randomUUID().slice(0, 8)}@example.test` });

  /** An authorisation as the front desk records it (the card as the processor handed it back). */
  async function authorise(practiceId: string, patientId: string, last4 = '4242') {
    const ref = randomUUID().slice(0, 12);
    const { authorisation } = await saveAuthorisation(stack.db, {
      practiceId, patientId, card: { processor: 'standin', customerRef: `cus_${ref}`, paymentMethodRef: `pm_${ref}`, brand: 'visa', last4, expMonth: 12, expYear: 2030 },
      capCents: 15_000, scope: 'year', visitId: null, validUntil: authorisationValidUntil(new Date()), noticeChannel: 'email', createdVia: 'front_desk',
      actor: 'staff:test', businessKey: `card-setup:seti_${ref}`,
    });
    return authorisation.id;
  }

  /** A second patient of the same practice as `s`, who can sign in to the portal. */
  async function neighbourOf(s: StatementScenario) {
    const tag = randomUUID().slice(0, 8);
    const { id } = await upsertPatient(stack.db, {
      practiceExternalId: s.practiceExternalId, externalId: `pt-n-${tag}`, version: 1, firstName: 'Ben', lastName: 'Neighbour', dateOfBirth: '1990-07-30', email: null, phone: null,
    });
    const { account_id: accountId } = await stack.db('patients').where({ id }).first<{ account_id: string }>('account_id');
    return { patientId: id, accountId, dateOfBirth: '1990-07-30' };
  }

  it('lists the signed-in patient\'s cards on file and revokes one of them (patient, audited)', async () => {
    const s = await seed();
    const id = await authorise(s.practiceId, s.patientId);
    const client = new PortalClient(portal.url);
    expect((await client.get('/portal/card-on-file')).status).toBe(303);
    expect((await client.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);

    const page = await client.get('/portal/card-on-file');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.body).toContain('Visa ending 4242');
    expect(page.body).toContain('$150.00');
    expect(page.body).toContain('Active');
    expect(page.body).toContain(`action="/portal/card-on-file/${id}/revoke"`);

    // Without the session's form token: refused, nothing changes.
    expect((await client.post(`/portal/card-on-file/${id}/revoke`, {}, { csrf: 'f'.repeat(64) })).status).toBe(403);
    expect((await stack.db('card_authorisations').where({ id }).first()).revoked_at).toBeNull();

    const revoked = await client.post(`/portal/card-on-file/${id}/revoke`, {});
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/portal/card-on-file?revoked=1');
    const row = await stack.db('card_authorisations').where({ id }).first();
    expect(row.revoked_at).not.toBeNull();
    expect(row.revoked_by).toBe(`patient:${s.patientId}`);
    const audit = await stack.db('audit_log').where({ entity_id: id, action: 'card_authorisation.revoked' });
    expect(audit).toEqual([expect.objectContaining({ actor: `patient:${s.patientId}` })]);
    const after = await client.get('/portal/card-on-file?revoked=1');
    expect(after.body).toContain('Revoked. We will not charge that card from now on.');
    expect(after.body).not.toContain(`action="/portal/card-on-file/${id}/revoke"`);
    // Again: already revoked, the same page, nothing more written.
    expect((await client.post(`/portal/card-on-file/${id}/revoke`, {})).status).toBe(303);
    expect(await stack.db('audit_log').where({ entity_id: id, action: 'card_authorisation.revoked' })).toHaveLength(1);
    // Staff see it revoked too.
    const listed = await request(stack.app).get(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('billing')).expect(200);
    expect(listed.body.authorisations).toEqual([expect.objectContaining({ authorisationId: id, status: 'revoked' })]);
  });

  it('one patient cannot revoke (or see) another\'s authorisation: 404, in the same practice or another', async () => {
    const a = await seed();
    const other = await seed();
    const neighbour = await neighbourOf(a);
    const neighboursCard = await authorise(a.practiceId, neighbour.patientId, '1881');
    const otherPracticesCard = await authorise(other.practiceId, other.patientId, '5556');

    const client = new PortalClient(portal.url);
    expect((await client.signIn(a.accountId, a.dateOfBirth)).status).toBe(303);
    const page = await client.get('/portal/card-on-file');
    expect(page.status).toBe(200);
    expect(page.body).toContain('You have no card on file');
    // By the card's words and the authorisation's id: a bare '1881' can occur inside a random token on the page.
    for (const shown of ['ending 1881', 'ending 5556', neighboursCard, otherPracticesCard]) expect(page.body).not.toContain(shown);

    for (const id of [neighboursCard, otherPracticesCard, randomUUID(), 'not-an-id']) {
      const refused = await client.post(`/portal/card-on-file/${id}/revoke`, {});
      expect(refused.status).toBe(404);
      expect(refused.body).toContain('There is no such card on file on your account.');
    }
    for (const id of [neighboursCard, otherPracticesCard]) {
      expect((await stack.db('card_authorisations').where({ id }).first()).revoked_at).toBeNull();
    }
    // The neighbour revokes their own.
    const theirs = new PortalClient(portal.url);
    expect((await theirs.signIn(neighbour.accountId, neighbour.dateOfBirth)).status).toBe(303);
    expect((await theirs.get('/portal/card-on-file')).body).toContain('ending 1881');
    expect((await theirs.post(`/portal/card-on-file/${neighboursCard}/revoke`, {})).status).toBe(303);
    expect((await stack.db('card_authorisations').where({ id: neighboursCard }).first()).revoked_by).toBe(`patient:${neighbour.patientId}`);
  });
});
