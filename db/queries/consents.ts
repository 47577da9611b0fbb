/**
 * Channel consent per (patient, channel) (migration 020; the rules: domain/channel-consent.ts). Every change writes an
 * audit row in the same transaction (`consent.withdrawn` / `consent.given`: channel, allowed, source; before → after),
 * so the audit log is the history and `channel_consents` the current state. A change to what is already stored writes
 * and audits nothing. No PHI here: ids, channels, booleans and sources (a phone number is only compared, never stored
 * or audited by this module).
 */
import type { Db } from '../connection';
import { consentChanges, type ChannelConsent, type ConsentableChannel, type ConsentSource } from '../../domain/channel-consent';
import type { NotificationChannel } from '../../domain/notices';
import { writeAudit } from './audit';

interface ConsentRow { patient_id: string; practice_id: string; channel: ConsentableChannel; allowed: boolean; source: ConsentSource; changed_at: Date }

const toConsent = (r: ConsentRow): ChannelConsent => ({ allowed: r.allowed, source: r.source, changedAt: r.changed_at });

/** The stored consent of a patient on a channel (undefined: none stored, the default applies). */
export async function consentOf(db: Db, patientId: string, channel: ConsentableChannel): Promise<ChannelConsent | undefined> {
  const row = await db('channel_consents').where({ patient_id: patientId, channel }).first<ConsentRow | undefined>();
  return row && toConsent(row);
}

/**
 * The stored consent, read under a share lock inside `trx`: a withdrawal committing meanwhile waits until `trx` ends, so
 * a send that read "allowed" finishes before the withdrawal counts, and every send after it sees the withdrawal.
 */
export async function consentForSend(trx: Db, patientId: string, channel: ConsentableChannel): Promise<ChannelConsent | undefined> {
  const row = await trx('channel_consents').where({ patient_id: patientId, channel }).forShare().first<ConsentRow | undefined>();
  return row && toConsent(row);
}

/** The patient's email address on file (PHI: for the send only), or undefined. */
export async function emailOnFile(db: Db, patientId: string): Promise<string | undefined> {
  const row = await db('patients').where({ id: patientId }).first<{ email: string | null } | undefined>('email');
  return row?.email ?? undefined;
}

/** A patient's consents, by channel. */
export async function consentsOfPatient(db: Db, patientId: string): Promise<Partial<Record<ConsentableChannel, ChannelConsent>>> {
  const rows = await db('channel_consents').where({ patient_id: patientId }).select<ConsentRow[]>();
  return Object.fromEntries(rows.map((r) => [r.channel, toConsent(r)]));
}

export interface ConsentChange {
  patientId: string;
  channel: ConsentableChannel;
  allowed: boolean;
  source: ConsentSource;
  /** Who: `patient:{id}` (a reply, a link), `user:{id}` (staff). */
  actor: string;
  requestId?: string | null;
}

/** Sets one consent, audited; `changed: false` when it already was so (nothing written). Unknown patient: RowNotFound-free, `changed: false`. */
export async function setConsent(db: Db, c: ConsentChange): Promise<{ changed: boolean }> {
  return db.transaction(async (trx) => {
    const patient = await trx('patients').where({ id: c.patientId }).forUpdate().first<{ practice_id: string } | undefined>('practice_id');
    if (!patient) return { changed: false };
    const current = await trx('channel_consents').where({ patient_id: c.patientId, channel: c.channel }).forUpdate().first<ConsentRow | undefined>();
    if (!consentChanges(current, c.allowed)) return { changed: false };
    await trx('channel_consents')
      .insert({ patient_id: c.patientId, practice_id: patient.practice_id, channel: c.channel, allowed: c.allowed, source: c.source, changed_at: trx.fn.now() })
      .onConflict(['patient_id', 'channel'])
      .merge(['allowed', 'source', 'changed_at']);
    await writeAudit(trx, {
      practiceId: patient.practice_id, actor: c.actor, action: c.allowed ? 'consent.given' : 'consent.withdrawn', entityType: 'patient', entityId: c.patientId,
      before: { channel: c.channel, allowed: current?.allowed ?? true, source: current?.source ?? 'default' },
      after: { channel: c.channel, allowed: c.allowed, source: c.source },
      requestId: c.requestId ?? null,
    });
    return { changed: true };
  });
}

/**
 * The patients whose phone number is this one (any practice: one sender number serves them all, and a carrier's STOP
 * is for the number). `digits`: the number's digits; a US number also matches its 10-digit national form.
 */
