/** A short page with one message and one link: errors, expired forms, nothing to pay. */
import { html } from '../../../lib/html';
import { layout } from '../layout';

export function messagePage(
  title: string,
  message: string,
  link: { href: string; text: string } = { href: '/portal', text: 'Start again' },
): string {
  return layout({ title }, html`<h1>${title}</h1><p>${message}</p><p><a class="button" href="${link.href}">${link.text}</a></p>`);
}
