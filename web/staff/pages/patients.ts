/** The practice's patients with their open balance; the static script filters the table as you type (nothing is sent). */
import { html } from '../../../lib/html';
import { th } from '../../table';
import { money, page, patientName, type PageContext } from '../layout';

export interface PatientListItem { patientId: string; externalId: string; firstName: string; lastName: string; openCents: number }

export function patientsPage(ctx: PageContext, patients: PatientListItem[]): string {
  const heads = [th('Patient'), th('MRN'), th('Open balance', 'num'), th(html`<span class="visually-hidden">Billing page</span>`)];
  const rows = patients.map((p) => html`<tr data-search="${`${p.firstName} ${p.lastName} ${p.lastName}, ${p.firstName} ${p.externalId}`.toLowerCase()}">
<td>${patientName(p)}</td><td>${p.externalId}</td><td class="num">${money(p.openCents)}</td>
<td><a href="/staff/patients/${p.patientId}">Billing page<span class="visually-hidden"> of ${patientName(p)}</span></a></td></tr>`);
  return page({ title: 'Patients', section: 'patients', ctx }, html`<h1>Patients</h1>
<div class="field" hidden><label for="patient-filter">Find a patient</label>
<p class="hint" id="patient-filter-hint">Type part of a name or MRN. Nothing you type leaves this page.</p>
<input type="text" id="patient-filter" autocomplete="off" aria-describedby="patient-filter-hint" aria-controls="patients" hidden>
<p class="muted small" id="patient-count" aria-live="polite"></p></div>
<table class="data" id="patients"><caption class="visually-hidden">Patients of the practice</caption>
<thead><tr>${heads}</tr></thead>
<tbody>${rows}</tbody>
</table>`);
}