export async function patientsWithPhone(db: Db, e164: string): Promise<string[]> {
  const digits = e164.replace(/[^0-9]/g, '');
  const forms = digits.length === 11 && digits.startsWith('1') ? [digits, digits.slice(1)] : [digits];
  const rows = await db('patients')
    .whereNotNull('phone')
    .whereRaw(`regexp_replace(phone, '[^0-9]', '', 'g') = any(?)`, [forms])
    .orderBy('id')
    .select<{ id: string }[]>('id');
  return rows.map((r) => r.id);
}

/** Sets the text consent of every patient with this phone number (an SMS reply); the ids of those it changed. */
export async function setTextConsentByPhone(
  db: Db, e164: string, c: { allowed: boolean; source: ConsentSource; requestId?: string | null },
): Promise<{ matched: number; changed: string[] }> {
  const patients = await patientsWithPhone(db, e164);
  const changed: string[] = [];
  for (const patientId of patients) {
    const r = await setConsent(db, { patientId, channel: 'text', allowed: c.allowed, source: c.source, actor: `patient:${patientId}`, requestId: c.requestId ?? null });
    if (r.changed) changed.push(patientId);
  }
  return { matched: patients.length, changed };
}

export type PreferenceSource = 'reference_data' | 'portal' | 'staff';

/** What the preferences pages show: which contacts are on file (not the contacts themselves), the preference, consents. */
export interface ContactPreferences {
  patientId: string;
  practiceId: string;
  practiceName: string;
  firstName: string;
  onFile: { email: boolean; text: boolean; mail: boolean };
  preferredChannel: NotificationChannel | null;
  preferredChannelSource: PreferenceSource | null;
  preferredChannelChangedAt: Date | null;
  consents: Partial<Record<ConsentableChannel, ChannelConsent>>;
}

export async function contactPreferencesOf(db: Db, patientId: string): Promise<ContactPreferences | undefined> {
  const p = await db('patients as pt').join('practices as pr', 'pr.id', 'pt.practice_id').where('pt.id', patientId).first<{
    id: string; practice_id: string; practice_name: string; first_name: string; email: string | null; phone: string | null; mailing_line1: string | null; mailing_city: string | null; mailing_postal_code: string | null;
    preferred_channel: NotificationChannel | null; preferred_channel_source: PreferenceSource | null; preferred_channel_changed_at: Date | null;
  } | undefined>(
    'pt.id', 'pt.practice_id', 'pr.name as practice_name', 'pt.first_name', 'pt.email', 'pt.phone', 'pt.mailing_line1', 'pt.mailing_city', 'pt.mailing_postal_code',
    'pt.preferred_channel', 'pt.preferred_channel_source', 'pt.preferred_channel_changed_at',
  );
  if (!p) return undefined;
  return {
    patientId: p.id, practiceId: p.practice_id, practiceName: p.practice_name, firstName: p.first_name,
    onFile: { email: !!p.email, text: !!p.phone, mail: !!(p.mailing_line1 && p.mailing_city && p.mailing_postal_code) },
    preferredChannel: p.preferred_channel, preferredChannelSource: p.preferred_channel_source, preferredChannelChangedAt: p.preferred_channel_changed_at,
    consents: await consentsOfPatient(db, p.id),
  };
}

/** Sets the preferred channel (null: none), audited `preference.changed`; `changed: false` when it already was so. */
export async function setPreferredChannel(
  db: Db, c: { patientId: string; channel: NotificationChannel | null; source: Exclude<PreferenceSource, 'reference_data'>; actor: string; requestId?: string | null },
): Promise<{ changed: boolean }> {
  return db.transaction(async (trx) => {
    const p = await trx('patients').where({ id: c.patientId }).forUpdate()
      .first<{ practice_id: string; preferred_channel: NotificationChannel | null; preferred_channel_source: PreferenceSource | null } | undefined>('practice_id', 'preferred_channel', 'preferred_channel_source');
    if (!p || p.preferred_channel === c.channel) return { changed: false };
    await trx('patients').where({ id: c.patientId }).update({ preferred_channel: c.channel, preferred_channel_source: c.source, preferred_channel_changed_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: p.practice_id, actor: c.actor, action: 'preference.changed', entityType: 'patient', entityId: c.patientId,
      before: { preferredChannel: p.preferred_channel, source: p.preferred_channel_source }, after: { preferredChannel: c.channel, source: c.source },
      requestId: c.requestId ?? null,
    });
    return { changed: true };
  });
}
