/** The page the "pay another way" link of a card-on-file notice opens (web/portal/card-notice-routes.ts). */
import { html } from '../../../lib/html';
import { layout } from '../layout';

/** One button; opening the page changes nothing (mail scanners open links). */
export function cardNoticePage(action: string): string {
  return layout({ title: 'Pay another way' }, html`<h1>Pay another way?</h1>
<p class="lead">We will not charge your card on file for this visit. You will receive a statement, and you can pay it online, by mail or at the front desk.</p>
<form method="post" action="${action}">
<button type="submit">Don't charge my card</button>
</form>
<p class="small">Changed your mind? Close this page: nothing changes until you press the button, and your card will be charged as the notice said.</p>`);
}
