/** The article form: its content, whether it has unsaved changes, and the article's state line. */

import { $, setMessage, show } from '../shared/dom.js';
import { stateLine } from './labels.js';
import { state } from './state.js';

export function formContent() {
  return {
    title: $('f-title').value.trim(),
    body: $('f-body').value.trim(), // the server trims it too: no false "unsaved changes"
    category: $('f-category').value.trim(),
    locale: $('f-locale').value.trim() || 'en',
    tags: $('f-tags').value.split(',').map((t) => t.trim()).filter(Boolean),
    url: $('f-url').value.trim(),
    pages: $('f-pages').value.split(',').map((p) => p.trim()).filter(Boolean),
    questions: $('f-questions').value.split('\n').map((q) => q.trim()).filter(Boolean),
    translation_of: $('f-translation-of').value.trim(),
    audience: $('f-audience').value.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean),
  };
}

function contentOf(article) {
  return {
    title: article.title,
    body: article.body,
    category: article.category,
    locale: article.locale,
    tags: article.tags || [],
    url: article.url,
    pages: article.pages || [],
    questions: article.questions || [],
    translation_of: article.translation_of || '',
    audience: article.audience || [],
  };
}

export function isDirty() {
  if ($('article-form').hidden) return false;
  const mine = formContent();
  if (!state.current) return Boolean(mine.title || mine.body.trim() || $('f-id').value.trim());
  return JSON.stringify(mine) !== JSON.stringify(contentOf(state.current));
}

export function confirmDiscard() {
  return !isDirty() || window.confirm('You have unsaved changes. Discard them?');
}

export function fillForm(article) {
  const content = article ? contentOf(article) : { title: '', body: '', category: '', locale: 'en', tags: [], url: '', pages: [], questions: [], translation_of: '', audience: [] };
  $('f-id').value = article ? article.id : '';
  $('f-id').readOnly = Boolean(article);
  $('f-title').value = content.title;
  $('f-category').value = content.category;
  $('f-locale').value = content.locale;
  $('f-tags').value = content.tags.join(', ');
  $('f-url').value = content.url;
  $('f-pages').value = content.pages.join(', ');
  $('f-questions').value = content.questions.join('\n');
  $('f-translation-of').value = content.translation_of;
  $('f-audience').value = content.audience.join(', ');
  $('f-body').value = content.body;
}

export function showArticle(article) {
  state.current = article;
  show($('edit-placeholder'), false);
  show($('article-form'), true);
  $('edit-title').textContent = article ? article.title || article.id : 'New article';
  for (const id of ['publish', 'unpublish', 'delete']) $(id).disabled = !article;
  renderState();
  $('try-ask').disabled = false;
  for (const item of document.querySelectorAll('.article-item')) {
    if (article && item.dataset.id === article.id) item.setAttribute('aria-current', 'true');
    else item.removeAttribute('aria-current');
  }
}

export function renderState() {
  const article = state.current;
  const node = $('article-state');
  if (!article) {
    node.textContent = 'Not saved yet.';
    return;
  }
  node.textContent = stateLine(article);
  node.dataset.index = article.index_state || '';
  $('unpublish').disabled = article.status !== 'published';
  $('delete').disabled = article.status === 'deleted';
}

export function resetPanels() {
  setMessage($('edit-error'), '');
  setMessage($('edit-info'), '');
  show($('conflict'), false);
  show($('conflict-diff-view'), false);
  show($('kept-wrap'), false);
  show($('try-results'), false);
  setMessage($('try-error'), '');
  show($('version-diff'), false);
  $('version-list').replaceChildren();
}
