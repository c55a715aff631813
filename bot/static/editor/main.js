/**
 * supportbot help-center editor: plain JS, no build step.
 *
 * Safety rule for this file: text from the server (titles, bodies, questions, answers, diffs)
 * goes into the page only with textContent or createTextNode, through el() (shared/dom.js).
 * The one exception is the article preview, whose HTML comes from POST /api/editor/render, sanitised on the
 * server (bot/sanitize.py: no scripts, no event attributes, no javascript: URLs). Links are
 * made only for http(s) URLs (safeUrl).
 */

import { ApiError, session } from '../shared/api.js';
import { $, el, link as anyLink, setMessage, show } from '../shared/dom.js';
import { percent, when } from '../shared/format.js';
import * as shared from '../shared/login.js';

const TOKEN_KEY = 'supportbot.editor.token';
const AGENT_KEY = 'supportbot.editor.profile';
const EDITOR_ROLES = new Set(['editor', 'admin']);
const RENDER_DELAY_MS = 300;
const SEARCH_DELAY_MS = 250;
const INDEX_POLL_MS = 700;
const INDEX_WAIT_MS = 120000;

const STATUS_LABELS = { draft: 'Draft', published: 'Published', unpublished: 'Unpublished', deleted: 'Deleted' };
const INDEX_LABELS = {
  pending: 'waiting to be indexed',
  indexing: 'indexing…',
  indexed: 'indexed: customers get it',
  failed: 'indexing failed',
};
const KIND_LABELS = { answer: 'Answer', refusal: 'No answer (offers a person)', smalltalk: 'Small talk', fallback: 'Fallback' };
const REASON_LABELS = {
  low_confidence: 'Low confidence',
  refused: 'Refused',
  thumbs_down: 'Thumbs down',
  escalated: 'Handed to a person',
  repeat: 'Asked again',
  rephrase: 'Asked in other words',
  complaint: 'Complained',
  person_after_answer: 'Asked for a person after the answer',
};

const state = {
  token: null,
  agent: null,
  articles: [],
  categories: new Set(),
  locales: new Set(),
  current: null, // the article as last loaded or saved (null for a new one)
  renderTimer: null,
  renderSeq: 0,
  searchTimer: null,
  listSeq: 0,
  indexWatch: 0,
  busy: false,
};


/** A link for http(s) URLs, relative ones resolved against this page. */
const link = (url, label) => anyLink(url, label, window.location.origin);

/* ---------- API and session ---------- */

const { request, api, load: loadSession, save: saveSession, forget } = session(state, {
  tokenKey: TOKEN_KEY,
  agentKey: AGENT_KEY,
  onExpired: endSession,
});

function explain(error) {
  if (error.code === 'rate_limited') return 'Too many requests. Wait a moment and try again.';
  if (error.status === 403) return error.message || 'Your account may not do this.';
  return error.message || 'Something went wrong.';
}

const articlePath = (id) => `/api/editor/articles/${encodeURIComponent(id)}`;

/* ---------- session ---------- */

function endSession(message) {
  forget();
  state.current = null;
  state.indexWatch += 1;
  $('article-list').replaceChildren();
  show($('article-form'), false);
  show($('edit-placeholder'), true);
  showLogin(message);
}

function showLogin(message) {
  shared.showLogin('editor-view', 'Help center editor', message);
}

function refusal(agent) {
  const who = agent.display_name || agent.name;
  return `${who} has the ${agent.role} role: the editor is for editor and admin accounts. ` +
    'Ask an admin to give you the editor role.';
}

/** Let editors and admins in; log anyone else out again and say why. */
async function admit(data) {
  if (EDITOR_ROLES.has(data.agent.role)) return true;
  state.token = data.token;
  await api('POST', '/api/agent/logout').catch(() => null);
  state.token = null;
  setMessage($('login-error'), refusal(data.agent));
  $('login-password').value = '';
  $('login-name').focus();
  return false;
}

function onLogin(event) {
  return shared.logIn(event, { api, save: saveSession, explain, start: startEditor, admit });
}

async function onLogout() {
  if (!confirmDiscard()) return;
  await shared.logOut(api, endSession);
}

async function startEditor() {
  shared.showSignedIn('editor-view', state.agent);
  document.title = 'Help center editor';
  await loadArticles();
  $('filter-q').focus();
}

/* ---------- tabs ---------- */

const TABS = ['articles', 'gaps', 'stale'];

function selectTab(name, { focus = false } = {}) {
  for (const other of TABS) {
    const tab = $(`tab-${other}`);
    const selected = other === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    show($(`panel-${other}`), selected);
  }
  if (focus) $(`tab-${name}`).focus();
  if (name === 'gaps') loadGaps();
  if (name === 'stale') loadStale();
}

