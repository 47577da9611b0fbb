/**
 * Channel preferences and consent (issue 17), on real PostgreSQL and the real API:
 * - the EHR's `patient.upserted` carries the preferred channel and the mailing address of record (validated: a 4xx
 *   problem naming the field, nothing stored); an event without them leaves them as stored; a patient's own choice in
 *   the portal is not overwritten by the EHR's next update;
 * - the portal's preferences page (signed in): choose a preferred channel, withdraw and restore email and text consent
 *   (source `portal`, audited); a channel not on file is refused naming the field; the session's CSRF token is required;
 * - the staff patient page shows each channel's consent, source and time; staff withdraw and restore (source `staff`,
 *   audited as the staff member, CSRF-protected), another practice's patient is 404;
 * - staff set the preferred channel among the channels a message can go by (a contact on file, consent given), audited;
 *   the EHR's next update keeps it, as it keeps the patient's own choice.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { signWebhook } from '../../lib/webhook-signature';
import { TEST_SECRETS, useTestStack } from '../support/harness';
import { PortalClient, seedStatementScenario, startPortalApp, type StatementScenario } from '../support/statement-driver';

describe('channel preferences and consent', () => {
  const stack = useTestStack({ worker: false });
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  beforeAll(async () => {
    portal = await startPortalApp(stack, { reminderIntervalMs: 60 * 60_000 });
  });
  afterAll(() => portal?.close());

  const seed = () => seedStatementScenario(stack.db, { paymentPageUrl: 'http://127.0.0.1:9/pay', email: `cp-${randomUUID().slice(0, 8)}@example.test`, phone: '+15555550177' });
  const patientRow = (s: StatementScenario) => stack.db('patients').where({ id: s.patientId }).first();
  const externalIdOf = async (s: StatementScenario) => (await patientRow(s)).external_id as string;
  const upsertEvent = async (s: StatementScenario, version: number, extra: Record<string, unknown>) => {
    const body = JSON.stringify({
      eventId: `evt-${randomUUID()}`, type: 'patient.upserted', occurredAt: new Date().toISOString(),
      data: {
        practiceExternalId: s.practiceExternalId, externalId: await externalIdOf(s), version, firstName: 'Ada', lastName: 'Testington', dateOfBirth: s.dateOfBirth,
        email: (await patientRow(s)).email, phone: '+15555550177', ...extra,
      },
    });
    return request(stack.app).post('/webhooks/ehr').set('Content-Type', 'application/json')
      .set('Payflow-Signature', signWebhook(body, TEST_SECRETS.ehr, Math.floor(Date.now() / 1000))).send(body);
  };
  const auditOf = (patientId: string, action: string) => stack.db('audit_log').where({ entity_id: patientId, action }).orderBy('id');
  /** A staff session on the scenario's patient page: its cookie, the page and the page's CSRF token. */
  const staffSignIn = async (s: StatementScenario, token: string) => {
    const res = await request(stack.app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ token }).expect(303);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
    const page = await request(stack.app).get(`/staff/patients/${s.patientId}`).set('Cookie', cookie).set('Host', '127.0.0.1');
    return { cookie, page, csrf: /name="csrf" value="([^"]+)"/.exec(page.text)![1]! };
  };

  it('patient.upserted carries the preferred channel and the mailing address, validated; absent fields are left as stored', async () => {
    const s = await seed();
    const address = { line1: '1 Harbor Way', line2: 'Apt 4', city: 'Oakland', state: 'ca', postalCode: '94607' };
    const ok = await upsertEvent(s, 2, { preferredChannel: 'text', mailingAddress: address });
    expect(ok.status).toBe(200);
    expect(await patientRow(s)).toMatchObject({
      preferred_channel: 'text', preferred_channel_source: 'reference_data',
      mailing_line1: '1 Harbor Way', mailing_line2: 'Apt 4', mailing_city: 'Oakland', mailing_state: 'CA', mailing_postal_code: '94607',
    });

    const badZip = await upsertEvent(s, 3, { mailingAddress: { ...address, postalCode: '12AB3' } });
    expect(badZip.status).toBeGreaterThanOrEqual(400);
    expect(badZip.status).toBeLessThan(500);
    expect(badZip.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(badZip.body)).toContain('postalCode');
    expect(JSON.stringify(badZip.body)).not.toContain('12AB3');
    const badChannel = await upsertEvent(s, 3, { preferredChannel: 'fax' });
    expect(badChannel.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(badChannel.body)).toContain('preferredChannel');
    const missingCity = await upsertEvent(s, 3, { mailingAddress: { line1: '1 Harbor Way', state: 'CA', postalCode: '94607' } });
    expect(JSON.stringify(missingCity.body)).toContain('city');

    // A newer version without the fields: the preference and the address stay.
    expect((await upsertEvent(s, 4, {})).status).toBe(200);
    expect(await patientRow(s)).toMatchObject({ preferred_channel: 'text', mailing_line1: '1 Harbor Way', source_version: 4 });
    // null clears.
    expect((await upsertEvent(s, 5, { mailingAddress: null, preferredChannel: null })).status).toBe(200);
    expect(await patientRow(s)).toMatchObject({ preferred_channel: null, preferred_channel_source: null, mailing_line1: null, mailing_postal_code: null });
  });

  it('the portal preferences page: a preferred channel, email withdrawn and restored (source portal, audited); the EHR does not overwrite the choice', async () => {
    const s = await seed();
    await stack.db('patients').where({ id: s.patientId }).update({ mailing_line1: '1 Harbor Way', mailing_city: 'Oakland', mailing_state: 'CA', mailing_postal_code: '94607' });
    const client = new PortalClient(portal.url);
    const anonymous = await client.get('/portal/preferences');
    expect(anonymous.status).toBe(303);
    expect((await client.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);

    const page = await client.get('/portal/preferences');
    expect(page.status).toBe(200);
    expect(page.body).toContain('How we contact you');
    expect(page.body).toContain('value="mail"');
    expect(page.body).not.toContain('@example.test'); // channels, never the contact details
    expect(page.body).not.toContain('5550177');

    // Without the session's CSRF token: nothing changes.
    const forged = await client.post('/portal/preferences', { preferredChannel: 'mail', email: 'off' }, { csrf: 'f'.repeat(64) });
    expect(forged.status).toBe(403);
    expect(await stack.db('channel_consents').where({ patient_id: s.patientId })).toHaveLength(0);

    const saved = await client.post('/portal/preferences', { preferredChannel: 'mail', email: 'off', text: 'on' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/portal/preferences?saved=1');
    expect(await patientRow(s)).toMatchObject({ preferred_channel: 'mail', preferred_channel_source: 'portal' });
    expect(await stack.db('channel_consents').where({ patient_id: s.patientId, channel: 'email' }).first()).toMatchObject({ allowed: false, source: 'portal' });
    const [withdrawn] = await auditOf(s.patientId, 'consent.withdrawn');
    expect(withdrawn).toMatchObject({ actor: `patient:${s.patientId}` });
    expect(withdrawn.after).toEqual({ channel: 'email', allowed: false, source: 'portal' });
    const [preference] = await auditOf(s.patientId, 'preference.changed');
    expect(preference.after).toEqual({ preferredChannel: 'mail', source: 'portal' });
    const after = await client.get('/portal/preferences?saved=1');
    expect(after.body).toContain('Your choices are saved');
    expect(after.body).toMatch(/id="email-off" name="email" value="off" checked/);

    // Email as the preference while email is off: refused, naming the field.
    const refused = await client.post('/portal/preferences', { preferredChannel: 'email', email: 'off' });
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('href="#email"');
    const bogus = await client.post('/portal/preferences', { preferredChannel: 'fax' });
    expect(bogus.status).toBe(422);
    expect(bogus.body).toContain('href="#preferredChannel"');

    // Restored.
    expect((await client.post('/portal/preferences', { preferredChannel: 'mail', email: 'on', text: 'on' })).status).toBe(303);
    expect(await stack.db('channel_consents').where({ patient_id: s.patientId, channel: 'email' }).first()).toMatchObject({ allowed: true, source: 'portal' });
    expect(await auditOf(s.patientId, 'consent.given')).toHaveLength(1);

    // The EHR's next update, still carrying its own old value: the patient's choice stands.
    expect((await upsertEvent(s, 2, { preferredChannel: 'text' })).status).toBe(200);
    expect(await patientRow(s)).toMatchObject({ preferred_channel: 'mail', preferred_channel_source: 'portal', source_version: 2 });

    // A patient without a mailing address cannot prefer mail.
    await stack.db('patients').where({ id: s.patientId }).update({ mailing_line1: null });
    const noAddress = await client.post('/portal/preferences', { preferredChannel: 'mail' });
    expect(noAddress.status).toBe(422);
    expect(noAddress.body).toContain('There is no mailing address on file');
  });

  it('the staff patient page shows each channel\'s consent, source and time; staff withdraw and restore (source staff, audited, CSRF)', async () => {
    const s = await seed();
    const staff = await staffSignIn(s, s.tokens.frontDesk);
    expect(staff.page.status).toBe(200);
    expect(staff.page.text).toContain('Contact and consent');
    expect(staff.page.text).toMatch(/data-consent="text">allowed/);
    expect(staff.page.text).toContain('default (contact on file)');
    const post = (form: Record<string, string>, session = staff, patientId = s.patientId) => request(stack.app).post(`/staff/patients/${patientId}/consent`).type('form')
      .set('Cookie', session.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send(form);

    // No CSRF token: refused, nothing changes.
    expect((await post({ channel: 'text', allowed: 'no' })).status).toBe(403);
    expect(await stack.db('channel_consents').where({ patient_id: s.patientId })).toHaveLength(0);

    const withdrawn = await post({ csrf: staff.csrf, channel: 'text', allowed: 'no' });
    expect(withdrawn.status).toBe(303);
    expect(await stack.db('channel_consents').where({ patient_id: s.patientId, channel: 'text' }).first()).toMatchObject({ allowed: false, source: 'staff' });
    const frontDesk = await stack.db('staff_users').where({ practice_id: s.practiceId, role: 'front_desk' }).first();
    const [audit] = await auditOf(s.patientId, 'consent.withdrawn');
    expect(audit).toMatchObject({ actor: `user:${frontDesk.id}` });
    expect(audit.after).toEqual({ channel: 'text', allowed: false, source: 'staff' });
    const page = await request(stack.app).get(`/staff/patients/${s.patientId}?done=consent`).set('Cookie', staff.cookie).set('Host', '127.0.0.1');
    expect(page.text).toContain('Consent changed');
    expect(page.text).toMatch(/data-consent="text"><strong>withdrawn<\/strong><\/td><td>staff<\/td>/);

    expect((await post({ csrf: staff.csrf, channel: 'text', allowed: 'yes' })).status).toBe(303);
    expect(await stack.db('channel_consents').where({ patient_id: s.patientId, channel: 'text' }).first()).toMatchObject({ allowed: true, source: 'staff' });

    // Mail cannot be withdrawn: 422 naming the field; another practice's patient: 404.
    const mail = await post({ csrf: staff.csrf, channel: 'mail', allowed: 'no' });
    expect(mail.status).toBe(422);
    expect(mail.text).toContain('channel must be email or text');
    const other = await seed();
    expect((await post({ csrf: staff.csrf, channel: 'text', allowed: 'no' }, staff, other.patientId)).status).toBe(404);
  });

  it('staff set the preferred channel among those a message can go by (source staff, audited); the EHR\'s next update keeps it', async () => {
    const s = await seed();
    const staff = await staffSignIn(s, s.tokens.frontDesk);
    // Offered: none, and the channels with a contact on file and consent (this patient has no mailing address).
    expect(staff.page.text).toContain('<option value="none" selected>None (every channel on file)</option>');
    expect(staff.page.text).toContain('<option value="text">Text message</option>');
    expect(staff.page.text).not.toContain('<option value="mail">');
    const post = (preferredChannel: string, session = staff, patientId = s.patientId) => request(stack.app).post(`/staff/patients/${patientId}/preferred-channel`).type('form')
      .set('Cookie', session.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ csrf: session.csrf, preferredChannel });

    expect((await post('text')).status).toBe(303);
    expect(await patientRow(s)).toMatchObject({ preferred_channel: 'text', preferred_channel_source: 'staff' });
    const frontDesk = await stack.db('staff_users').where({ practice_id: s.practiceId, role: 'front_desk' }).first();
    const [audit] = await auditOf(s.patientId, 'preference.changed');
    expect(audit).toMatchObject({ actor: `user:${frontDesk.id}` });
    expect(audit.after).toEqual({ preferredChannel: 'text', source: 'staff' });
    const page = await request(stack.app).get(`/staff/patients/${s.patientId}?done=preferred`).set('Cookie', staff.cookie).set('Host', '127.0.0.1');
    expect(page.text).toContain('Preferred channel changed');
    expect(page.text).toContain('Text message <span class="muted small">(set by staff');
    expect(page.text).toContain('<option value="text" selected>Text message</option>');

    // The EHR's next update names another channel: the staff's choice stays.
    expect((await upsertEvent(s, 2, { preferredChannel: 'email' })).status).toBe(200);
    expect(await patientRow(s)).toMatchObject({ preferred_channel: 'text', preferred_channel_source: 'staff' });

    // Refused, each in words, nothing changed: not a channel, no address on file, a channel whose consent is withdrawn.
    for (const [value, words] of [['fax', 'preferredChannel must be email, text, mail or none.'], ['mail', 'There is no mailing address on file']] as const) {
      const refused = await post(value);
      expect(refused.status).toBe(422);
      expect(refused.text).toContain('Preferred channel not changed');
      expect(refused.text).toContain(words);
    }
    await request(stack.app).post(`/staff/patients/${s.patientId}/consent`).type('form').set('Cookie', staff.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1')
      .send({ csrf: staff.csrf, channel: 'email', allowed: 'no' }).expect(303);
    const withdrawn = await post('email');
    expect(withdrawn.status).toBe(422);
    expect(withdrawn.text).toContain('Email consent is withdrawn');
    expect(await patientRow(s)).toMatchObject({ preferred_channel: 'text' });

    // Cleared: no preference; another practice's patient: 404.
    expect((await post('none')).status).toBe(303);
    expect(await patientRow(s)).toMatchObject({ preferred_channel: null, preferred_channel_source: 'staff' });
    const other = await seed();
    expect((await post('text', staff, other.patientId)).status).toBe(404);
  });
});
