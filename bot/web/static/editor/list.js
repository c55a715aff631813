/**
 * The article list and its filters (search, status, category, locale).
 *
 * Text from the server goes into the page only as text, through el() (shared/dom.js).
 */

import { $, el, setMessage, show } from '../shared/dom.js';
import { openArticle } from './article.js';
import { STATUS_LABELS, explain } from './labels.js';
import { api } from './session.js';
import { state } from './state.js';

const SEARCH_DELAY_MS = 250;

function filters() {
  const params = new URLSearchParams();
  for (const [key, id] of [['q', 'filter-q'], ['status', 'filter-status'], ['category', 'filter-category'], ['locale', 'filter-locale']]) {
    const value = $(id).value.trim();
    if (value) params.set(key, value);
  }
  return params;
}

export async function loadArticles() {
  const seq = ++state.listSeq;
  setMessage($('list-error'), '');
  try {
    const data = await api('GET', `/api/editor/articles?${filters()}`);
    if (seq !== state.listSeq) return;
    state.articles = data.articles || [];
    renderList();
  } catch (error) {
    if (seq === state.listSeq) setMessage($('list-error'), explain(error));
  }
}

function remember(article) {
  let changed = false;
  for (const [set, value] of [[state.categories, article.category], [state.locales, article.locale]]) {
    if (value && !set.has(value)) {
      set.add(value);
      changed = true;
    }
  }
  return changed;
}

function fillOptions() {
  for (const [id, values] of [['filter-category', state.categories], ['filter-locale', state.locales]]) {
    const select = $(id);
    const chosen = select.value;
    const first = select.options[0];
    select.replaceChildren(first, ...[...values].sort().map((v) => el('option', { text: v, attrs: { value: v } })));
    select.value = chosen;
  }
  $('category-options').replaceChildren(...[...state.categories].sort().map((v) => el('option', { attrs: { value: v } })));
}

function renderList() {
  if (state.articles.map(remember).some(Boolean)) fillOptions();
  const list = $('article-list');
  const selected = state.current && state.current.id;
  list.replaceChildren(
    ...state.articles.map((article) => {
      const badges = el('span', { className: 'badges' },
        el('span', { className: `badge status-${article.status}`, text: STATUS_LABELS[article.status] || article.status }),
        article.has_unpublished_changes && article.status !== 'draft'
          ? el('span', { className: 'badge changes', text: 'Unpublished changes' })
          : null,
        el('span', { className: 'badge', text: article.locale }),
      );
      const button = el('button', {
        className: 'article-item',
        attrs: { type: 'button', 'aria-current': article.id === selected ? 'true' : null },
        dataset: { id: article.id },
        on: { click: () => openArticle(article.id) },
      },
      el('span', { className: 'item-title', text: article.title || article.id }),
      el('span', { className: 'item-meta', text: [article.id, article.category].filter(Boolean).join(' · ') }),
      badges);
      return el('li', {}, button);
    }),
  );
  $('article-count').textContent = `(${state.articles.length})`;
  show($('list-empty'), state.articles.length === 0);
}

export function onFilterChange() {
  clearTimeout(state.searchTimer);
  state.searchTimer = setTimeout(loadArticles, SEARCH_DELAY_MS);
}
