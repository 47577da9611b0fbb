/** A short message page of the platform operator's pages: a form that expired (CSRF, another origin). */
import { html } from '../../../lib/html';
import { operatorFrame } from './frame';

export function operatorMessagePage(o: { title: string; text: string; csrf?: string }): string {
  return operatorFrame(o.title, html`<p>${o.text}</p>
<p><a href="/platform">Back to the practices</a></p>`, o.csrf === undefined ? undefined : { csrf: o.csrf });
}
