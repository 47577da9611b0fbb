/**
 * The portal's stylesheets, served as files (/portal/static/*.css) so the Content-Security-Policy needs no inline
 * styles and no scripts at all. Phone first: one column, 44 px touch targets, tables that become stacked cards on
 * narrow screens; visible focus everywhere; colours with at least 4.5:1 contrast.
 */

export const PORTAL_CSS = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5260; --line: #c4cad3; --accent: #0b5cad; --accent-dark: #084a8c;
  --ok: #1d6b35; --bad: #a4161a; --paper: #fff; --bg: #f4f6f8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 1.0625rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem 1rem; z-index: 1; }
.skip:focus { left: .5rem; top: .5rem; }
header.site { background: var(--accent); color: #fff; }
header.site .inner { max-width: 48rem; margin: 0 auto; padding: .75rem 1rem; display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
header.site .brand { font-weight: 700; font-size: 1.125rem; margin: 0; }
header.site form { margin: 0; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
h1 { font-size: 1.625rem; line-height: 1.25; margin: 1rem 0 .75rem; }
h2 { font-size: 1.25rem; margin: 0 0 .75rem; }
p { margin: 0 0 1rem; }
.lead { font-size: 1.125rem; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; margin: 0 0 1.25rem; }
.field { margin: 0 0 1.25rem; }
label { display: block; font-weight: 600; margin: 0 0 .25rem; }
.hint { color: var(--muted); margin: 0 0 .375rem; font-size: .9375rem; }
/* A line whose balance changed since the statement (payer reprocessing): the printed one struck, today's beside it. */
.lines s { color: var(--muted); }
.lines .now { font-weight: 600; white-space: nowrap; }
input[type=text], input[type=date] { display: block; width: 100%; max-width: 22rem; font: inherit; padding: .625rem .75rem; min-height: 2.75rem;
  border: 2px solid var(--muted); border-radius: .375rem; background: #fff; color: var(--ink); }
input.amount { max-width: 12rem; }
.prefix { display: flex; align-items: center; gap: .375rem; }
.prefix span { font-weight: 600; }
[aria-invalid=true] { border-color: var(--bad); }
.error { color: var(--bad); font-weight: 600; margin: 0 0 .375rem; }
.error-summary { border: 3px solid var(--bad); border-radius: .5rem; background: #fff; padding: 1rem; margin: 0 0 1.25rem; }
.error-summary h2 { color: var(--bad); font-size: 1.125rem; }
.error-summary ul { margin: 0; padding-left: 1.25rem; }
.notice { border-left: .375rem solid var(--accent); background: #fff; padding: .75rem 1rem; margin: 0 0 1.25rem; }
.notice.ok { border-left-color: var(--ok); }
button, .button { display: inline-block; font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: .375rem;
  padding: .75rem 1.5rem; min-height: 2.75rem; cursor: pointer; text-decoration: none; text-align: center; width: 100%; }
button:hover, .button:hover { background: var(--accent-dark); }
button.link { background: none; color: inherit; padding: .5rem 0; min-height: 2.75rem; width: auto; text-decoration: underline; font-weight: 400; }
header.site button.link { color: #fff; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
table.lines { width: 100%; border-collapse: collapse; margin: 0 0 1rem; font-size: .9375rem; }
table.lines th, table.lines td { text-align: left; padding: .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
table.lines th { font-size: .875rem; color: var(--muted); }
table.lines .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.lines tfoot th, table.lines tfoot td { font-weight: 700; color: var(--ink); font-size: 1rem; border-bottom: 0; }
dl.totals { display: grid; grid-template-columns: 1fr auto; gap: .25rem 1rem; margin: 0 0 1rem; }
dl.totals dt { margin: 0; }
dl.totals dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
dl.totals .due { font-weight: 700; font-size: 1.25rem; }
dl.receipt { display: grid; grid-template-columns: max-content 1fr; gap: .375rem 1rem; margin: 0 0 1rem; }
dl.receipt dt { color: var(--muted); }
dl.receipt dd { margin: 0; overflow-wrap: anywhere; font-weight: 600; }
.actions { display: flex; flex-direction: column; gap: .75rem; }
footer.site { max-width: 48rem; margin: 0 auto; padding: 0 1rem 2rem; color: var(--muted); font-size: .875rem; }
/* Narrow screens: each statement line becomes a small card with labelled values. */
@media (max-width: 40rem) {
  table.lines thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.lines, table.lines tbody, table.lines tr, table.lines td, table.lines tfoot, table.lines tfoot th { display: block; width: 100%; }
  table.lines tbody tr { border: 1px solid var(--line); border-radius: .375rem; padding: .25rem .5rem; margin: 0 0 .75rem; background: #fff; }
  table.lines td { border: 0; padding: .25rem 0; display: flex; justify-content: space-between; gap: 1rem; text-align: right; }
  table.lines td::before { content: attr(data-label); color: var(--muted); text-align: left; font-weight: 400; }
  table.lines td.service { display: block; text-align: left; font-weight: 600; }
  table.lines td.service::before { content: none; }
  table.lines tfoot tr { display: flex; justify-content: space-between; padding: .5rem 0; }
  table.lines tfoot th, table.lines tfoot td { width: auto; padding: 0; }
  dl.receipt { grid-template-columns: 1fr; gap: 0; }
  dl.receipt dd { margin: 0 0 .625rem; }
}
@media (min-width: 40rem) {
  button, .button { width: auto; }
  .actions { flex-direction: row; align-items: center; }
  h1 { font-size: 2rem; }
}
`;

/** The printable statement: a letter-size page on paper, a sheet of paper on screen. */
export const STATEMENT_CSS = `
.lines s { color: #555; }
.lines .now { font-weight: 600; white-space: nowrap; }
:root { color-scheme: light; --ink: #111; --muted: #444; --line: #999; }
* { box-sizing: border-box; }
body { margin: 0; background: #e9ecef; color: var(--ink); font: 10.5pt/1.4 "Helvetica Neue", Helvetica, Arial, sans-serif; }
.toolbar { max-width: 8.5in; margin: 1rem auto; padding: 0 .5rem; font-size: 1rem; display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
.toolbar a { color: #0b5cad; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.sheet { background: #fff; max-width: 8.5in; margin: 0 auto 2rem; padding: .6in .6in .4in; box-shadow: 0 1px 4px rgba(0,0,0,.25); }
.letterhead { display: flex; justify-content: space-between; align-items: flex-start; gap: 1.5rem; border-bottom: 2px solid var(--ink); padding-bottom: .75rem; margin-bottom: 1rem; flex-wrap: wrap; }
.letterhead h1 { font-size: 18pt; margin: 0 0 .15rem; }
.letterhead p { margin: 0; color: var(--muted); }
.doc-title { text-align: right; }
.doc-title h2 { font-size: 16pt; letter-spacing: .08em; text-transform: uppercase; margin: 0 0 .35rem; }
dl.meta { display: grid; grid-template-columns: auto auto; gap: .1rem .75rem; margin: 0; justify-content: end; }
dl.meta dt { color: var(--muted); text-align: right; }
dl.meta dd { margin: 0; font-weight: 700; text-align: right; font-variant-numeric: tabular-nums; }
.addressee { margin: 0 0 1.25rem; min-height: 1.2in; }
.addressee p { margin: 0; }
table.lines { width: 100%; border-collapse: collapse; margin: 0 0 .75rem; }
table.lines caption { text-align: left; font-weight: 700; margin-bottom: .35rem; }
table.lines th, table.lines td { border-bottom: 1px solid var(--line); padding: .3rem .35rem; text-align: left; vertical-align: top; }
table.lines thead th { border-bottom: 1.5px solid var(--ink); font-size: 9pt; text-transform: uppercase; letter-spacing: .03em; }
table.lines .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.totals { margin-left: auto; width: 3.4in; max-width: 100%; }
.totals dl { display: grid; grid-template-columns: 1fr auto; margin: 0; gap: .15rem 1rem; }
.totals dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
.totals .due { font-size: 13pt; font-weight: 700; border-top: 2px solid var(--ink); padding-top: .2rem; }
.pay-online { border: 1.5px solid var(--ink); padding: .6rem .8rem; margin: 1.25rem 0; }
.pay-online h3 { margin: 0 0 .3rem; font-size: 12pt; }
.pay-online p { margin: 0 0 .3rem; }
.stub { border-top: 2px dashed var(--ink); margin-top: 1.5rem; padding-top: .75rem; display: grid; grid-template-columns: 1fr 1fr; gap: .5rem 2rem; }
.stub p { margin: 0; }
.stub .label { color: var(--muted); font-size: 9pt; text-transform: uppercase; letter-spacing: .03em; }
.stub .value { font-weight: 700; font-size: 11pt; }
.stub .blank { border-bottom: 1px solid var(--ink); height: 1.4rem; }
.small { font-size: 8.5pt; color: var(--muted); }
@media print {
  @page { size: letter; margin: .5in; }
  body { background: #fff; font-size: 10pt; }
  .toolbar { display: none; }
  .sheet { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  tr, .pay-online, .stub { break-inside: avoid; }
}
@media (max-width: 40rem) {
  .sheet { padding: 1rem; }
  table.lines { font-size: 9pt; }
  .doc-title { text-align: left; }
  dl.meta { justify-content: start; }
  dl.meta dt, dl.meta dd { text-align: left; }
  .stub { grid-template-columns: 1fr; }
}
`;
