/**
 * The staff pages, one per file, server-rendered: sign-in, the work queue, a task with its resolve form, the patients,
 * the patient billing page (Balance pane with Collect Now), the superbill's Copayment Collected panel (Collect Now), a
 * collection, reports, the team (admin), settings, and a message page for errors. Landmarks, headings in order, labels tied to inputs,
 * errors tied to fields (aria-describedby), tables with header cells; everything reachable and usable with the
 * keyboard alone. No PHI in any URL: ids only. Their shell and shared pieces are in ../layout.ts.
 */
export { signedInPage, signInPage, signInProblemPage, type SignInChoices } from './sign-in';
export { queuePage, type QueueFilterValues } from './queue';
export { taskPage } from './task';
export { type ResolveFormState } from './task-resolve-form';
export { patientsPage, type PatientListItem } from './patients';
export { patientPage, type PatientPageExtra, type PatientPageModel } from './patient';
export { visitPage, type VisitPageModel } from './visit';
export { collectionPageHtml, type CollectionLedgerView } from './collection';
export { reportsPage, type ManualTasksReport, type OpenCreditsReport } from './reports';
export { settingsPage } from './settings';
export { teamPage, type InviteFormState } from './team';
export { messagePage } from './message';
export { statementMessagesPage, type StatementMessagesModel } from './statement';
export type { CollectFormState } from '../layout';
