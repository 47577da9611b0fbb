/**
 * The patient portal's pages, one per file: the sign-in form (lookup), the statement with its pay form, the receipt,
 * a message page, and the printable statement (also the staff's print of a statement). Their frame and form pieces
 * are in ../layout.ts, the statement lines in ../lines.ts, the stylesheets in ../static/.
 */
export { lookupPage, type LookupNotice, type LookupPageOptions } from './lookup';
export { statementPage, type StatementPageModel } from './statement';
export { receiptPage, type ReceiptModel } from './receipt';
export { messagePage } from './message';
export { payLinkPage } from './pay-link';
export { cardNoticePage } from './card-notice';
export { printableStatementPage, type PrintableStatement } from './printable-statement';
export { formatDate, formatInstant } from '../../format';
export type { PortalLine } from '../lines';
export type { FieldError } from '../layout';
