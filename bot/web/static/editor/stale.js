/** Stale articles: the oldest ones customers are still sent to. */

import { $, el, setMessage, show } from '../shared/dom.js';
import { when } from '../shared/format.js';
import { openArticle } from './article.js';
import { explain } from './labels.js';
import { api } from './session.js';

export async function loadStale() {
  setMessage($('stale-error'), '');
  $('stale-state').textContent = 'Loading…';
  try {
    const data = await api('GET', '/api/editor/stale');
    const rows = data.articles || [];
    $('stale-table').tBodies[0].replaceChildren(
      ...rows.map((a) => el('tr', {},
        el('td', {}, el('button', {
          className: 'linkish', text: a.title || a.article_id,
          attrs: { type: 'button' }, on: { click: () => openArticle(a.article_id) },
        })),
        el('td', { text: when(a.updated_at) }),
        el('td', { className: 'num', text: a.citations }))),
    );
    show($('stale-empty'), rows.length === 0);
    $('stale-state').textContent = '';
  } catch (error) {
    $('stale-state').textContent = '';
    setMessage($('stale-error'), explain(error));
  }
}