function onTabKey(event) {
  const index = TABS.indexOf(event.target.id.replace('tab-', ''));
  const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  selectTab(TABS[(moves[event.key] + TABS.length) % TABS.length], { focus: true });
}

/* ---------- article list ---------- */

function filters() {
  const params = new URLSearchParams();
  for (const [key, id] of [['q', 'filter-q'], ['status', 'filter-status'], ['category', 'filter-category'], ['locale', 'filter-locale']]) {
    const value = $(id).value.trim();
    if (value) params.set(key, value);
  }
  return params;
}

async function loadArticles() {
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

function onFilterChange() {
  clearTimeout(state.searchTimer);
  state.searchTimer = setTimeout(loadArticles, SEARCH_DELAY_MS);
}

/* ---------- the article form ---------- */

function formContent() {
  return {
    title: $('f-title').value.trim(),
    body: $('f-body').value.trim(), // the server trims it too: no false "unsaved changes"
    category: $('f-category').value.trim(),
    locale: $('f-locale').value.trim() || 'en',
    tags: $('f-tags').value.split(',').map((t) => t.trim()).filter(Boolean),
    url: $('f-url').value.trim(),
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
  };
}

function isDirty() {
  if ($('article-form').hidden) return false;
  const mine = formContent();
  if (!state.current) return Boolean(mine.title || mine.body.trim() || $('f-id').value.trim());
  return JSON.stringify(mine) !== JSON.stringify(contentOf(state.current));
}

function confirmDiscard() {
  return !isDirty() || window.confirm('You have unsaved changes. Discard them?');
}

function fillForm(article) {
  const content = article ? contentOf(article) : { title: '', body: '', category: '', locale: 'en', tags: [], url: '' };
  $('f-id').value = article ? article.id : '';
  $('f-id').readOnly = Boolean(article);
  $('f-title').value = content.title;
  $('f-category').value = content.category;
  $('f-locale').value = content.locale;
  $('f-tags').value = content.tags.join(', ');
  $('f-url').value = content.url;
  $('f-body').value = content.body;
}

function showArticle(article) {
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

function renderState() {
  const article = state.current;
  const node = $('article-state');
  if (!article) {
    node.textContent = 'Not saved yet.';
    return;
  }
  const parts = [
    STATUS_LABELS[article.status] || article.status,
    `version ${article.current_version}`,
    article.published_version ? `published version ${article.published_version}` : 'never published',
  ];
  if (article.status === 'published' && article.index_state) {
    parts.push(`index: ${INDEX_LABELS[article.index_state] || article.index_state}`);
  }
  if (article.index_state === 'failed' && article.index_error) parts.push(article.index_error);
  if (article.has_unpublished_changes && article.published_version) parts.push('has unpublished changes');
  if (article.updated_by) parts.push(`last saved by ${article.updated_by} ${when(article.updated_at)}`);
  node.textContent = parts.join(' · ');
  node.dataset.index = article.index_state || '';
  $('unpublish').disabled = article.status !== 'published';
  $('delete').disabled = article.status === 'deleted';
}

function resetPanels() {
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

async function openArticle(id, { focus = true } = {}) {
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

function newArticle(prefill = {}) {
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
async function save() {
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

async function withBusy(button, work) {
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

function handleSaveError(error) {
  if (error.code === 'stale_version') {
    showConflict(error);
    return;
  }
  setMessage($('edit-error'), explain(error));
}

async function onSave(event) {
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
async function saveIfDirty() {
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

async function onPublish() {
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

async function onUnpublish() {
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

async function onDelete() {
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

/* ---------- conflicts (someone saved a newer version) ---------- */

function showConflict(error) {
  $('conflict-detail').textContent = error.message || '';
  show($('conflict'), true);
  show($('conflict-diff-view'), false);
  $('conflict-diff').focus();
}

async function latest() {
  return api('GET', articlePath(state.current.id));
}

/** My text: the form's, or the kept copy once their version was loaded into the form. */
function myText() {
  return $('kept-wrap').hidden ? $('f-body').value : $('kept-text').value;
}

async function onConflictDiff() {
  try {
    const theirs = await latest();
    renderDiff($('conflict-diff-view'), lineDiff(theirs.body.split('\n'), myText().split('\n'), 'theirs', 'yours'));
    show($('conflict-diff-view'), true);
    $('conflict-diff-view').focus();
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

async function onConflictReload() {
  try {
    const theirs = await latest();
    $('kept-text').value = myText();
    show($('kept-wrap'), true);
    fillForm(theirs);
    showArticle(theirs);
    schedulePreview(0);
    loadVersions();
    setMessage($('edit-info'), `Loaded version ${theirs.current_version}. Your text is kept in the box below the warning.`);
    $('kept-text').focus();
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

async function onConflictOverwrite() {
  await withBusy($('conflict-overwrite'), async () => {
    try {
      const theirs = await latest();
      $('f-body').value = myText();
      show($('kept-wrap'), false);
      state.current = { ...state.current, current_version: theirs.current_version };
      const article = await save();
      schedulePreview(0);
      show($('conflict'), false);
      setMessage($('edit-info'), `Saved your text as version ${article.current_version}.`);
      loadVersions();
      loadArticles();
    } catch (error) {
      handleSaveError(error);
    }
  });
}

/**
 * A unified-style line diff of `a` and `b` (longest common subsequence), as lines starting
 * with ' ', '-' or '+'. Large texts are compared line by line without alignment.
 */
export function lineDiff(a, b, nameA = 'a', nameB = 'b') {
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  if (a.length * b.length > 4_000_000) {
    return out.concat(a.map((l) => `-${l}`), b.map((l) => `+${l}`));
  }
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i * cols + j] = a[i] === b[j]
        ? table[(i + 1) * cols + j + 1] + 1
        : Math.max(table[(i + 1) * cols + j], table[i * cols + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i]}`);
      i += 1;
      j += 1;
    } else if (j < b.length && (i === a.length || table[i * cols + j + 1] > table[(i + 1) * cols + j])) {
      out.push(`+${b[j]}`);
      j += 1;
    } else {
      out.push(`-${a[i]}`);
      i += 1;
    }
  }
  return out;
}

function renderDiff(node, lines) {
  node.replaceChildren(
    ...lines.map((line) => {
      const kind = line.startsWith('+++') || line.startsWith('---') ? 'file'
        : line.startsWith('@@') ? 'hunk'
          : line.startsWith('+') ? 'add'
            : line.startsWith('-') ? 'del' : 'same';
      return el('span', { className: `diff-line diff-${kind}`, text: `${line}\n` });
    }),
  );
}

/* ---------- live preview ---------- */

function schedulePreview(delay = RENDER_DELAY_MS) {
  clearTimeout(state.renderTimer);
  $('preview-state').textContent = delay ? 'updating…' : '';
  state.renderTimer = setTimeout(renderPreview, delay);
}

async function renderPreview() {
  const seq = ++state.renderSeq;
  const markdown = $('f-body').value;
  try {
    const data = await api('POST', '/api/editor/render', { markdown });
    if (seq !== state.renderSeq) return;
    // Sanitised by the server (bot/sanitize.py); the only HTML this page inserts.
    $('preview').innerHTML = data.html;
    $('preview-state').textContent = '';
  } catch (error) {
    if (seq === state.renderSeq) $('preview-state').textContent = `not updated: ${explain(error)}`;
  }
}

/* ---------- versions ---------- */

async function loadVersions() {
  const article = state.current;
  const list = $('version-list');
  if (!article) {
    list.replaceChildren();
    return;
  }
  try {
    const data = await api('GET', `${articlePath(article.id)}/versions`);
    if (!state.current || state.current.id !== article.id) return;
    const versions = Array.isArray(data) ? data : data.versions || [];
    const newest = versions.reduce((max, v) => Math.max(max, v.version), 0);
    list.replaceChildren(
      ...[...versions].sort((x, y) => y.version - x.version).map((v) => {
        const labels = [];
        if (v.version === state.current.published_version) labels.push('published');
        if (v.version === newest) labels.push('current');
        return el('li', { className: 'version' },
          el('span', { className: 'version-name', text: `Version ${v.version}` }),
          labels.length ? el('span', { className: 'badge', text: labels.join(', ') }) : null,
          el('span', { className: 'version-meta', text: [v.author, when(v.created_at), v.note].filter(Boolean).join(' · ') }),
          v.version === newest ? null : el('span', { className: 'version-actions' },
            el('button', {
              className: 'btn btn-small', text: 'Diff with current',
              attrs: { type: 'button', 'aria-label': `Differences between version ${v.version} and the current version` },
              on: { click: () => showVersionDiff(v.version, newest) },
            }),
            el('button', {
              className: 'btn btn-small', text: 'Restore',
              attrs: { type: 'button', 'aria-label': `Restore version ${v.version} as a new draft` },
              on: { click: () => restore(v.version) },
            })),
        );
      }),
    );
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

async function showVersionDiff(from, to) {
  try {
    const data = await api('GET', `${articlePath(state.current.id)}/diff?from=${from}&to=${to}`);
    const text = typeof data === 'string' ? data : data.diff || '';
    const view = $('version-diff');
    renderDiff(view, text ? text.replace(/\n$/, '').split('\n') : ['(no differences)']);
    view.setAttribute('aria-label', `Differences between version ${from} and version ${to}`);
    show(view, true);
    view.focus();
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

async function restore(version) {
  if (!confirmDiscard()) return;
  try {
    const article = await api('POST', `${articlePath(state.current.id)}/restore`, {
      version,
      base_version: state.current.current_version,
    });
    fillForm(article);
    showArticle(article);
    schedulePreview(0);
    setMessage($('edit-info'), `Version ${version} restored as draft version ${article.current_version}; publish it to show it to customers.`);
    await Promise.all([loadVersions(), loadArticles()]);
  } catch (error) {
    handleSaveError(error);
  }
}

/* ---------- try it ---------- */

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

async function onTry() {
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

/* ---------- import / export ---------- */

async function onImport(event) {
  event.preventDefault();
  const file = $('import-file').files[0];
  const result = $('import-result');
  if (!file) {
    result.replaceChildren(el('p', { className: 'form-error', text: 'Choose a file to import.' }));
    $('import-file').focus();
    return;
  }
  await withBusy($('import-submit'), async () => {
    const form = new FormData();
    form.append('file', file);
    form.append('publish', $('import-publish').checked ? 'true' : 'false');
    result.replaceChildren(el('p', { text: 'Importing…' }));
    try {
      const response = await request('POST', '/api/editor/import', { form });
      const data = await response.json();
      const problems = data.problems || [];
      result.replaceChildren(
        el('p', { text: `Imported ${(data.imported || []).length} new, updated ${(data.updated || []).length}.` }),
        problems.length
          ? el('ul', { className: 'problems', attrs: { 'aria-label': 'Files that were not imported' } },
            ...problems.map((p) => el('li', { text: `${p.file}: ${p.reason}` })))
          : null,
      );
      $('import-file').value = '';
      await loadArticles();
    } catch (error) {
      result.replaceChildren(el('p', { className: 'form-error', text: explain(error) }));
    }
  });
}

async function onExport(event) {
  event.preventDefault();
  const anchor = event.currentTarget;
  try {
    const response = await request('GET', anchor.getAttribute('href'));
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') || '';
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const name = match ? match[1] : anchor.id === 'export-zip' ? 'articles.zip' : 'articles.jsonl';
    const url = URL.createObjectURL(blob);
    const save = el('a', { attrs: { href: url, download: name } });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    $('import-result').replaceChildren(el('p', { className: 'form-error', text: explain(error) }));
  }
}

/* ---------- content gaps ---------- */

async function loadGaps() {
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
      const reasons = Object.entries(group.reasons || {})
        .filter(([, n]) => n)
        .map(([key, n]) => `${REASON_LABELS[key] || key} ${n}`);
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

/* ---------- stale articles ---------- */

async function loadStale() {
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

/* ---------- start ---------- */

function bind() {
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  for (const name of TABS) {
    $(`tab-${name}`).addEventListener('click', () => selectTab(name));
    $(`tab-${name}`).addEventListener('keydown', onTabKey);
  }
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    loadArticles();
  });
  $('filter-q').addEventListener('input', onFilterChange);
  for (const id of ['filter-status', 'filter-category', 'filter-locale']) $(id).addEventListener('change', loadArticles);
  $('new-article').addEventListener('click', () => newArticle());
  $('article-form').addEventListener('submit', onSave);
  $('f-body').addEventListener('input', () => schedulePreview());
  $('f-title').addEventListener('input', () => {
    $('edit-title').textContent = $('f-title').value || (state.current ? state.current.id : 'New article');
  });
  $('publish').addEventListener('click', onPublish);
  $('unpublish').addEventListener('click', onUnpublish);
  $('delete').addEventListener('click', onDelete);
  $('conflict-diff').addEventListener('click', onConflictDiff);
  $('conflict-reload').addEventListener('click', onConflictReload);
  $('conflict-overwrite').addEventListener('click', onConflictOverwrite);
  $('try-ask').addEventListener('click', onTry);
  $('try-question').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      onTry();
    }
  });
  $('import-form').addEventListener('submit', onImport);
  $('export-zip').addEventListener('click', onExport);
  $('export-jsonl').addEventListener('click', onExport);
  $('gaps-refresh').addEventListener('click', loadGaps);
  $('gaps-days').addEventListener('change', loadGaps);
  $('stale-refresh').addEventListener('click', loadStale);
  window.addEventListener('beforeunload', (event) => {
    if (isDirty()) event.preventDefault();
  });
}

async function start() {
  bind();
  if (!loadSession()) {
    showLogin('');
    return;
  }
  try {
    const agent = await api('GET', '/api/agent/me');
    if (!EDITOR_ROLES.has(agent.role)) {
      endSession(refusal(agent));
      return;
    }
    state.agent = agent;
    await startEditor();
  } catch (error) {
    if (state.token) endSession(error.status === 401 ? 'Please sign in again.' : explain(error));
  }
}

start();
