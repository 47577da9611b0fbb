/** A simple page for errors (404, 403, …). */
import { html } from '../../../lib/html';
import { page, type PageContext, type Section } from '../layout';

export function messagePage(o: { title: string; text: string; ctx?: PageContext; section?: Section }): string {
  return page({ title: o.title, section: o.section ?? 'none', ctx: o.ctx }, html`<h1>${o.title}</h1><p class="lead">${o.text}</p>
<p><a href="/staff/queue">Back to the work queue</a></p>`);
}
