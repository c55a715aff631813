/**
 * Try it: ask a question of the draft and of what customers get now, side by side.
 *
 * Text from the server goes into the page only as text, through el() (shared/dom.js).
 */

import { $, el, setMessage, show } from '../shared/dom.js';
import { percent } from '../shared/format.js';
import { saveIfDirty, withBusy } from './article.js';
import { KIND_LABELS, explain } from './labels.js';
import { articlePath, link } from './links.js';
import { api } from './session.js';
import { state } from './state.js';

function renderAnswer(node, answer) {
  const body = node.querySelector('.answer-body');
  const kind = KIND_LABELS[answer.kind] || answer.kind;
  const citations = answer.citations || [];
  body.replaceChildren(
    el('p', { className: 'answer-meta' },
      el('span', { className: `badge kind-${answer.kind}`, text: kind }),
      ` Confidence ${percent(answer.confidence)}`),
    el('p', { className: 'answer-text', text: answer.text }),
    citations.length
      ? el('ol', { className: 'citations', attrs: { 'aria-label': 'Sources' } },
        ...citations.map((c) => el('li', { className: 'citation', dataset: { articleId: c.article_id } },
          el('span', { className: 'cite-n', text: `[${c.n}] ` }),
          link(c.url, c.title || c.article_id),
          el('span', { className: 'cite-id', text: ` (${c.article_id})` }),
          c.snippet ? el('blockquote', { className: 'snippet', text: c.snippet }) : null)))
      : el('p', { className: 'muted', text: 'No sources cited.' }),
  );
}

export async function onTry() {
  const question = $('try-question').value.trim();
  if (!question) {
    setMessage($('try-error'), 'Type a question a customer might ask.');
    $('try-question').focus();
    return;
  }
  await withBusy($('try-ask'), async () => {
    setMessage($('try-error'), '');
    if (!(await saveIfDirty())) return;
    $('try-ask').textContent = 'Asking…';
    try {
      const data = await api('POST', `${articlePath(state.current.id)}/try`, { question });
      renderAnswer($('try-draft'), data.draft);
      renderAnswer($('try-live'), data.live);
      show($('try-results'), true);
    } catch (error) {
      setMessage($('try-error'), explain(error));
    } finally {
      $('try-ask').textContent = 'Ask';
    }
  });
}
