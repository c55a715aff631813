/**
 * Content gaps: questions the bot could not answer, grouped, with who asked and how often.
 *
 * Text from the server goes into the page only as text, through el() (shared/dom.js).
 */

import { $, el, setMessage, show } from '../shared/dom.js';
import { newArticle, openArticle } from './article.js';
import { explain, gapReasons } from './labels.js';
import { api } from './session.js';
import { state } from './state.js';

export async function loadGaps() {
  setMessage($('gaps-error'), '');
  $('gaps-state').textContent = 'Loading…';
  try {
    const data = await api('GET', `/api/editor/gaps?days=${encodeURIComponent($('gaps-days').value)}`);
    renderGaps(data.groups || []);
    $('gaps-state').textContent = '';
  } catch (error) {
    $('gaps-state').textContent = '';
    setMessage($('gaps-error'), explain(error));
  }
}

function trendText(trend) {
  return (trend || []).map((t) => `${t.day}: ${t.count}`).join(', ');
}

function trendBars(trend) {
  const max = Math.max(1, ...(trend || []).map((t) => t.count));
  return el('span', { className: 'trend', attrs: { role: 'img', 'aria-label': `Per day: ${trendText(trend) || 'none'}` } },
    ...(trend || []).map((t) => {
      const bar = el('span', { className: t.count ? 'trend-bar' : 'trend-bar zero', attrs: { title: `${t.day}: ${t.count}` } });
      bar.style.height = `${Math.max(8, (100 * t.count) / max)}%`;
      return bar;
    }));
}

function renderGaps(groups) {
  const list = $('gap-list');
  list.replaceChildren(
    ...groups.map((group, index) => {
      const labelId = `gap-${index}-label`;
      const reasons = gapReasons(group.reasons);
      const coverInput = el('input', {
        attrs: { type: 'text', id: `gap-${index}-article`, list: 'gap-article-options', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' },
      });
      const cover = group.covered_by
        ? el('p', { className: 'covered', text: `Covered by ${group.covered_by}` })
        : el('form', {
          className: 'cover-form',
          on: { submit: (event) => { event.preventDefault(); coverGap(group, coverInput); } },
        },
        el('label', { text: 'Covered by article id', attrs: { for: `gap-${index}-article` } }),
        coverInput,
        el('button', { className: 'btn btn-small', text: 'Mark covered', attrs: { type: 'submit' } }),
        el('button', {
          className: 'btn btn-small', text: 'Write an article',
          attrs: { type: 'button' },
          on: { click: () => newArticle({ title: group.label, body: `<!-- Customers asked:\n${(group.examples || []).join('\n')}\n-->\n` }) },
        }));
      return el('li', { className: 'gap card', attrs: { 'aria-labelledby': labelId } },
        el('div', { className: 'gap-head' },
          el('h3', { className: 'gap-label', text: group.label, attrs: { id: labelId } }),
          el('span', { className: 'count', text: `${group.count} question${group.count === 1 ? '' : 's'}` }),
          trendBars(group.trend)),
        reasons.length ? el('p', { className: 'gap-reasons', text: reasons.join(' · ') }) : null,
        el('ul', { className: 'examples', attrs: { 'aria-label': 'Example questions' } },
          ...(group.examples || []).map((q) => el('li', { text: q }))),
        (group.articles_tried || []).length
          ? el('p', { className: 'tried' }, 'Articles the bot tried: ',
            ...group.articles_tried.flatMap((a, i) => [
              i ? ', ' : '',
              el('button', {
                className: 'linkish', text: `${a.title || a.article_id} (${a.count})`,
                attrs: { type: 'button' }, on: { click: () => openArticle(a.article_id) },
              })]))
          : null,
        cover);
    }),
  );
  let options = $('gap-article-options');
  if (!options) {
    options = el('datalist', { attrs: { id: 'gap-article-options' } });
    document.body.append(options);
  }
  options.replaceChildren(...state.articles.map((a) => el('option', { attrs: { value: a.id }, text: a.title })));
  show($('gaps-empty'), groups.length === 0);
}

async function coverGap(group, input) {
  const articleId = input.value.trim();
  if (!articleId) {
    setMessage($('gaps-error'), 'Type the id of the article that answers these questions.');
    input.focus();
    return;
  }
  try {
    await api('POST', `/api/editor/gaps/${encodeURIComponent(group.key)}/cover`, {
      article_id: articleId,
      days: Number($('gaps-days').value), // the key is only known in the window it was listed in
    });
    await loadGaps();
  } catch (error) {
    setMessage($('gaps-error'), explain(error));
  }
}
