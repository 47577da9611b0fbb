/**
 * A task's resolve form (billing): what to do with the money left to place (apply to the patient's claims, keep as
 * credit, refund, or close), the amounts, and a note. The static script checks the amounts as you type; the server
 * checks them again (domain/task-resolution.ts) and shows a refusal next to its field.
 */
import { centsToDollarsField } from '../../../domain/money';
import { html, type Interpolation, type SafeHtml } from '../../../lib/html';
import type { TaskView } from '../../../app/work-queue';
import { numTd, th } from '../../table';
import { ariaInvalid, csrfField, dollarsInput, formatDate, money, notice, type PageContext } from '../layout';

export interface ResolveFormState {
  action?: string;
  note?: string;
  /** Dollar text per claim id. */
  amounts?: Record<string, string>;
  refundAmount?: string;
  /** A rule the server refused (field + message; `claimId` when it is about one claim's amount). */
  error?: { field: string; message: string; claimId?: string };
}

const ACTION_TEXT: Record<string, [string, string]> = {
  apply: ["Apply to the patient's claims", 'Only claims the patient owns with an open balance; each amount up to its open balance.'],
  credit: ["Keep as credit on the patient's account", 'Mind the 30-day refund deadline.'],
  refund: ['Refund to the patient', 'The EHR is asked to return the money to the original payment.'],
  close: ['Close the task', 'No money is left to place; your note records the follow-up.'],
};

const NOTE_HINT = html`Required. Why this resolution, e.g. “patient confirmed the copay was for this visit”. Notes stay here; they are not sent to the EHR.`;

/** A field's error line: always there (the script fills it as you type), hidden while there is nothing to say. */
const errorLine = (id: string, message: string | undefined): SafeHtml =>
  html`<p class="error" id="${id}"${message ? '' : html` hidden`}>${message ?? ''}</p>`;

export function resolveForm(ctx: PageContext, v: TaskView, s: ResolveFormState): Interpolation {
  const left = v.payment?.unappliedCents ?? 0;
  const actions = v.allowedActions;
  const chosen = s.action && (actions as string[]).includes(s.action) ? s.action : actions.length === 1 ? actions[0] : undefined;
  const err = s.error;
  const errFor = (field: string) => (err && (err.field === field || err.field.startsWith(`${field}.`)) ? err.message : undefined);
  const claimRows = v.claims.map((c) => {
    const id = `amount-${c.claimId}`;
    const message = err && err.claimId === c.claimId ? err.message : undefined;
    const input = dollarsInput(
      { id, name: `amount.${c.claimId}`, value: s.amounts?.[c.claimId] ?? '' },
      html` data-open-cents="${c.openCents}" autocomplete="off" aria-describedby="${id}-error"${ariaInvalid(message)}`,
    );
    return html`<tr>
<td>${formatDate(c.dateOfService)}</td><td>${c.externalId}</td><td>${c.payerName ?? '—'}</td>
${numTd(money(c.patientResponsibilityCents))}${numTd(money(c.appliedCents))}${numTd(html`<strong>${money(c.openCents)}</strong>`)}
<td><label class="visually-hidden" for="${id}">Amount to apply to the claim of ${formatDate(c.dateOfService)} (open ${money(c.openCents)})</label>
${input}
${errorLine(`${id}-error`, message)}</td>
</tr>`;
  });
  const radios = actions.map((a) => {
    const [label, hint] = ACTION_TEXT[a]!;
    const input = html`<input type="radio" name="action" value="${a}"${chosen === a ? html` checked` : ''}${actions.length === 1 ? html` required` : ''}>`;
    return html`<label>${input}<span><strong>${label}</strong><span class="hint">${hint}</span></span></label>`;
  });
  const heads = [
    th('Date of service'), th('Claim'), th('Payer'), th('Patient owes', 'num'), th('Paid', 'num'), th('Open balance', 'num'), th('Apply'),
  ];
  const refundInput = dollarsInput(
    { id: 'refundAmount', name: 'refundAmount', value: s.refundAmount ?? centsToDollarsField(left) },
    html` autocomplete="off" aria-describedby="refundAmount-hint refundAmount-error"${ariaInvalid(errFor('refundCents'))}`,
  );
  const legend = left > 0 ? `What should happen to the ${money(left)} left to place?` : 'Nothing is left to place';
  return html`<section class="card" aria-labelledby="resolve-h">
<h2 id="resolve-h">Resolve</h2>
${v.resolvesThrough === 'workflow'
    ? html`<p class="muted small">The collection's workflow is waiting for this decision; it completes as soon as you resolve.</p>`
    : html`<p class="muted small">No workflow waits for this task: your resolution is recorded directly in the ledger.</p>`}
${err ? notice({ kind: 'bad', title: 'This resolution was not accepted', text: err.message, focus: true }) : ''}
<form method="post" action="/staff/tasks/${v.task.taskId}/resolve" id="resolve-form" data-left-cents="${left}" novalidate>
${csrfField(ctx)}
<fieldset class="choices"><legend>${legend}</legend>${radios}</fieldset>
${actions.includes('apply') ? html`<fieldset data-for-action="apply"><legend>Amounts to apply</legend>
${v.claims.length === 0
    ? html`<p>This patient has no claim they own with an open balance. Keep the money as credit or refund it.</p>`
    : html`<table class="data"><caption class="visually-hidden">The patient's claims with an open balance</caption>
<thead><tr>${heads}</tr></thead>
<tbody>${claimRows}</tbody></table>`}
</fieldset>` : ''}
${actions.includes('refund') ? html`<fieldset data-for-action="refund"><div class="field">
<label for="refundAmount">Amount to refund</label>
<p class="hint" id="refundAmount-hint">Up to ${money(left)}.</p>
${refundInput}
${errorLine('refundAmount-error', errFor('refundCents'))}
</div></fieldset>` : ''}
<div class="field">
<label for="note">Note</label>
<p class="hint" id="note-hint">${NOTE_HINT}</p>
<textarea id="note" name="note" maxlength="2000" required aria-describedby="note-hint note-error"${ariaInvalid(errFor('note'))}>${s.note ?? ''}</textarea>
${errorLine('note-error', errFor('note'))}
</div>
<p class="live-summary" id="resolve-live" aria-live="polite"></p>
<div class="actions"><button type="submit">Resolve task</button><a href="/staff/queue">Back to the queue</a></div>
</form>
</section>`;
}
