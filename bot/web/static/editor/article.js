/** Open, create, save, publish (then wait for the index), unpublish and delete an article. */

import { $, setMessage, show } from '../shared/dom.js';
import { ApiError } from '../shared/api.js';
import { showConflict } from './conflict.js';
import { confirmDiscard, fillForm, formContent, isDirty, renderState, resetPanels, showArticle } from './form.js';
import { explain } from './labels.js';
import { articlePath } from './links.js';
import { loadArticles } from './list.js';
import { schedulePreview } from './preview.js';
import { api } from './session.js';
import { state } from './state.js';
import { selectTab } from './tabs.js';
import { loadVersions } from './versions.js';

export async function openArticle(id, { focus = true } = {}) {
  if (state.current && state.current.id === id && !isDirty()) return;
  if (!confirmDiscard()) return;
  state.indexWatch += 1;
  resetPanels();
  try {
    const article = await api('GET', articlePath(id));
    selectTab('articles');
    fillForm(article);
    showArticle(article);
    schedulePreview(0);
    loadVersions();
    if (focus) $('edit-title').focus();
  } catch (error) {
    setMessage($('list-error'), explain(error));
  }
}

export function newArticle(prefill = {}) {
  if (!confirmDiscard()) return;
  state.indexWatch += 1;
  resetPanels();
  selectTab('articles');
  fillForm(null);
  if (prefill.title) $('f-title').value = prefill.title;
  if (prefill.body) $('f-body').value = prefill.body;
  showArticle(null);
  schedulePreview(0);
  $('f-id').focus();
}

/** Save the form: create a new article, or a new version of this one. Returns the article. */
export async function save() {
  const content = formContent();
  if (!state.current) {
    const id = $('f-id').value.trim();
    if (!id || !content.title) {
      throw new ApiError(422, 'invalid_request', 'Give the article an id and a title first.');
    }
    const article = await api('POST', '/api/editor/articles', { id, ...content });
    fillForm(article);
    showArticle(article);
    return article;
  }
  const article = await api('PUT', articlePath(state.current.id), {
    ...content,
    base_version: state.current.current_version,
  });
  showArticle(article);
  return article;
}

export async function withBusy(button, work) {
  if (state.busy) return;
  state.busy = true;
  button.disabled = true;
  try {
    await work();
  } finally {
    state.busy = false;
    button.disabled = false;
    if (state.current) renderState();
  }
}

export function handleSaveError(error) {
  if (error.code === 'stale_version') {
    showConflict(error);
    return;
  }
  setMessage($('edit-error'), explain(error));
}

export async function onSave(event) {
  event.preventDefault();
  await withBusy($('save'), async () => {
    setMessage($('edit-error'), '');
    try {
      const article = await save();
      setMessage($('edit-info'), `Saved as draft version ${article.current_version}.`);
      show($('conflict'), false);
      await Promise.all([loadArticles(), loadVersions()]);
    } catch (error) {
      handleSaveError(error);
    }
  });
}

/** Save first when the form has changes; returns false when that failed. */
export async function saveIfDirty() {
  if (state.current && !isDirty()) return true;
  try {
    const article = await save();
    setMessage($('edit-info'), `Saved as draft version ${article.current_version}.`);
    loadVersions();
    return true;
  } catch (error) {
    handleSaveError(error);
    return false;
  }
}

export async function onPublish() {
  await withBusy($('publish'), async () => {
    setMessage($('edit-error'), '');
    if (!(await saveIfDirty())) return;
    try {
      const version = state.current.current_version;
      const article = await api('POST', `${articlePath(state.current.id)}/publish`, { version });
      if (article && article.id) showArticle(article);
      setMessage($('edit-info'), `Publishing version ${version}…`);
      watchIndex(state.current.id, version);
      loadArticles();
    } catch (error) {
      setMessage($('edit-error'), explain(error));
    }
  });
}

const INDEX_POLL_MS = 700;
const INDEX_WAIT_MS = 120000;

/** Poll the article until its published version is indexed (or failed). */
async function watchIndex(id, version) {
  const watch = ++state.indexWatch;
  const deadline = Date.now() + INDEX_WAIT_MS;
  while (watch === state.indexWatch && Date.now() < deadline) {
    let article;
    try {
      article = await api('GET', articlePath(id));
    } catch (error) {
      setMessage($('edit-error'), explain(error));
      return;
    }
    if (watch !== state.indexWatch) return;
    state.current = { ...state.current, ...pickState(article) };
    renderState();
    if (article.published_version === version && article.index_state === 'indexed') {
      setMessage($('edit-info'), `Version ${version} is published and indexed: customers get it now.`);
      loadArticles();
      return;
    }
    if (article.index_state === 'failed') {
      setMessage($('edit-error'), `Version ${version} could not be indexed: ${article.index_error || 'unknown error'}. Publish again to retry.`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, INDEX_POLL_MS));
  }
}

function pickState(article) {
  const keys = ['status', 'current_version', 'published_version', 'has_unpublished_changes', 'index_state', 'index_error', 'updated_at', 'updated_by'];
  return Object.fromEntries(keys.map((k) => [k, article[k]]));
}

export async function onUnpublish() {
  await withBusy($('unpublish'), async () => {
    setMessage($('edit-error'), '');
    try {
      const article = await api('POST', `${articlePath(state.current.id)}/unpublish`);
      state.indexWatch += 1;
      if (article && article.id) state.current = { ...state.current, ...pickState(article) };
      else state.current = { ...state.current, ...pickState(await api('GET', articlePath(state.current.id))) };
      setMessage($('edit-info'), 'Unpublished: customers no longer get this article.');
      loadArticles();
    } catch (error) {
      setMessage($('edit-error'), explain(error));
    }
  });
}

export async function onDelete() {
  const article = state.current;
  if (!article) return;
  const sure = window.confirm(`Delete "${article.title || article.id}"? Customers stop getting it at once; its versions are kept.`);
  if (!sure) return;
  await withBusy($('delete'), async () => {
    try {
      await api('DELETE', articlePath(article.id));
      state.indexWatch += 1;
      state.current = null;
      show($('article-form'), false);
      show($('edit-placeholder'), true);
      $('edit-placeholder').firstElementChild.textContent = `"${article.title || article.id}" was deleted.`;
      await loadArticles();
      $('new-article').focus();
    } catch (error) {
      setMessage($('edit-error'), explain(error));
    }
  });
}
