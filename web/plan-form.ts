/**
 * The payment plan form as the portal (web/portal/payment-plan-routes.ts) and the staff patient page
 * (web/staff/payment-plan-routes.ts) read it: the card, the number of installments or the amount of each, the first due
 * date and, on the staff form, the interval. What the form alone can refuse is refused here with the field and why;
 * the plan's rules (app/payment-plans.ts) answer the rest, and `planFormErrorsOf` words their refusal for the form.
 */
import { parseDollars } from '../domain/money';
import { AppError } from '../lib/errors';

export interface PlanFormValues { authorisationId?: string; installments?: string; amount?: string; firstDueDate?: string; every?: string }
export interface PlanFormError { field: string; message: string }
/** The form's interval choices (staff), as the API's `interval`. */
export const PLAN_EVERY = { month: { unit: 'month', count: 1 }, '2weeks': { unit: 'week', count: 2 }, week: { unit: 'week', count: 1 } } as const;
export type PlanEvery = keyof typeof PLAN_EVERY;

export interface PlanRequest {
  authorisationId: string; firstDueDate: string; installments?: number; installmentCents?: number; interval?: (typeof PLAN_EVERY)[PlanEvery];
}

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** How a form names one installment: the portal's "monthly payment", the staff's "installment". */
export interface PlanFormWords { one: string; many: string }

/**
 * The form's values (to show again), what it refuses, and the request when it refuses nothing. `every`: the form asks
 * how often (the staff's); without it the field is not read (the portal's plans are monthly).
 */
export function readPlanForm(raw: Record<string, unknown>, o: { words: PlanFormWords; every: boolean }): { values: PlanFormValues; errors: PlanFormError[]; request?: PlanRequest } {
  const { one, many } = o.words;
  const values: PlanFormValues = {
    authorisationId: str(raw.authorisationId), installments: str(raw.installments), amount: str(raw.amount), firstDueDate: str(raw.firstDueDate),
    ...(o.every ? { every: str(raw.every) } : {}),
  };
  const errors: PlanFormError[] = [];
  const installments = values.installments ? (/^\d{1,3}$/.test(values.installments) ? Number(values.installments) : NaN) : undefined;
  const installmentCents = values.amount ? parseDollars(values.amount) ?? NaN : undefined;
  if (Number.isNaN(installments)) errors.push({ field: 'installments', message: `Enter the number of ${many} as a whole number, for example 6.` });
  if (Number.isNaN(installmentCents)) errors.push({ field: 'installmentCents', message: 'Enter the amount in dollars and cents, for example 50.00.' });
  if (installments === undefined && installmentCents === undefined) errors.push({ field: 'installments', message: `Enter the number of ${many}, or the amount of each ${one}.` });
  if (installments !== undefined && installmentCents !== undefined && errors.length === 0) {
    const message = `Enter the number of ${many} or the amount of each ${one}, not both.`;
    errors.push({ field: 'installments', message }, { field: 'installmentCents', message });
  }
  if (!values.authorisationId) errors.push({ field: 'authorisationId', message: 'Choose the card to charge.' });
  const every = values.every && values.every in PLAN_EVERY ? (values.every as PlanEvery) : undefined;
  if (values.every && !every) errors.push({ field: 'every', message: 'Choose how often a payment is charged.' });
  if (errors.length > 0) return { values, errors };
  return {
    values, errors,
    request: {
      authorisationId: values.authorisationId!, firstDueDate: values.firstDueDate!,
      ...(installments !== undefined ? { installments } : {}), ...(installmentCents !== undefined ? { installmentCents } : {}),
      ...(every ? { interval: PLAN_EVERY[every] } : {}),
    },
  };
}

/** The words of the plan rules' fields ("installmentCents makes installments of …" → "The amount of each payment makes …"). */
const FIELD_WORDS: Record<string, string> = {
  authorisationId: 'The card', installments: 'The number of payments', installmentCents: 'The amount of each payment', firstDueDate: 'The first payment date',
  interval: 'How often',
};
const FORM_FIELD: Record<string, string> = { interval: 'every' };
/** The fields a plan form shows; a refusal of any other (the balance was paid meanwhile) is about the whole form. */
export const PLAN_FORM_FIELDS = ['authorisationId', 'installments', 'installmentCents', 'firstDueDate', 'every'];

/** A 422 from the plan rules as the form's errors (`field: 'form'` for one about no field of it); undefined for anything else. */
export function planFormErrorsOf(err: unknown): PlanFormError[] | undefined {
  if (!(err instanceof AppError) || err.status !== 422) return undefined;
  const fields = err.fields?.length ? err.fields : [{ field: 'form', reason: err.message }];
  return fields.map((f) => {
    const field = FORM_FIELD[f.field] ?? f.field;
    if (PLAN_FORM_FIELDS.includes(field)) return { field, message: `${FIELD_WORDS[f.field] ?? ''} ${f.reason}`.trim() };
    return { field: 'form', message: `${f.reason.charAt(0).toUpperCase()}${f.reason.slice(1)}${/[.!?]$/.test(f.reason) ? '' : '.'}` };
  });
}
