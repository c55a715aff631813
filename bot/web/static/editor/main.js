/**
 * supportbot help-center editor: plain ES modules, no build step. This entry wires the page's
 * controls to the modules beside it.
 */

import { $ } from '../shared/dom.js';
import { newArticle, onDelete, onPublish, onSave, onUnpublish } from './article.js';
import { onConflictDiff, onConflictOverwrite, onConflictReload } from './conflict.js';
import { isDirty } from './form.js';
import { loadGaps } from './gaps.js';
import { explain, refusal } from './labels.js';
import { loadArticles, onFilterChange } from './list.js';
import { schedulePreview } from './preview.js';
import { EDITOR_ROLES, api, endSession, loadSession, onLogin, onLogout, showLogin, startEditor } from './session.js';
import { loadStale } from './stale.js';
import { state } from './state.js';
import { TABS, onTabKey, selectTab } from './tabs.js';
import { onExport, onImport } from './transfer.js';
import { onTry } from './tryit.js';

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
