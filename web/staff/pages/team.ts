/** The practice's staff (admin): who may sign in, with which role; invite by email, change a role, deactivate. */
import type { StaffMember } from '../../../app/staff-directory';
import { STAFF_ROLES } from '../../../domain/staff';
import { html, type Interpolation } from '../../../lib/html';
import { th } from '../../table';
import { ariaInvalid, csrfField, notice, page, ROLE_LABELS, type Notice, type PageContext } from '../layout';

/** What the admin typed in the invite form, and why it was refused. */
export interface InviteFormState { email?: string; displayName?: string; role?: string; error?: { field: string; message: string } }

const STATUS_WORDS = { invited: 'invited (not signed in yet)', active: 'active', deactivated: 'deactivated' } as const;

function roleOptions(selected: string | undefined): Interpolation {
  return STAFF_ROLES.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${ROLE_LABELS[r]}</option>`);
}

function memberRow(ctx: PageContext, m: StaffMember): Interpolation {
  const self = m.staffId === ctx.staff.id;
  const live = m.status !== 'deactivated';
  const roleForm = live && !self ? html`<form method="post" action="/staff/team/${m.staffId}/role" class="inline">${csrfField(ctx)}
<label class="visually-hidden" for="role-${m.staffId}">Role of ${m.displayName}</label>
<select id="role-${m.staffId}" name="role">${roleOptions(m.role)}</select>
<button type="submit" class="secondary">Change</button></form>` : ROLE_LABELS[m.role];
  const deactivate = live && !self ? html`<form method="post" action="/staff/team/${m.staffId}/deactivate" class="inline">${csrfField(ctx)}
<button type="submit" class="danger">Deactivate</button></form>` : '';
  return html`<tr><td>${m.displayName}${self ? ' (you)' : ''}${m.kind === 'system' ? html` <span class="muted small">system (API token)</span>` : ''}</td>
<td>${m.email ?? ''}</td><td>${roleForm}</td><td>${STATUS_WORDS[m.status]}</td><td>${deactivate}</td></tr>`;
}

export function teamPage(ctx: PageContext, staff: StaffMember[], o: { form?: InviteFormState; notice?: Notice } = {}): string {
  const f = o.form ?? {};
  const err = (field: string) => (f.error?.field === field ? f.error.message : undefined);
  const errorText = (field: string) => (err(field) ? html`<p class="error" id="${field}-error">${err(field)}</p>` : '');
  return page({ title: 'Team', section: 'team', ctx }, html`<h1>Team</h1>
<p class="lead">Who may sign in to this practice, and with which role. People sign in with your practice's identity provider using the
email you invite them with; a deactivated member's sessions end and their API tokens stop working at once.</p>
${notice(o.notice)}
<div class="card"><table class="data"><caption class="visually-hidden">Staff of the practice</caption>
<thead><tr>${th('Name')}${th('Email')}${th('Role')}${th('Status')}${th(html`<span class="visually-hidden">Actions</span>`)}</tr></thead>
<tbody>${staff.map((m) => memberRow(ctx, m))}</tbody></table></div>
<form method="post" action="/staff/team/invite" class="card invite" novalidate>
${csrfField(ctx)}
<h2>Invite someone</h2>
<div class="field"><label for="invite-email">Email</label>
<input id="invite-email" name="email" type="email" autocomplete="off" value="${f.email ?? ''}"${ariaInvalid(err('email'))}>${errorText('email')}</div>
<div class="field"><label for="invite-name">Name</label>
<input id="invite-name" name="displayName" autocomplete="off" value="${f.displayName ?? ''}"${ariaInvalid(err('displayName'))}>${errorText('displayName')}</div>
<div class="field"><label for="invite-role">Role</label>
<select id="invite-role" name="role"${ariaInvalid(err('role'))}>${roleOptions(f.role ?? 'front_desk')}</select>${errorText('role')}</div>
${errorText('form')}
<button type="submit">Invite</button>
</form>`);
}
