/**
 * The pure parts of issue 17's last pieces: the receipt channel consults consent (a withdrawn channel is skipped, the
 * receipt re-routed, never suppressed); the EHR's preferred channel and mailing address are validated naming the field
 * (never echoing the value); the email provider's event; the portal's preferences form; the fallback's start options.
 */
import { receiptChannel, type ReachablePatient } from '../../domain/receipt-channel';
import { patientRecordSchema } from '../../ehr/events';
import { emailEventSchema } from '../../contracts/webhooks';
import { checkPreferences, type ContactPreferences } from '../../app/channel-consents';
import { preferencesFromForm } from '../../web/portal/preferences-routes';
import { notificationFallbackStart } from '../../workflows/starts/notification-fallback';

const patient = (o: Partial<ReachablePatient> = {}): ReachablePatient => ({
  preferredChannel: null, email: 'a@example.test', phone: '+15555550100', hasMailingAddress: true, withdrawn: [], ...o,
});

describe('receiptChannel consults consent', () => {
  it('the preferred channel when on file and allowed; otherwise email, then text', () => {
    expect(receiptChannel(patient({ preferredChannel: 'text' }))).toBe('text');
    expect(receiptChannel(patient())).toBe('email');
    expect(receiptChannel(patient({ email: null }))).toBe('text');
  });
  it('a withdrawn preferred channel is re-routed to the next allowed one', () => {
    expect(receiptChannel(patient({ preferredChannel: 'email', withdrawn: ['email'] }))).toBe('text');
    expect(receiptChannel(patient({ preferredChannel: 'text', withdrawn: ['text'] }))).toBe('email');
  });
  it('no preference: a withdrawn email goes by text; both withdrawn: no receipt (no paper receipt unless asked for)', () => {
    expect(receiptChannel(patient({ withdrawn: ['email'] }))).toBe('text');
    expect(receiptChannel(patient({ withdrawn: ['email', 'text'] }))).toBeUndefined();
    expect(receiptChannel(patient({ phone: null, withdrawn: ['email'] }))).toBeUndefined();
  });
  it('mail cannot be withdrawn: a patient who asked for mail gets a letter', () => {
    expect(receiptChannel(patient({ preferredChannel: 'mail', withdrawn: ['mail', 'email'] }))).toBe('mail');
    expect(receiptChannel(patient({ preferredChannel: 'mail', hasMailingAddress: false, withdrawn: ['email'] }))).toBe('text');
  });
  it('without consent data it behaves as before', () => {
    const { withdrawn: _, ...before } = patient({ preferredChannel: 'text' });
    expect(receiptChannel(before)).toBe('text');
  });
});

describe('patient.upserted: preferred channel and mailing address', () => {
  const base = { practiceExternalId: 'p-1', externalId: 'pt-1', version: 1, firstName: 'Ada', lastName: 'Reyes', dateOfBirth: '1984-03-12' };
  const issues = (data: unknown) => {
    const r = patientRecordSchema.safeParse(data);
    return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  };
  it('accepts both optional, null, or well formed (state upper-cased, parts trimmed)', () => {
    expect(issues(base)).toEqual([]);
    expect(issues({ ...base, preferredChannel: null, mailingAddress: null })).toEqual([]);
    const parsed = patientRecordSchema.parse({ ...base, preferredChannel: 'mail', mailingAddress: { line1: ' 1 Harbor Way ', city: 'Oakland', state: 'ca', postalCode: '94607-1234' } });
    expect(parsed.mailingAddress).toEqual({ line1: '1 Harbor Way', city: 'Oakland', state: 'CA', postalCode: '94607-1234' });
  });
  it('names the field, never echoing the value', () => {
    expect(issues({ ...base, preferredChannel: 'fax' })).toEqual([{ path: 'preferredChannel', message: 'must be email, text or mail' }]);
    const bad = issues({ ...base, mailingAddress: { line1: '', city: 'Oakland', state: 'California', postalCode: '12AB3', extra: 1 } });
    expect(bad.map((b) => b.path).sort()).toEqual(['mailingAddress', 'mailingAddress.line1', 'mailingAddress.postalCode', 'mailingAddress.state'].sort());
    expect(JSON.stringify(bad)).not.toMatch(/California|12AB3/);
    expect(issues({ ...base, mailingAddress: { line1: '1 Harbor Way', state: 'CA', postalCode: '94607' } })).toEqual([{ path: 'mailingAddress.city', message: expect.any(String) }]);
  });
});

describe('the email provider\'s event', () => {
  const event = { eventId: 'evt-1', type: 'bounce', occurredAt: '2026-11-30T10:00:00Z', data: { messageId: '<abc123@payflow.local>', bounceType: 'permanent', code: '5.1.1' } };
  it('bounce and complaint, by Message-ID with or without brackets', () => {
    expect(emailEventSchema.safeParse(event).success).toBe(true);
    expect(emailEventSchema.safeParse({ ...event, type: 'complaint', data: { messageId: 'abc123@payflow.local' } }).success).toBe(true);
  });
  it('refuses other types, addresses with spaces and unknown fields', () => {
    expect(emailEventSchema.safeParse({ ...event, type: 'delivered' }).success).toBe(false);
    expect(emailEventSchema.safeParse({ ...event, data: { messageId: 'not a message id' } }).success).toBe(false);
    expect(emailEventSchema.safeParse({ ...event, data: { ...event.data, recipient: 'x@example.test' } }).success).toBe(false);
  });
});

describe('the portal\'s preferences form', () => {
  const prefs = (o: Partial<ContactPreferences> = {}): ContactPreferences => ({
    patientId: 'p', practiceId: 'pr', practiceName: 'Clinic', firstName: 'Ada', onFile: { email: true, text: true, mail: false },
    preferredChannel: null, preferredChannelSource: null, preferredChannelChangedAt: null, consents: {}, ...o,
  });
  it('reads the fields; an unknown value names its field', () => {
    expect(preferencesFromForm({ preferredChannel: '', email: 'off', text: 'on' })).toEqual({ change: { preferredChannel: null, email: false, text: true }, errors: [] });
    expect(preferencesFromForm({ preferredChannel: 'fax', email: 'maybe' }).errors.map((e) => e.field)).toEqual(['preferredChannel', 'email']);
    expect(preferencesFromForm({})).toEqual({ change: {}, errors: [] });
  });
  it('a preference needs its contact on file and its consent on', () => {
    expect(checkPreferences(prefs(), { preferredChannel: 'mail' })).toEqual([{ field: 'preferredChannel', message: expect.stringContaining('no mailing address on file') }]);
    expect(checkPreferences(prefs(), { preferredChannel: 'email', email: false })).toEqual([{ field: 'email', message: expect.any(String) }]);
    expect(checkPreferences(prefs(), { preferredChannel: 'text', email: false })).toEqual([]);
  });
});

describe('the durable fallback\'s start', () => {
  it('one run per failed message: its id only (no PHI), joined while running', () => {
    const start = notificationFallbackStart('0b6c2f3e-1111-4222-8333-444455556666', 'q');
    expect(start.options).toMatchObject({
      workflowId: 'notification-fallback-0b6c2f3e-1111-4222-8333-444455556666', taskQueue: 'q', workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{ notificationId: '0b6c2f3e-1111-4222-8333-444455556666' }],
    });
  });
});
